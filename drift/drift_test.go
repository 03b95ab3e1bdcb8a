package drift

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var (
	refOnce sync.Once
	ref     *Reference
	refErr  error
)

func reference(t testing.TB) *Reference {
	t.Helper()
	refOnce.Do(func() { ref, refErr = NewReference("") })
	if refErr != nil {
		t.Fatal(refErr)
	}
	return ref
}

// checkText reads data as package document does and checks it.
func checkText(t testing.TB, name string, data []byte, ref *Reference) Report {
	t.Helper()
	d, err := document.Read(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return Check(d, ref)
}

// expected is a defect of a test document: the line holding text (which
// must occur once) must get a finding of rule.
type expected struct{ text, rule string }

// lineOf finds the one line that contains text.
func lineOf(t *testing.T, doc, text string) int {
	t.Helper()
	found := 0
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, text) {
			if found != 0 {
				t.Fatalf("%q is on lines %d and %d; make it unique", text, found, i+1)
			}
			found = i + 1
		}
	}
	if found == 0 {
		t.Fatalf("the test document has no line with %q", text)
	}
	return found
}

// checkDocument asserts that the findings are exactly the expected ones:
// every defect found by its rule, and nothing else.
func checkDocument(t *testing.T, file string, want []expected, wantNotes []string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	r := checkText(t, file, data, reference(t))

	wanted := map[string]int{}
	for _, w := range want {
		wanted[fmt.Sprintf("%d %s", lineOf(t, doc, w.text), w.rule)]++
	}
	got := map[string]int{}
	for _, f := range r.Findings {
		got[fmt.Sprintf("%d %s", f.Line, f.Rule)]++
		if f.Problem == "" || f.Truth == "" {
			t.Errorf("finding %+v must say both the problem and what is true instead", f)
		}
	}
	for k, n := range wanted {
		if got[k] < n {
			t.Errorf("want %d finding(s) %q, got %d", n, k, got[k])
		}
	}
	for _, f := range r.Findings {
		if wanted[fmt.Sprintf("%d %s", f.Line, f.Rule)] == 0 {
			t.Errorf("unexpected finding (%s): %s", f.Rule, f)
		}
	}
	var notes []string
	for _, n := range r.Notes {
		notes = append(notes, fmt.Sprint(n.Line))
	}
	var wantLines []string
	for _, n := range wantNotes {
		wantLines = append(wantLines, fmt.Sprint(lineOf(t, doc, n)))
	}
	sort.Strings(notes)
	sort.Strings(wantLines)
	if strings.Join(notes, ",") != strings.Join(wantLines, ",") {
		t.Errorf("notes on lines %v, want %v: %v", notes, wantLines, r.Notes)
	}
	if t.Failed() {
		for _, f := range r.Findings {
			t.Logf("%s (%s)", f, f.Rule)
		}
	}
}

