package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFixtureIsAdmitted(t *testing.T) {
	f := write(t, t.TempDir(), "fixture.yaml", string(fixtures.PodSecurityClusterYAML()))
	code, out, errOut := runCmd(t, "", f)
	if code != exitAdmitted {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[1], "head (pod raycluster-pod-security-head-*): allowed by restricted:latest") {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(errOut, "2 pods checked against restricted:latest: 2 allowed, 0 rejected; 1 documents skipped, 0 could not be checked") {
		t.Errorf("summary: %s", errOut)
	}
}

func TestRejectedSampleFromStdinAsJSON(t *testing.T) {
	dir, err := upstream.Dir(versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config", "samples", "ray-cluster.complete.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, string(data), "-o", "json", "-")
	if code != exitRejected {
		t.Fatalf("exit %d, want %d\n%s", code, exitRejected, errOut)
	}
	var r podsecurity.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if r.Policy != "restricted:latest" || len(r.Pods) != 2 || r.Pods[0].Source != "-" || r.Pods[0].Document != 1 ||
		r.Pods[0].Role != "head" || r.Pods[0].Allowed || len(r.Pods[0].Violations) != 4 ||
		!strings.HasPrefix(r.Pods[0].Message, `violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "ray-head"`) {
		t.Errorf("report: %+v", r)
	}
	if errOut != "" {
		t.Errorf("JSON output prints no summary on stderr, got %q", errOut)
	}
}

func TestLevelFlagAndQuietOutput(t *testing.T) {
	dir := t.TempDir()
	f := write(t, dir, "bare.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: bare}\nspec:\n  containers: [{name: c, image: i}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
	if code, out, _ := runCmd(t, "", "--level", "baseline", f); code != exitAdmitted || !strings.Contains(out, "allowed by baseline:latest") {
		t.Errorf("baseline: exit %d\n%s", code, out)
	}
	code, out, _ := runCmd(t, "", "-q", f)
	if code != exitRejected || strings.Contains(out, "skipped") || !strings.Contains(out, `bare.yaml:1 Pod/bare pod (pod bare): rejected: violates PodSecurity "restricted:latest"`) {
		t.Errorf("-q: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCmd(t, "", "--level", "strict", f); code != exitProblem || !strings.Contains(errOut, `level "strict"`) {
		t.Errorf("bad level: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "-o", "yaml", f); code != exitProblem || !strings.Contains(errOut, "choose text or json") {
		t.Errorf("bad -o: exit %d, %s", code, errOut)
	}
}

func TestBadInputIsReportedNotFatal(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.yaml", string(fixtures.PodSecurityClusterYAML()))
	write(t, dir, "broken.yml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i, securityContext: {runAsNonRoot: true}}]}\n---\n: : :\n---\n# nothing here\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
	write(t, dir, "notes.txt", "not YAML, not read")
	code, out, errOut := runCmd(t, "", dir, filepath.Join(dir, "missing.yaml"))
	if code != exitProblem {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitProblem, out, errOut)
	}
	for _, want := range []string{
		"broken.yml:1 Pod/a pod (pod a): rejected: ",
		"broken.yml:2: cannot check: invalid YAML",
		"broken.yml:3: skipped: empty document",
		"broken.yml:4 Widget/w: skipped: not checked: example.com/v1 Widget is a kind of another API group, whose pods, if it makes any, this check cannot derive",
		"good.yaml:2 RayCluster/raycluster-pod-security head (pod raycluster-pod-security-head-*): allowed",
		"missing.yaml: cannot check: stat ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "notes.txt") {
		t.Errorf("a directory is searched for YAML files only:\n%s", out)
	}
	if code, out, _ := runCmd(t, "", t.TempDir()); code != exitProblem || !strings.Contains(out, "directory holds no .yaml or .yml file") {
		t.Errorf("empty directory: exit %d\n%s", code, out)
	}
}

// --kuberay-version picks the release the pods are derived for; an unpinned
// one is refused with the pins.
func TestKubeRayVersionFlag(t *testing.T) {
	dir := t.TempDir()
	f := write(t, dir, "cluster.yaml", string(fixtures.PodSecurityClusterYAML()))
	for _, r := range versions.KubeRayReleases {
		code, out, errOut := runCmd(t, "", "--kuberay-version", r.Version, "-o", "json", f)
		if code != exitAdmitted || !strings.Contains(out, `"kuberay": "`+r.Version+`"`) {
			t.Errorf("--kuberay-version %s: exit %d\n%s%s", r.Version, code, out, errOut)
		}
	}
	if _, out, _ := runCmd(t, "", "-o", "json", f); !strings.Contains(out, `"kuberay": "`+versions.KubeRay+`"`) {
		t.Errorf("the default release is not %s:\n%s", versions.KubeRay, out)
	}
	code, _, errOut := runCmd(t, "", "--kuberay-version", "v1.7.0", f)
	if code != exitProblem || !strings.Contains(errOut, `--kuberay-version: KubeRay version "v1.7.0" is not pinned; choose one of v1.5.1, v1.6.2`) {
		t.Errorf("an unpinned release: exit %d, %s", code, errOut)
	}
}

// A RayCronJob's pods are its RayJob's, derived as the release builds them;
// with a release that has no RayCronJob, the document could not be checked
// (exit 2), never "makes no pods".
func TestRayCronJob(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "cron.yaml", "apiVersion: ray.io/v1\nkind: RayCronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    entrypoint: python x.py\n    rayClusterSpec:\n      headGroupSpec:\n        rayStartParams: {}\n        template:\n          spec:\n            containers: [{name: ray-head, image: rayproject/ray:2.46.0}]\n")
	for _, c := range []struct {
		release string
		code    int
		want    string
	}{
		{"v1.6.2", 1, "cron.yaml:1 RayCronJob/c RayJob c-* submitter (pod c-*-*): rejected"},
		{"v1.5.1", 2, "cannot check: RayCronJob c: KubeRay v1.5.1 has no RayCronJob"},
	} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"-kuberay-version", c.release, filepath.Join(dir, "cron.yaml")}, strings.NewReader(""), &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String(), c.want) || strings.Contains(stdout.String(), "makes no pods") {
			t.Errorf("KubeRay %s: exit %d (want %d), output %q, want it to say %q", c.release, code, c.code, stdout.String(), c.want)
		}
	}
}
