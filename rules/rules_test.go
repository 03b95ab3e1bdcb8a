package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// command reads one shell line the way package document reads a tutorial.
func command(t *testing.T, line string) document.Command {
	t.Helper()
	d, err := document.Read("t.md", []byte("```sh\n"+line+"\n```\n"))
	if err != nil || len(d.Commands) != 1 {
		t.Fatalf("%q: %v, %d commands", line, err, len(d.Commands))
	}
	return d.Commands[0]
}

const sixLabels = "pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest " +
	"pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/audit-version=latest " +
	"pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=latest"

// Each rule fires on a command that breaks it (want: the rule and a part of
// the problem) and stays quiet on the tutorial's own command.
func TestCommandRules(t *testing.T) {
	for _, c := range []struct {
		line      string
		claims127 bool
		want      []string // "rule: problem part"
	}{
		// Quiet.
		{"kubectl label namespace pod-security " + sixLabels, true, nil},
		{"kubectl create namespace pod-security", true, nil},
		{"kubectl get pods --namespace pod-security", true, nil},
		{"helm install kuberay-operator kuberay/kuberay-operator --version 1.6.2 --namespace pod-security", true, nil},
		{"kubectl port-forward --namespace pod-security --address 127.0.0.1 svc/x 8265:8265", true, nil},
		{"kubectl port-forward --namespace pod-security svc/x 8265:8265", false, nil},
		{"curl -s http://127.0.0.1:8265/api/jobs/", true, nil},
		// Labels.
		{"kubectl label namespace pod-security " + strings.Replace(sixLabels, "warn=restricted", "warn=baseline", 1), true, []string{"labels: label pod-security.kubernetes.io/warn=baseline"}},
		{"kubectl label --overwrite namespace pod-security " + strings.Replace(sixLabels, " pod-security.kubernetes.io/warn-version=latest", "", 1), true, []string{"labels: label pod-security.kubernetes.io/warn-version=latest is missing"}},
		{"kubectl label namespace pod-security " + sixLabels + " team=ray", true, []string{"labels: label team=ray is not a Pod Security Admission label"}},
		{"kubectl label namespace pod-security " + sixLabels + " pod-security.kubernetes.io/extra=x", true, []string{"labels: label pod-security.kubernetes.io/extra=x is not one of the six"}},
		{"kubectl label --overwrite namespace/pod-security pod-security.kubernetes.io/enforce=baseline", true, []string{
			"labels: label pod-security.kubernetes.io/enforce=baseline", "labels: label pod-security.kubernetes.io/enforce-version=latest is missing",
			"labels: label pod-security.kubernetes.io/audit=restricted is missing", "labels: label pod-security.kubernetes.io/audit-version=latest is missing",
			"labels: label pod-security.kubernetes.io/warn=restricted is missing", "labels: label pod-security.kubernetes.io/warn-version=latest is missing"}},
		// Quiet: removing labels, or labels that are not Pod Security's.
		{"kubectl label namespace pod-security pod-security.kubernetes.io/enforce-", true, nil},
		{"kubectl label namespace pod-security team=ray", true, nil},
		// Namespace.
		{"kubectl label ns/kuberay " + sixLabels, true, []string{"namespace: kubectl label namespace kuberay"}},
		{"kubectl get pods -n default", true, []string{"namespace: --namespace default"}},
		{"kubectl create namespace ray-security", true, []string{"namespace: kubectl create namespace ray-security"}},
		{"helm install op kuberay/kuberay-operator --version 1.6.2 --namespace=kuberay", true, []string{"namespace: --namespace kuberay"}},
		// Chart.
		{"helm install op kuberay/kuberay-operator --namespace pod-security", true, []string{"chart: installs the newest chart, not a pinned one"}},
		{"helm install op . --namespace pod-security", true, []string{"chart: installs the chart of a KubeRay working tree"}},
		{"helm install op kuberay/kuberay-operator --version ^1.6 --namespace pod-security", true, []string{"chart: chart version ^1.6 is not one release"}},
		{"helm install op kuberay/kuberay-operator --version 1.5.1 --namespace pod-security", true, []string{"chart (note): chart version 1.5.1 differs from this project's pin"}},
		// Bind.
		{"kubectl port-forward --namespace pod-security --address 0.0.0.0 svc/x 8265:8265", true, []string{"bind: --address 0.0.0.0 binds every network interface"}},
		{"kubectl port-forward --namespace pod-security --address=192.168.1.5 svc/x 8265:8265", true, []string{"bind: kubectl port-forward --address 192.168.1.5 opens the dashboard"}},
		{"kubectl port-forward --namespace pod-security svc/x 8265:8265", true, []string{"bind: kubectl port-forward without --address"}},
		{"ray start --head --dashboard-host=0.0.0.0", true, []string{"bind: --dashboard-host 0.0.0.0"}},
		{"python -m http.server --bind :: 8000", true, []string{"bind: --bind :: binds every network interface"}},
		{"curl http://0.0.0.0:8265/api/jobs/", true, []string{`bind: "http://0.0.0.0:8265/api/jobs/" binds or reaches every network interface`}},
	} {
		var got []string
		for _, f := range Command(command(t, c.line), c.claims127) {
			if f.Note {
				f.Rule += " (note)"
			}
			got = append(got, f.Rule+": "+f.Problem)
			if f.Truth == "" || f.Line != 2 {
				t.Errorf("%q: finding %+v must have its line and say what is true", c.line, f)
			}
		}
		expectPrefixes(t, c.line, got, c.want)
	}
}