// Each stale copy in testdata gets exactly its defects, each by its rule,
// and a note on each line naming what the reference cannot check.
func TestStaleTutorials(t *testing.T) {
	for _, c := range []struct {
		file  string
		want  []expected
		notes []string
	}{{
		file: "testdata/stale-tutorial.md",
		want: []expected{
			{"check out the `master` branch", "ref"},
			{"kind create cluster --config ray-operator/config/security/kind-config.yaml", "path"},
			{"--image=kindest/node:v1.26.0", "image"},
			{"`ray-operator/config/security/audit-policy.yaml`, records", "path"},
			// warn=baseline, and warn-version missing, reported at the command.
			{"kubectl label --overwrite namespace pod-security", "labels"},
			{"kubectl label --overwrite namespace pod-security", "labels"},
			{"# Update the field securityContext", "noop"},
			{"helm install -n pod-security kuberay-operator .", "chart"},
			{`violates PodSecurity \"restricted:v1.24\"`, "message"},
			{"kubectl get pods -n default", "namespace"},
			{"from ray.air.config import ScalingConfig", "import"},
			{`ray.data.read_csv("s3://anonymous@air-example-data/breast_cancer.csv")`, "data"},
			{"image: rayproject/ray-ml:2.9.0", "image"},
			{"# Path: kuberay/ray-operator/config/security", "path"},
			{"kubectl apply -n pod-security -f ray-cluster.pod-security.yaml", "path"},
			{"kubectl port-forward --address 0.0.0.0", "bind"},
			{"kubectl delete -n pod-security -f ray-cluster.pod-security.yaml", "path"},
			{"blob/master/docs/guidance", "ref"},
		},
		notes: []string{
			// Helm 3 still runs the lines until its support ends.
			"You also need Docker, kind, kubectl and Helm 3.",
			"helm-chart/kuberay-operator/values.yaml",
			"# Path: kuberay/helm-chart/kuberay-operator",
			"blob/master/docs/guidance",
			// A published Ray release, pinned: not stale, only not this
			// project's pin.
			"image: rayproject/ray:2.9.0",
			// KubeRay's own sample, which the document applies, runs its own
			// Ray release (head and worker): followed and noted, not stale.
			"kubectl apply -n pod-security -f ray-cluster.complete.yaml",
			"kubectl apply -n pod-security -f ray-cluster.complete.yaml",
		},
	}, {
		file: "testdata/stale-tutorial.zh.md",
		want: []expected{
			{"请修改 helm-chart/kuberay-operator/values.yaml", "noop"},
			{"ray-operator/config/security/ray-cluster.pod-security.yaml", "path"},
			{"`rayproject/ray-ml:2.9.0`", "image"},
			{"kubectl port-forward svc/", "bind"},
		},
		notes: []string{"请修改 helm-chart/kuberay-operator/values.yaml", "--version 1.1.0"},
	}} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			checkDocument(t, c.file, c.want, c.notes)
		})
	}
}

func TestFindingsSayWhatIsTrue(t *testing.T) {
	data, err := os.ReadFile("testdata/stale-tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	r := checkText(t, "stale.md", data, reference(t))
	byRule := map[string]string{}
	for _, f := range r.Findings {
		byRule[f.Rule] += f.String() + "\n"
	}
	for rule, want := range map[string]string{
		"path":   "ray-operator/config/security/kind-config.yaml does not exist in KubeRay v1.6.2 — kind-config.yaml in this repository",
		"image":  "pin it by digest, from the release notes of the kind it runs with",
		"import": "from ray.train import RunConfig, ScalingConfig",
		"bind":   "bind 127.0.0.1 only: --address 127.0.0.1",
		"noop":   "securityContext.allowPrivilegeEscalation=false, securityContext.capabilities.drop=[ALL], securityContext.runAsNonRoot=true, securityContext.seccompProfile.type=RuntimeDefault",
		"chart":  "helm install kuberay-operator kuberay/kuberay-operator --version 1.6.2 --namespace pod-security --values fixtures/operator-values.yaml",
	} {
		if !strings.Contains(byRule[rule], want) {
			t.Errorf("rule %s: want a finding containing %q, got:\n%s", rule, want, byRule[rule])
		}
	}
	for _, f := range r.Findings {
		if s := f.String(); !strings.HasPrefix(s, fmt.Sprintf("%d: ", f.Line)) || !strings.Contains(s, " — ") {
			t.Errorf("finding %q is not `LINE: problem — what is true instead`", s)
		}
	}
}

// Names used with a file that cannot be read (KubeRay deleted it) are held
// against the fixture that replaces it; a name neither that fixture nor a
// file read creates is not checked (a note), as the unread file may.
func TestNamesWithAnUnreadableFile(t *testing.T) {
	doc := strings.Join([]string{
		"```sh",
		"kubectl apply -n pod-security -f https://raw.githubusercontent.com/ray-project/kuberay/v1.6.2/ray-operator/config/samples/ray-cluster.complete.yaml",
		"kubectl apply -n pod-security -f https://raw.githubusercontent.com/ray-project/kuberay/v1.6.2/ray-operator/config/security/ray-cluster.pod-security.yaml",
		"kubectl port-forward -n pod-security --address 127.0.0.1 svc/raycluster-pod-security-head-svc 8265:8265",
		"kubectl port-forward -n pod-security --address 127.0.0.1 svc/raycluster-secure-head-svc 8265:8265",
		"kubectl delete raycluster -n pod-security raycluster-complete",
		"kubectl delete configmap -n pod-security xgboost-example",
		"```",
	}, "\n")
	r := checkText(t, "doc.md", []byte(doc), reference(t))
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%d %s %s", f.Line, f.Rule, f.Problem))
	}
	want := []string{
		"3 path ray-operator/config/security/ray-cluster.pod-security.yaml does not exist in KubeRay v1.6.2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.ContainsFunc(r.Notes, func(n Note) bool {
		return n.Line == 5 && strings.Contains(n.Text, "raycluster-secure-head-svc") && strings.Contains(n.Text, "not checked")
	}) {
		t.Errorf("no not-checked note for line 5's Service: %v", r.Notes)
	}
}

