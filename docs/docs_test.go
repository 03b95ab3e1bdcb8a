package docs

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/drift"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The documents this directory keeps true, English first: the others are
// compared with it.
var documents = []string{"pod-security.md", "pod-security.zh.md"}

var (
	factsOnce sync.Once
	docFacts  *Facts
	factsErr  error
)

func loadFacts(t testing.TB) *Facts {
	t.Helper()
	factsOnce.Do(func() { docFacts, factsErr = LoadFacts() })
	if factsErr != nil {
		t.Fatal(factsErr)
	}
	return docFacts
}

func readDoc(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func parse(t testing.TB, name, text string) *document.Document {
	t.Helper()
	d, err := document.Read(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDocumentsAreTrue(t *testing.T) {
	f := loadFacts(t)
	for _, name := range documents {
		t.Run(name, func(t *testing.T) {
			d := parse(t, name, readDoc(t, name))
			// A document without blocks or steps would pass every check.
			if len(d.Blocks) < len(facts.Steps) {
				t.Fatalf("%s has %d code blocks; each of the %d steps needs its commands", name, len(d.Blocks), len(facts.Steps))
			}
			for _, p := range Check(d, ".", f) {
				t.Error(p)
			}
		})
	}
}

// docs/automation.md carries each step's test and go test block.
func TestAutomationIsTrue(t *testing.T) {
	f := loadFacts(t)
	d := parse(t, Automation, readDoc(t, Automation))
	steps := 0
	for _, b := range d.Blocks {
		if facts.StepIndex(b.Marker) >= 0 {
			steps++
		}
	}
	// A page without the steps' blocks would pass every check.
	if steps < len(facts.Steps) {
		t.Fatalf("%s has %d blocks marked with a step; each of the %d steps needs its go test block", Automation, steps, len(facts.Steps))
	}
	for _, p := range CheckAutomation(d, f) {
		t.Error(p)
	}
}

func TestTranslationsCarryTheSameCommands(t *testing.T) {
	en := parse(t, documents[0], readDoc(t, documents[0]))
	for _, name := range documents[1:] {
		for _, p := range Compare(en, parse(t, name, readDoc(t, name))) {
			t.Error(p)
		}
	}
}

// The drift report finds nothing in the documents it is meant to bring
// other copies back to.
func TestDocumentsHaveNoDrift(t *testing.T) {
	ref, err := drift.NewReference("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range documents {
		r := drift.Check(parse(t, name, readDoc(t, name)), ref)
		for _, f := range r.Findings {
			t.Errorf("%s:%s", name, f)
		}
		for _, n := range r.Notes {
			// A pin of another file that differs from this project's (KubeRay's
			// own sample runs its own Ray) is no drift; the documents' own pins
			// are held exactly by Check.
			if !n.Differs {
				t.Errorf("%s:%s (the documents should name only paths that can be checked)", name, n)
			}
		}
	}
}

// mutate returns the English document with old replaced by new, failing if
// old is not there (the mutation would test nothing).
func mutate(t *testing.T, old, new string) string {
	t.Helper()
	doc := readDoc(t, documents[0])
	if !strings.Contains(doc, old) {
		t.Fatalf("the document no longer contains %q; update this mutation", old)
	}
	return strings.Replace(doc, old, new, 1)
}

// Each check fails on a document that breaks its fact.
func TestCheckFindsEachKindOfError(t *testing.T) {
	f := loadFacts(t)
	for _, c := range []struct {
		name, old, new string
		want           []string
	}{
		{"namespace", "kubectl create namespace pod-security", "kubectl create namespace ray-security",
			[]string{"the tutorial's namespace is pod-security"}},
		{"Helm release", "with\nHelm v4.3.2 against", "with\nHelm v4.0.0 against",
			[]string{"Helm v4.0.0: the page's helm lines run with Helm " + versions.Helm}},
		{"namespace flag", "kubectl apply --namespace pod-security --filename fixtures", "kubectl apply --namespace default --filename fixtures",
			[]string{"--namespace default: the tutorial's namespace is pod-security"}},
		{"label value", "warn-version=latest", "warn-version=v1.24",
			[]string{"label pod-security.kubernetes.io/warn-version=v1.24: step 3 sets pod-security.kubernetes.io/warn-version=latest"}},
		{"missing label", "  pod-security.kubernetes.io/audit=restricted \\\n", "",
			[]string{"label pod-security.kubernetes.io/audit=restricted is missing"}},
		{"extra label", "  pod-security.kubernetes.io/warn-version=latest\n", "  pod-security.kubernetes.io/warn-version=latest \\\n  team=ray\n",
			[]string{"label team=ray is not a Pod Security Admission label"}},
		{"bind address", "--address 127.0.0.1", "--address 0.0.0.0",
			[]string{"--address 0.0.0.0 binds every network interface: anyone who can reach this machine reaches the server: bind 127.0.0.1 only"}},
		{"kind node image", "--image kindest/node:v1.24.17@sha256:bad10f9b98d54586cba05a7eaa1b61c6b90bfc4ee174fdc43a7b75ca75c95e51 --config", "--image kindest/node:v1.24.17 --config",
			[]string{"Kind node image kindest/node:v1.24.17 is pinned by tag alone"}},
		{"kind node image without a tag", "--image kindest/node:v1.24.17@sha256:bad10f9b98d54586cba05a7eaa1b61c6b90bfc4ee174fdc43a7b75ca75c95e51 --config", "--image kindest/node --config",
			[]string{"image kindest/node is not pinned"}},
		{"kind node image of another release", "--image kindest/node:v1.24.17@sha256:bad10f9b98d54586cba05a7eaa1b61c6b90bfc4ee174fdc43a7b75ca75c95e51 --config", "--image " + versions.KindNodeImage137 + " --config",
			[]string{"image " + versions.KindNodeImage137 + " differs from this project's pin: this project runs and checks kindest/node:v1.24.17@sha256:"}},
		{"image in prose", "image `rayproject/ray:2.46.0`", "image `rayproject/ray-ml:2.9.0`",
			[]string{"rayproject/ray-ml:2.9.0: the rayproject/ray-ml images are discontinued"}},
		{"chart version", "--version 1.6.2", "--version 1.4.0",
			[]string{"chart version 1.4.0 differs from this project's pin: helm install kuberay-operator kuberay/kuberay-operator --version 1.6.2"}},
		{"chart without version", "--version 1.6.2 --namespace", "--namespace",
			[]string{"installs the newest chart, not a pinned one"}},
		{"values excerpt", "  runAsNonRoot: true\n  seccompProfile:\n    type: RuntimeDefault\npodSecurityContext", "  runAsNonRoot: false\n  seccompProfile:\n    type: RuntimeDefault\npodSecurityContext",
			[]string{"the excerpt differs from fixtures/operator-values.yaml: securityContext.runAsNonRoot is true there, false here"}},
		{"RayCluster excerpt, container", "            runAsUser: 1000\n", "            runAsUser: 0\n",
			[]string{"the excerpt differs from fixtures/ray-cluster.pod-security.yaml: spec.headGroupSpec.template.spec.containers.[ray-head].securityContext.runAsUser is 1000 there, 0 here"}},
		{"RayCluster excerpt, Pod", "        securityContext:\n          runAsNonRoot: true\n", "        securityContext:\n          runAsNonRoot: false\n",
			[]string{"the excerpt differs from fixtures/ray-cluster.pod-security.yaml: spec.headGroupSpec.template.spec.securityContext.runAsNonRoot is true there, false here"}},
		{"RayCluster excerpt, container name", "        - name: ray-head\n          securityContext:", "        - name: ray-worker\n          securityContext:",
			[]string{"spec.headGroupSpec.template.spec.containers has no item named ray-worker there"}},
		{"RayCluster excerpt, object", "kind: RayCluster\nmetadata:\n  name: raycluster-pod-security\n", "kind: RayCluster\nmetadata:\n  name: raycluster-complete\n",
			[]string{"fixtures/ray-cluster.pod-security.yaml: the file holds no RayCluster raycluster-complete"}},
		{"step marker", "<!-- step: 2 -->\n```sh\ndocker", "```sh\ndocker",
			[]string{"code block without a step marker"}},
		{"unknown marker", "<!-- step: clean-up -->", "<!-- step: 6 -->",
			[]string{`step marker "6" names no step`}},
		{"KubeRay tag", "kuberay/v1.6.2/ray-operator", "kuberay/master/ray-operator",
			[]string{"links KubeRay at master, which changes under the tutorial: the tutorial is pinned to KubeRay v1.6.2"}},
		{"KubeRay path", "ray-operator/config/samples/ray-cluster.complete.yaml", "ray-operator/config/security/ray-cluster.complete.yaml",
			[]string{"ray-operator/config/security/ray-cluster.complete.yaml does not exist in KubeRay v1.6.2"}},
		{"link", "(pod-security.zh.md)", "(pod-security.cn.md)",
			[]string{"link pod-security.cn.md: no such file"}},
		// Step 6's RayJobs.
		{"KubeRay releases", "this project pins (v1.5.1, v1.6.2)", "this project pins (v1.5.1, v1.6.1)",
			[]string{"KubeRay releases (v1.5.1, v1.6.1): the suite pins and checks v1.5.1, v1.6.2; list exactly those"}},
		{"KubeRay path the module cannot check", "`ray-operator/controllers/ray/common/job.go`", "`helm-chart/kuberay-operator/values.yaml`",
			[]string{"helm-chart/kuberay-operator/values.yaml: KubeRay v1.6.2 here is the ray-operator Go module only: refer to KubeRay's files under ray-operator/"}},
		{"kind of another release", "go install sigs.k8s.io/kind@v0.33.0\n", "go install sigs.k8s.io/kind@v0.22.0\n",
			[]string{"go install sigs.k8s.io/kind@v0.22.0: the documents install kind at the release this project pins, go install sigs.k8s.io/kind@" + versions.KindLibrary}},
		{"kind at latest", "go install sigs.k8s.io/kind@v0.33.0\n", "go install sigs.k8s.io/kind@latest\n",
			[]string{"go install sigs.k8s.io/kind@latest: the documents install kind at the release this project pins"}},
		{"clone of another repository", "git clone https://github.com/kuberay-docs/pod-security-e2e.git", "git clone https://github.com/ray-project/kuberay.git",
			[]string{"git clone https://github.com/ray-project/kuberay.git: the documents run git only to clone this repository, git clone https://github.com/kuberay-docs/pod-security-e2e.git"}},
		{"cd elsewhere", "cd pod-security-e2e\n", "cd kuberay\n",
			[]string{"cd kuberay: the documents cd only into the clone, cd pod-security-e2e"}},
		{"before marker", "<!-- step: before -->\n```sh\ngo install", "<!-- step: prerequisites -->\n```sh\ngo install",
			[]string{`step marker "prerequisites" names no step: use one of`, "or before, local, offline, clean-up"}},
		{"KubeRay source path", "`ray-operator/controllers/ray/common/job.go`", "`ray-operator/controllers/ray/job.go`",
			[]string{"ray-operator/controllers/ray/job.go does not exist in KubeRay v1.6.2"}},
		// The tutorial pages run nothing of the suite's.
		{"go test in the tutorial", "kind delete cluster --name pod-security\n", "kind delete cluster\ngo test ./e2e -v -run 'TestTutorial/^1_'\n",
			[]string{"go test ./e2e -v -run TestTutorial/^1_: the tutorial pages are followed by hand and run no go test or make: the suite's commands are on docs/automation.md"}},
		{"make in the tutorial", "kind delete cluster --name pod-security\n", "kind delete cluster\nmake e2e-kind\n",
			[]string{"make e2e-kind: the tutorial pages are followed by hand and run no go test or make: the suite's commands are on docs/automation.md"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectProblems(t, Check(parse(t, "mutated.md", mutate(t, c.old, c.new)), ".", f), c.want)
		})
	}
}

// Each rule over docs/automation.md fails on a page that breaks it.

// The objects the page names are drift's to check, with the files the page
// applies: a wrong name is a finding.
func TestDriftFindsObjectNamesTheDocumentsGetWrong(t *testing.T) {
	ref, err := drift.NewReference("")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, old, new string
		want           []string
	}{
		{"RayCluster name", "kubectl delete raycluster raycluster-complete", "kubectl delete raycluster raycluster-completed",
			[]string{"RayCluster raycluster-completed is created by no YAML of this tutorial"}},
		{"ConfigMap name in prose", "ConfigMap `xgboost-example` and", "ConfigMap `ray-example` and",
			[]string{"ConfigMap ray-example is created by no YAML of this tutorial: its ConfigMaps are xgboost-example"}},
		{"RayJob name", "kubectl get rayjob rayjob-sidecar --namespace", "kubectl get rayjob rayjob-side-car --namespace",
			[]string{"RayJob rayjob-side-car is created by no YAML of this tutorial"}},
		{"RayJob in prose", "RayJob `rayjob-sidecar`", "RayJob `rayjob-sidecars`",
			[]string{"RayJob rayjob-sidecars is created by no YAML of this tutorial"}},
		{"RayCluster in a selector", "--selector ray.io/cluster=raycluster-complete", "--selector ray.io/cluster=raycluster-x",
			[]string{"RayCluster raycluster-x is created by no YAML of this tutorial"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []Problem
			for _, f := range drift.Check(parse(t, "mutated.md", mutate(t, c.old, c.new)), ref).Findings {
				got = append(got, Problem{Doc: "mutated.md", Line: f.Line, Msg: f.Problem + ": " + f.Truth})
			}
			expectProblems(t, got, c.want)
		})
	}
}

func TestCheckAutomationFindsEachKindOfError(t *testing.T) {
	f := loadFacts(t)
	page := readDoc(t, Automation)
	for _, c := range []struct {
		name, old, new string
		want           []string
	}{
		{"inline path", "(`e2e/step3_namespace_test.go`)", "(`e2e/step3_test.go`)",
			[]string{"e2e/step3_test.go does not exist in this repository"}},
		{"run pattern", "-run 'TestTutorial/^1_'", "-run 'TestTutorial/1_'",
			[]string{"-run TestTutorial/1_ runs steps [1 5.1 6.1], not step 1 alone: use -run 'TestTutorial/^1_'"}},
		{"test name", "`TestTutorial/2_the_audit_log_holds_nothing_for_pod-security_yet`", "`TestTutorial/2_nothing_yet`",
			[]string{"TestTutorial/2_nothing_yet is not a step's test", "step 2 does not name the test that proves it"}},
		{"make target", "make e2e-kind", "make e2e-kindx",
			[]string{`the Makefile has no target "e2e-kindx"`}},
		{"setting value", "E2E_KUBERNETES_VERSION=1.34 go test", "E2E_KUBERNETES_VERSION=1.30 go test",
			[]string{`Kubernetes version "1.30" is not pinned`}},
		{"setting name", "E2E_KUBERNETES_VERSION=1.34 go test", "E2E_K8S_VERSION=1.34 go test",
			[]string{"E2E_K8S_VERSION is not a setting of the suite"}},
		{"steps in order", "<!-- step: 3 -->\n```sh\ngo test", "<!-- step: 1 -->\n```sh\ngo test",
			[]string{"a block of step 1 comes after a block of step 2"}},
		{"go test block missing", "<!-- step: 4 -->\n```sh\ngo test ./e2e -v -run 'TestTutorial/^4_'\n```\n", "",
			[]string{"step 4 does not say how to run it alone: add a block marked <!-- step: 4 --> with go test ./e2e -v -run 'TestTutorial/^4_'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(page, c.old) {
				t.Fatalf("%s no longer contains %q; update this mutation", Automation, c.old)
			}
			expectProblems(t, CheckAutomation(parse(t, "mutated.md", strings.Replace(page, c.old, c.new, 1)), f), c.want)
		})
	}
}

func TestCompareFindsDifferentCommands(t *testing.T) {
	en := parse(t, documents[0], readDoc(t, documents[0]))
	zhText := readDoc(t, documents[1])
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"changed command", "helm repo update kuberay\n", "helm repo update\n", `"helm repo update" differs from pod-security.md line`},
		{"missing block", "<!-- step: clean-up -->\n```sh\nkind delete cluster --name pod-security\nhelm repo remove kuberay\n```\n", "", "code blocks, pod-security.md has"},
		{"other step", "<!-- step: clean-up -->", "<!-- step: offline -->", `for step "offline", but in pod-security.md`},
		{"extra line", "helm repo remove kuberay\n", "helm repo remove kuberay\ndocker ps\n", `"docker ps" is not in pod-security.md's block`},
		{"missing RayJob command", "kubectl logs --namespace pod-security job/rayjob-hardened-submitter\n", "", `the block lacks "kubectl logs --namespace pod-security job/rayjob-hardened-submitter"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(zhText, c.old) {
				t.Fatalf("the Chinese document no longer contains %q", c.old)
			}
			zh := parse(t, "zh.md", strings.Replace(zhText, c.old, c.new, 1))
			var all []string
			for _, p := range Compare(en, zh) {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Errorf("want a problem containing %q; got %q", c.want, all)
			}
		})
	}
	// Comments are translated, so they may differ.
	zh := parse(t, "zh.md", strings.Replace(zhText, "# fixtures/operator-values.yaml（节选）", "# fixtures/operator-values.yaml（摘录）", 1))
	if p := Compare(en, zh); len(p) != 0 {
		t.Errorf("a translated comment must not count as a different command: %v", p)
	}
}

// The translations' external links correspond: kubernetes.io's pages in
// their Chinese version, other links as they are.
func TestCompareFindsDifferentLinks(t *testing.T) {
	en := parse(t, documents[0], readDoc(t, documents[0]))
	zhText := readDoc(t, documents[1])
	linkProblems := func(zh string) []string {
		var out []string
		for _, p := range Compare(en, parse(t, "zh.md", zh)) {
			if strings.Contains(p.Msg, "link") {
				out = append(out, p.String())
			}
		}
		return out
	}
	// The real pages stay quiet, and there is something to compare.
	if got := linkProblems(zhText); len(got) != 0 {
		t.Errorf("the real pages' links must correspond: %q", got)
	}
	if n := len(externalLinks(en)); n < 5 {
		t.Errorf("%s has %d external links; its References alone have 4, and kind is linked above them", documents[0], n)
	}
	const zhPSA = "https://kubernetes.io/zh-cn/docs/concepts/security/pod-security-admission/"
	const enPSA = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
	for _, c := range []struct {
		name, old, new string
		want           []string
		n              int
	}{
		{"dropped reference", "- [审计](https://kubernetes.io/zh-cn/docs/tasks/debug/debug-cluster/audit/)：", "- 审计：",
			[]string{"pod-security.md links https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/ (line", "this page does not: link its Chinese page https://kubernetes.io/zh-cn/docs/tasks/debug/debug-cluster/audit/"}, 1},
		{"English kubernetes.io page", "(" + zhPSA + ")", "(" + enPSA + ")",
			[]string{"link " + enPSA + " is not among pod-security.md's links", "link the Chinese page " + zhPSA + " instead", "pod-security.md links " + enPSA}, 2},
		{"other link changed", "(https://kind.sigs.k8s.io/docs/user/auditing/)", "(https://kind.sigs.k8s.io/zh/docs/user/auditing/)",
			[]string{"link https://kind.sigs.k8s.io/zh/docs/user/auditing/ is not among pod-security.md's links", "pod-security.md links https://kind.sigs.k8s.io/docs/user/auditing/ (line", "this page does not: link it as it is"}, 2},
		{"extra link", "## 参考资料\n", "## 参考资料\n\n- [Kubernetes 博客](https://kubernetes.io/zh-cn/blog/)\n",
			[]string{"link https://kubernetes.io/zh-cn/blog/ is not among pod-security.md's links", "remove it, or link it in pod-security.md too"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(zhText, c.old) {
				t.Fatalf("the Chinese document no longer contains %q", c.old)
			}
			got := linkProblems(strings.Replace(zhText, c.old, c.new, 1))
			all := strings.Join(got, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("want a problem containing %q; got:\n%s", w, all)
				}
			}
			if len(got) != c.n {
				t.Errorf("want %d problems, one per link missing or extra; got %d:\n%s", c.n, len(got), all)
			}
		})
	}
}

func BenchmarkCheckDocuments(b *testing.B) {
	f := loadFacts(b)
	texts := []string{readDoc(b, documents[0]), readDoc(b, documents[1])}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, text := range texts {
			d := parse(b, documents[j], text)
			if p := Check(d, ".", f); len(p) > 0 {
				b.Fatal(p)
			}
		}
	}
}

// expectProblems checks that for each of want some problem contains it.
func expectProblems(t *testing.T, got []Problem, want []string) {
	t.Helper()
	var lines []string
	for _, p := range got {
		lines = append(lines, p.String())
	}
	all := strings.Join(lines, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("want a problem containing %q; got:\n%s", w, all)
		}
	}
}