func TestRefusal(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{`Error from server (Forbidden): pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "ray-head" must set securityContext.allowPrivilegeEscalation=false)`, nil},
		{"no refusal on this line", nil},
		{`violates PodSecurity \"restricted:v1.24\": runAsNonRoot != true`, []string{"the refusal names policy restricted:v1.24"}},
		{`violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "ray-head" must set allowPrivilegeEscalation)`, []string{"the head Pod's refusal is not worded"}},
	} {
		fs := Line(7, c.line)
		if len(fs) != len(c.want) {
			t.Errorf("%q: %v, want %v", c.line, fs, c.want)
			continue
		}
		for i, w := range c.want {
			if fs[i].Rule != "message" || fs[i].Line != 7 || !strings.HasPrefix(fs[i].Problem, w) {
				t.Errorf("%q: %+v, want %q", c.line, fs[i], w)
			}
		}
	}
}

func TestImages(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string // "finding: problem part" or "note: problem part"
	}{
		// Quiet: the pins, and repositories named without a tag.
		{"image: " + versions.RayImage, nil},
		{"kind create cluster --image " + versions.KindNodeImage124, nil},
		{"The operator image is `quay.io/kuberay/operator`, and the probe " + versions.PauseImage + ".", nil},
		{"  repository: quay.io/kuberay/operator", nil},
		// Findings: what cannot be reproduced.
		{"image: rayproject/ray-ml:2.9.0", []string{"finding: rayproject/ray-ml:2.9.0: the rayproject/ray-ml images are discontinued"}},
		{"image: rayproject/ray:latest", []string{"finding: image rayproject/ray:latest is not pinned: tag latest moves"}},
		{"image: rayproject/ray:nightly-py311", []string{"finding: image rayproject/ray:nightly-py311 is not pinned"}},
		{"kind create cluster --image kindest/node:v1.26.0", []string{"finding: Kind node image kindest/node:v1.26.0 is pinned by tag alone"}},
		{"    image: busybox", []string{"finding: image busybox is not pinned"}},
		{"    image: busybox:latest", []string{"finding: image busybox:latest is not pinned"}},
		// Notes: published releases, pinned, other than this project's.
		{"image: rayproject/ray:2.9.0", []string{"note: image rayproject/ray:2.9.0 differs from this project's pin"}},
		{"image: rayproject/ray:2.60.0-py311", []string{"note: image rayproject/ray:2.60.0-py311 differs"}},
		{"kind create cluster --image " + versions.KindNodeImage137, []string{"note: image " + versions.KindNodeImage137 + " differs"}},
		{"helm upgrade --set image.tag=x quay.io/kuberay/operator:v1.5.1", []string{"note: image quay.io/kuberay/operator:v1.5.1 differs"}},
		{"    image: busybox:1.36", []string{"note: image busybox:1.36 is not one this project pins or checks"}},
		// Where an image is used, a repository alone is unpinned; in prose it
		// is a name, even a discontinued one.
		{"kind create cluster --image kindest/node --config kind-config.yaml", []string{"finding: image kindest/node is not pinned"}},
		{"    image: rayproject/ray", []string{"finding: image rayproject/ray is not pinned"}},
		{"The rayproject/ray-ml images are discontinued; use rayproject/ray.", nil},
		{"- image: the Ray image every Pod runs", nil},
		// A digest is a pin: quiet when it is this project's, a note else.
		{"    image: kindest/node@" + strings.SplitN(versions.KindNodeImage124, "@", 2)[1], nil},
		{"    image: rayproject/ray@sha256:" + strings.Repeat("0", 64), []string{"note: image rayproject/ray@sha256:" + strings.Repeat("0", 64) + " differs"}},
	} {
		var got []string
		for _, f := range Line(3, c.line) {
			kind := "finding: "
			if f.Note {
				kind = "note: "
			}
			got = append(got, kind+f.Problem)
			if f.Rule != "image" || f.Line != 3 || f.Truth == "" {
				t.Errorf("%q: %+v", c.line, f)
			}
		}
		expectPrefixes(t, c.line, got, c.want)
	}
}