// A copy that applies KubeRay's sample at a moving ref: the file is not
// read, so the RayCluster it makes is unknown, not absent: the lines that
// use it are notes, never "created by no YAML" findings.
func TestNamesOfAFileAtAMovingRefAreNotFindings(t *testing.T) {
	doc := strings.Join([]string{
		"```sh",
		"kubectl apply -n pod-security -f https://raw.githubusercontent.com/ray-project/kuberay/master/ray-operator/config/samples/ray-cluster.complete.yaml",
		"kubectl get raycluster -n pod-security raycluster-complete",
		"kubectl get pods -n pod-security -l ray.io/cluster=raycluster-complete",
		"kubectl delete raycluster -n pod-security raycluster-complete",
		"```",
	}, "\n")
	r := checkText(t, "doc.md", []byte(doc), reference(t))
	for _, f := range r.Findings {
		if f.Rule == "name" {
			t.Errorf("a name finding for what an unread file may create: %s", f)
		}
	}
	notes := 0
	for _, n := range r.Notes {
		if strings.Contains(n.Text, "RayCluster raycluster-complete") && strings.Contains(n.Text, "not checked") {
			notes++
		}
	}
	if notes != 3 {
		t.Errorf("%d not-checked notes on raycluster-complete, want 3 (one a line): %v", notes, r.Notes)
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "ref" }) {
		t.Errorf("the moving ref itself is still a finding: %v", r.Findings)
	}
}