func TestRayAPIAndRemoteData(t *testing.T) {
	if _, err := fixtureScript(); err != nil {
		t.Fatalf("the fix RayAPI quotes: %v", err)
	}
	for _, c := range []struct {
		line string
		want []string // "rule: problem part"
	}{
		// Quiet: the fixture's way, and URLs that are no data.
		{"from ray.train import RunConfig, ScalingConfig", nil},
		{`"train": data.from_items(synthetic_rows(ROWS_TRAIN, seed=1)),`, nil},
		{"kubectl apply -f https://raw.githubusercontent.com/ray-project/kuberay/v1.6.2/ray-operator/config/samples/ray-cluster.complete.yaml", nil},
		{"See https://docs.ray.io/en/latest/train/train.html.", nil},
		// Fires.
		{"from ray.air.config import ScalingConfig", []string{"import: ray.air.config is Ray AIR's API"}},
		{"from ray.air import session", []string{"import: ray.air is Ray AIR's API"}},
		{`ds = ray.data.read_csv("s3://anonymous@air-example-data/breast_cancer.csv")`, []string{"data: reads s3://anonymous@air-example-data/breast_cancer.csv"}},
		{`ds = ray.data.read_parquet("gs://bucket/x")`, []string{"data: reads gs://bucket/x"}},
		{`df = pd.read_csv("https://example.com/data/iris.csv.gz")`, []string{"data: reads https://example.com/data/iris.csv"}},
		{"    trainer = ray.air.session.get_world_rank()", []string{"import: ray.air.session.get_world_rank is Ray AIR's API"}},
		// Quiet: prose that names Ray AIR, a comment, a download of a release.
		{"Ray AIR (`ray.air`) was folded into ray.train.", nil},
		{`        # ds = ray.data.read_csv("s3://anonymous@air-example-data/breast_cancer.csv")`, nil},
		{"curl -LO https://github.com/ray-project/kuberay/archive/refs/tags/v1.6.2.tar.gz", nil},
		{"helm install kuberay-operator https://example.com/charts/kuberay-operator-1.6.2.tgz", nil},
	} {
		var got []string
		for _, f := range Line(5, c.line) {
			got = append(got, f.Rule+": "+f.Problem)
		}
		expectPrefixes(t, c.line, got, c.want)
	}
}

// fakeKubeRay is a KubeRay source that has the paths it lists, and can check
// only ray-operator/ unless it is a checkout.
type fakeKubeRay struct {
	paths    map[string]bool
	checkout bool
}

func (f fakeKubeRay) Describe() string { return "KubeRay vX" }
func (f fakeKubeRay) Path(p string) (bool, bool) {
	if !f.checkout && !strings.HasPrefix(p, "ray-operator/") {
		return false, false
	}
	return f.paths[p], true
}

func TestKubeRayRefs(t *testing.T) {
	src := fakeKubeRay{paths: map[string]bool{"ray-operator/config/samples/ray-cluster.complete.yaml": true}}
	pinned := "https://raw.githubusercontent.com/ray-project/kuberay/" + versions.KubeRay + "/ray-operator/config/samples/ray-cluster.complete.yaml"
	for _, c := range []struct {
		line string
		src  KubeRay
		want []string // "rule: problem part", "(unchecked)" marks an Unchecked finding
	}{
		// Quiet.
		{"kubectl apply -f " + pinned, src, nil},
		{"Read `ray-operator/config/samples/ray-cluster.complete.yaml`.", src, nil},
		{"The main idea is simple.", src, nil},
		// Fires.
		{"kubectl apply -f " + strings.Replace(pinned, versions.KubeRay, "master", 1), src, []string{"ref: links KubeRay at master"}},
		{"See https://github.com/ray-project/kuberay/blob/" + versions.KubeRay + "/ray-operator/config/security/kind-config.yaml.", src,
			[]string{"path: ray-operator/config/security/kind-config.yaml does not exist in KubeRay vX"}},
		{"kubectl apply -f " + strings.Replace(pinned, versions.KubeRay, "v1.1.0", 1), src, []string{"ref (note): links KubeRay at v1.1.0, not this project's pin"}},
		{"Check out the `master` branch of KubeRay.", src, []string{`ref: "Check out the ` + "`master`" + ` branch"`}},
		{"Edit helm-chart/kuberay-operator/values.yaml.", src, []string{"path (unchecked): helm-chart/kuberay-operator/values.yaml: KubeRay vX here is the ray-operator Go module only"}},
		{"Edit helm-chart/kuberay-operator/values.yaml.", fakeKubeRay{checkout: true}, []string{"path: helm-chart/kuberay-operator/values.yaml does not exist"}},
	} {
		var got []string
		for _, f := range KubeRayRefs(4, c.line, c.src) {
			r := f.Rule
			if f.Unchecked {
				r += " (unchecked)"
			}
			if f.Note {
				r += " (note)"
			}
			got = append(got, r+": "+f.Problem)
		}
		expectPrefixes(t, c.line, got, c.want)
	}
	// The replacement this repository offers for a deleted file.
	fs := KubeRayPath(1, "ray-operator/config/security/audit-policy.yaml", src)
	if len(fs) != 1 || fs[0].Truth != "audit-policy.yaml in this repository" {
		t.Errorf("deleted audit policy: %+v", fs)
	}
}

// fakeKnown creates the objects it lists, as "Kind/name"; "unread" lists
// why some of them are unknown.
type fakeKnown map[string]bool

func (k fakeKnown) Has(kind, name string) bool  { return k[kind+"/"+name] }
func (k fakeKnown) Describe(kind string) string { return "the " + kind + "s it lists" }
func (k fakeKnown) Unread() string {
	if k["unread"] {
		return "a file it applies was not read"
	}
	return ""
}