// With a checkout, the chart values are the checkout's own chart: a values
// edit is a no-op only if that chart already has the values, and paths
// outside ray-operator/ are checked instead of noted.
func TestCheckoutReference(t *testing.T) {
	module, err := upstream.Dir(versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(module, filepath.Join(root, "ray-operator")); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(root, "helm-chart", "kuberay-operator")
	files := map[string]string{
		"Chart.yaml":                "apiVersion: v2\nname: kuberay-operator\nversion: 0.0.1\n",
		"values.yaml":               "image:\n  repository: quay.io/kuberay/operator\n  tag: v1.6.2\nsecurityContext: {}\n",
		"templates/deployment.yaml": "{{- with .Values.securityContext }}\n{{ toYaml . }}\n{{- end }}\n",
	}
	for name, content := range files {
		p := filepath.Join(chart, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ref, err := NewReference(root)
	if err != nil {
		t.Fatal(err)
	}
	if ref.KubeRayRoot != root || ref.ChartSource != filepath.Join(chart, "values.yaml") {
		t.Fatalf("reference %+v does not use the checkout's chart", ref)
	}
	doc := strings.Join([]string{
		"Edit helm-chart/kuberay-operator/values.yaml:",
		"",
		"```yaml",
		"securityContext:",
		"  runAsNonRoot: true",
		"```",
		"",
		"Then edit the values again:",
		"",
		"```yaml",
		"image:",
		"  tag: v1.6.2",
		"replicaCount: 2",
		"```",
		"",
		"See helm-chart/kuberay-operator/README.md.",
		"",
		"```sh",
		"kubectl get pods --namespace pod-security",
		"```",
	}, "\n")
	r := checkText(t, "doc.md", []byte(doc), ref)
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%d %s %s", f.Line, f.Rule, f.Problem))
	}
	all := strings.Join(got, "\n")
	// Line 1: securityContext is empty in this chart, so the edit is real.
	if strings.Contains(all, "1 noop") {
		t.Errorf("an edit the checkout's chart does not already have is not a no-op:\n%s", all)
	}
	// Line 8: image.tag is already v1.6.2, but replicaCount does not exist.
	if !strings.Contains(all, "8 noop the chart has no value replicaCount") {
		t.Errorf("want replicaCount reported as a value the chart does not have:\n%s", all)
	}
	if strings.Contains(all, "8 noop asks to edit") {
		t.Errorf("an edit that sets an unknown key is not a no-op, it is ineffective:\n%s", all)
	}
	// Line 16: README.md does not exist in this checkout's chart.
	if !strings.Contains(all, "16 path helm-chart/kuberay-operator/README.md does not exist") {
		t.Errorf("want the missing chart README reported:\n%s", all)
	}
	if len(r.Notes) != 0 {
		t.Errorf("with a checkout every path can be checked; notes: %v", r.Notes)
	}
	if _, err := NewReference(filepath.Join(root, "nothing")); err == nil || !strings.Contains(err.Error(), "pass a KubeRay checkout") {
		t.Errorf("a missing checkout must be refused with the fix named, got %v", err)
	}
}

// The report on a 200-line tutorial takes well under the second the
// project allows; BenchmarkCheck measures it.
func BenchmarkCheck(b *testing.B) {
	data, err := os.ReadFile("testdata/stale-tutorial.md")
	if err != nil {
		b.Fatal(err)
	}
	r := reference(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		checkText(b, "stale.md", data, r)
	}
}

// BenchmarkReferenceAndCheck is one run of tutorial-drift as a user makes
// it, reading the pinned KubeRay module and a 200-line tutorial.
func BenchmarkReferenceAndCheck(b *testing.B) {
	data, err := os.ReadFile("testdata/stale-tutorial.md")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		r, err := NewReference("")
		if err != nil {
			b.Fatal(err)
		}
		checkText(b, "stale.md", data, r)
	}
}

// BenchmarkCheckLongDocument checks a 10,000-line document: the stale test
// tutorial repeated, as a long page (or many pages joined) would be.
func BenchmarkCheckLongDocument(b *testing.B) {
	data, err := os.ReadFile("testdata/stale-tutorial.md")
	if err != nil {
		b.Fatal(err)
	}
	var long []byte
	for strings.Count(string(long), "\n") < 10000 {
		long = append(long, data...)
	}
	r := reference(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		checkText(b, "long.md", long, r)
	}
	b.ReportMetric(float64(strings.Count(string(long), "\n")), "lines")
}

// fakeCheckout is a KubeRay checkout in a temporary directory: the pinned
// ray-operator module, and files written for the test beside it.
func fakeCheckout(t *testing.T, files map[string]string) *Reference {
	t.Helper()
	module, err := upstream.Dir(versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(module, filepath.Join(root, "ray-operator")); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ref, err := NewReference(root)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// The files a tutorial applies and the chart it installs from a working tree
// are read from the checkout and checked like its own text; each finding
// names the file and the file's line, after the document's line that uses
// the file.
func TestFollowsTheFilesItApplies(t *testing.T) {
	staleCluster := strings.Join([]string{
		"apiVersion: v1", // 1
		"kind: ConfigMap",
		"metadata:",
		"  name: job-script",
		"data:", // 5
		"  job.py: |",
		"    from ray.air.config import ScalingConfig",
		`    ds = ray.data.read_csv("s3://anonymous@air-example-data/breast_cancer.csv")`,
		"---",
		"apiVersion: ray.io/v1", // 10
		"kind: RayCluster",
		"metadata:",
		"  name: stale-cluster",
		"spec:",
		"  headGroupSpec:", // 15
		"    template:",
		"      spec:",
		"        containers:",
		"        - name: ray-head",
		"          image: rayproject/ray-ml:2.9.0", // 20
		"        volumes:",
		"        - name: script",
		"          configMap:",
		"            name: example-script",
	}, "\n")
	ref := fakeCheckout(t, map[string]string{
		"docs/examples/stale-cluster.yaml":          staleCluster,
		"helm-chart/kuberay-operator/Chart.yaml":    "apiVersion: v2\nname: kuberay-operator\nversion: 0.0.1\n",
		"helm-chart/kuberay-operator/values.yaml":   "image:\n  repository: quay.io/kuberay/operator\n  tag: nightly\n",
		"helm-chart/kuberay-operator/templates/x.y": "",
	})
	doc := strings.Join([]string{
		"```sh", // 1
		"# Path: kuberay/docs/examples",
		"kubectl apply --namespace pod-security -f stale-cluster.yaml",
		"```",
		"", // 5
		"```sh",
		"# Path: kuberay/helm-chart/kuberay-operator",
		"helm install kuberay-operator . --namespace pod-security",
		"```",
		"", // 10
		"```sh",
		"kubectl apply --namespace pod-security -f fixtures/ray-cluster.pod-security.yaml",
		"```",
	}, "\n")
	r := checkText(t, "doc.md", []byte(doc), ref)
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%d %s:%d %s", f.Line, f.File, f.FileLine, f.Rule))
		if f.File != "" && !strings.HasPrefix(f.String(), fmt.Sprintf("%d: %s:%d: ", f.Line, f.File, f.FileLine)) {
			t.Errorf("finding %q does not start with the document's line, the file and its line", f)
		}
	}
	want := []string{
		"3 docs/examples/stale-cluster.yaml:7 import",
		"3 docs/examples/stale-cluster.yaml:8 data",
		"3 docs/examples/stale-cluster.yaml:20 image",
		"3 docs/examples/stale-cluster.yaml:24 name",
		"8 :0 chart",
		"8 helm-chart/kuberay-operator/values.yaml:3 image",
	}
	// This repository's fixture, applied at line 12, is followed too and
	// holds nothing stale.
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A file the document applies but this report cannot read is a note that
// says so and how to check it, never a silent pass.
func TestWhatCannotBeReadIsNoted(t *testing.T) {
	other := "https://raw.githubusercontent.com/ray-project/kuberay/v1.1.0/ray-operator/config/samples/ray-cluster.complete.yaml"
	doc := strings.Join([]string{
		"```sh", // 1
		"kubectl apply --namespace pod-security -f https://example.com/ray-cluster.yaml",
		"kubectl apply --namespace pod-security -f " + other,
		"cat <<EOF | kubectl apply --namespace pod-security -f -",
		"# Path: kuberay/docs/examples", // 5
		"kubectl apply --namespace pod-security -f x.yaml",
		"```",
	}, "\n")
	r := checkText(t, "doc.md", []byte(doc), reference(t))
	var got []string
	for _, n := range r.Notes {
		got = append(got, n.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"2: not checked: https://example.com/ray-cluster.yaml: a URL is not fetched",
		"3: not checked: " + other + ": the file at v1.1.0 is not read (the source at hand is KubeRay " + versions.KubeRay + ")",
		"3: note: links KubeRay at v1.1.0, not this project's pin",
		"4: not checked: the YAML kubectl reads from standard input here",
		"6: not checked: x.yaml: not in this repository or the pinned ray-operator module, so not checked; pass --kuberay",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("want a note %q; notes:\n%s", want, all)
		}
	}
	// v1.1.0's file is not read as v1.6.2's: no note on its images.
	if strings.Contains(all, "ray-cluster.complete.yaml:30") {
		t.Errorf("the file at another ref was followed with the pinned release's content:\n%s", all)
	}
	for _, f := range r.Findings {
		t.Errorf("unexpected finding %s", f)
	}
}

// Names the document creates in other ways than an applied YAML, and names
// that are no objects of the tutorial, are not findings.
func TestNamesItCreatesOtherwise(t *testing.T) {
	doc := strings.Join([]string{
		"Mount the ConfigMap read-only. The operator's Service `kuberay-operator` serves metrics.",
		"",
		"```sh",
		"kubectl create configmap job-code --namespace pod-security --from-file=job.py",
		"kubectl describe configmap job-code --namespace pod-security",
		"kubectl logs job/data-prep --namespace pod-security",
		"helm install prom prometheus-community/kube-prometheus-stack --version 48.2.1 --namespace pod-security",
		"```",
		"",
		"```yaml",
		"apiVersion: batch/v1",
		"kind: Job",
		"metadata:",
		"  name: data-prep",
		"```",
	}, "\n")
	r := checkText(t, "doc.md", []byte(doc), reference(t))
	for _, f := range r.Findings {
		t.Errorf("unexpected finding %s", f)
	}
	for _, n := range r.Notes {
		t.Errorf("unexpected note %s", n)
	}
	// Fires: the same document naming a ConfigMap it never creates.
	r = checkText(t, "doc.md", []byte(strings.Replace(doc, "describe configmap job-code", "describe configmap job-kode", 1)), reference(t))
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Problem, "ConfigMap job-kode is created by no YAML") {
		t.Errorf("findings %v, want the one for job-kode", r.Findings)
	}
}

// A script the document runs in the head Pod is a file of a ConfigMap its
// RayCluster mounts.
func TestScriptsComeFromMountedConfigMaps(t *testing.T) {
	yaml := strings.Join([]string{
		"```yaml",
		"apiVersion: v1",
		"kind: ConfigMap",
		"metadata:",
		"  name: job-code",
		"data:",
		"  train.py: |",
		"    print('ok')",
		"---",
		"apiVersion: ray.io/v1",
		"kind: RayCluster",
		"metadata:",
		"  name: rc",
		"spec:",
		"  headGroupSpec:",
		"    template:",
		"      spec:",
		"        containers:",
		"        - name: ray-head",
		"          image: rayproject/ray:2.46.0",
		"          volumeMounts:",
		"          - mountPath: /home/ray/code",
		"            name: code",
		"        volumes:",
		"        - name: code",
		"          configMap:",
		"            name: job-code",
		"```",
		"",
	}, "\n")
	run := func(script string) Report {
		doc := yaml + "```sh\nkubectl exec -n pod-security svc/rc-head-svc -- python3 " + script + "\n```\n"
		return checkText(t, "doc.md", []byte(doc), reference(t))
	}
	for _, quiet := range []string{"code/train.py", "/home/ray/code/train.py"} {
		if r := run(quiet); len(r.Findings) != 0 || len(r.Notes) != 0 {
			t.Errorf("%s: findings %v, notes %v", quiet, r.Findings, r.Notes)
		}
	}
	r := run("samples/xgboost_example.py")
	if len(r.Findings) != 1 || r.Findings[0].Rule != "script" || !strings.Contains(r.Findings[0].String(), "runs /home/ray/samples/xgboost_example.py, which no ConfigMap that a RayCluster of this tutorial mounts holds — the mounted files are /home/ray/code/train.py") {
		t.Errorf("findings %v", r.Findings)
	}
	// With no RayCluster read, it is noted as not checked.
	doc := "```sh\nkubectl exec -n pod-security svc/x-head-svc -- python3 samples/job.py\n```\n"
	r = checkText(t, "doc.md", []byte(doc), reference(t))
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0].Text, "whether a ConfigMap holds the script is not checked") {
		t.Errorf("notes %v", r.Notes)
	}
}

// A RayJob's cluster mounts ConfigMaps too: one no YAML creates is a
// finding, as for a RayCluster.
func TestRayJobClusterMounts(t *testing.T) {
	doc := strings.Join([]string{
		"```yaml",
		"apiVersion: ray.io/v1",
		"kind: RayJob",
		"metadata:",
		"  name: my-job",
		"spec:",
		"  entrypoint: python /home/ray/code/job.py",
		"  rayClusterSpec:",
		"    headGroupSpec:",
		"      template:",
		"        spec:",
		"          containers:",
		"          - name: ray-head",
		"            image: rayproject/ray:2.46.0",
		"          volumes:",
		"          - name: code",
		"            configMap:",
		"              name: no-such-code",
		"```",
		"",
		"```sh",
		"kubectl apply -n pod-security -f my-job.yaml",
		"```",
	}, "\n")
	r := checkText(t, "doc.md", []byte(strings.Replace(doc, "kubectl apply -n pod-security -f my-job.yaml", "kubectl get rayjob my-job -n pod-security", 1)), reference(t))
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Problem, "RayCluster my-job mounts ConfigMap no-such-code, which no YAML of this tutorial creates") {
		t.Errorf("findings %v", r.Findings)
	}
}