func TestObjectNames(t *testing.T) {
	doc := strings.Join([]string{
		"Apply the RayCluster `rc` and the ConfigMap `cm`.", // 1: quiet
		"```sh",
		"kubectl get raycluster rc-typo -n pod-security",            // 3
		"kubectl port-forward svc/rc-head-svc 8265:8265",            // 4: quiet
		"kubectl port-forward svc/other-head-svc 8265:8265",         // 5
		"kubectl logs job/rj-x",                                     // 6
		"kubectl get pods -l ray.io/cluster=rc-old -n pod-security", // 7
		"kubectl get raycluster rj-w6b2x -n pod-security",           // 8: quiet, the RayJob's
		"kubectl get raycluster rj-old-w6b2x -n pod-security",       // 9
		"```",
	}, "\n")
	d, err := document.Read("t.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	known := fakeKnown{"RayCluster/rc": true, "ConfigMap/cm": true, "Service/rc-head-svc": true, "RayJob/rj": true}
	var got []string
	for _, f := range ObjectNames(d, known) {
		got = append(got, fmt.Sprintf("%d %s", f.Line, f.Problem))
	}
	want := []string{
		"3 RayCluster rc-typo is created by no YAML of this tutorial",
		"5 Service other-head-svc is no RayCluster's head Service",
		"6 Job rj-x is no RayJob's submitter Job",
		"7 RayCluster rc-old is created by no YAML of this tutorial",
		"9 RayCluster rj-old-w6b2x is created by no YAML of this tutorial",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// With a file that was not read, the same names are not checked:
	// notes, never findings.
	known["unread"] = true
	for _, f := range ObjectNames(d, known) {
		if !f.Unchecked || !strings.HasPrefix(f.Truth, "not checked: a file it applies was not read") {
			t.Errorf("with an unread file: %+v, want a not-checked note", f)
		}
	}
}

// expectPrefixes checks that got holds exactly one entry per want, in
// order, each starting with it.
func expectPrefixes(t *testing.T, input string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%q: %q, want %d matching %q", input, got, len(want), want)
		return
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("%q: %q, want one starting %q", input, got[i], w)
		}
	}
}

func TestMarkdown(t *testing.T) {
	closed, err := document.Read("t.md", []byte("```sh\nkubectl get pods\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	if fs := Markdown(closed); len(fs) != 0 {
		t.Errorf("closed blocks: %v", fs)
	}
	open, err := document.Read("t.md", []byte("text\n\n~~~~sh\nkubectl get pods\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs := Markdown(open)
	if len(fs) != 1 || fs[0].Line != 3 || fs[0].Rule != "markdown" || !strings.Contains(fs[0].Truth, "close it with ~~~~") {
		t.Errorf("unclosed block: %+v", fs)
	}
}

func TestHelm(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       int // the note's line, 0 for none
	}{
		{"Helm 3 alone", "# T\n\nYou need kind, kubectl and Helm 3.\n", 3},
		{"a Helm 3 release", "# T\n\nInstall Helm v3.14.0 first.\n", 3},
		{"the Helm 3 SDK", "# T\n\n```go\nimport \"helm.sh/helm/v3/pkg/action\"\n```\n", 4},
		{"Helm 4, Helm 3 as the older choice", "# T\n\nUse Helm 4.\n\nHelm 3 is the older choice.\n", 0},
		{"no Helm named", "# T\n\nhelm install x y\n", 0},
		{"a helm 3 chart word", "# T\n\nThe chart's Helm 30 values.\n", 0},
	} {
		d, err := document.Read("t.md", []byte(c.text+"\n```sh\nhelm version\n```\n"))
		if err != nil {
			t.Fatal(err)
		}
		fs := Helm(d)
		switch {
		case c.want == 0 && len(fs) != 0:
			t.Errorf("%s: %v, want nothing", c.name, fs)
		case c.want != 0 && (len(fs) != 1 || fs[0].Line != c.want || !fs[0].Note || fs[0].Rule != "helm"):
			t.Errorf("%s: %v, want one helm note at line %d", c.name, fs, c.want)
		}
	}
}
