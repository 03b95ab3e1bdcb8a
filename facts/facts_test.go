package facts

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/rayjobs"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestRunPatternSelectsItsStepAlone(t *testing.T) {
	for _, s := range Steps {
		got, err := Selected(s.RunPattern())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(StepIDs(got), []string{s.ID}) {
			t.Errorf("-run %q selects steps %v, want only %s", s.RunPattern(), StepIDs(got), s.ID)
		}
		if !strings.HasPrefix(s.Title, s.ID+" ") {
			t.Errorf("step %s's title %q must start with its ID and a space, which RunPattern relies on", s.ID, s.Title)
		}
	}
	// Why the patterns are anchored: without ^, "1_" also matches "5.1_"
	// and "6.1_".
	got, _ := Selected(SuiteTest + "/1_")
	if !slices.Equal(StepIDs(got), []string{"1", "5.1", "6.1"}) {
		t.Errorf("unanchored TestTutorial/1_ selects %v; the testing package selects 1, 5.1 and 6.1", StepIDs(got))
	}
}

// helperEnv makes the test binary, re-run by TestSelectedAgreesWithGoTest,
// run TestTutorial below with one subtest per step, so that the testing
// package itself decides which subtests a pattern selects.
const helperEnv = "TUTORIAL_RUN_PATTERN_HELPER"

// TestTutorial has the suite's name and subtests named like its steps. It
// does something only as TestSelectedAgreesWithGoTest's helper.
func TestTutorial(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper for TestSelectedAgreesWithGoTest")
	}
	for _, s := range Steps {
		t.Run(s.Title, func(t *testing.T) {})
	}
}

func TestSelectedAgreesWithGoTest(t *testing.T) {
	patterns := []string{SuiteTest, SuiteTest + "/1_", SuiteTest + "/5.1", SuiteTest + "/^3_|" + SuiteTest + "/^4_", SuiteTest + "/(1|2)_", SuiteTest + "/[5]\\.2/x"}
	for _, s := range Steps {
		patterns = append(patterns, s.RunPattern())
	}
	ran := regexp.MustCompile(`(?m)^=== RUN\s+` + SuiteTest + `/(\S+)$`)
	for _, p := range patterns {
		cmd := exec.Command(os.Args[0], "-test.run", p, "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("running the helper with -run %q: %v\n%s", p, err, out)
		}
		var goTest []string
		for _, m := range ran.FindAllStringSubmatch(string(out), -1) {
			goTest = append(goTest, m[1])
		}
		if p == SuiteTest && len(goTest) != len(Steps) {
			t.Fatalf("the helper ran %d subtests for -run %s, want %d; it did not run as intended:\n%s", len(goTest), p, len(Steps), out)
		}
		selected, err := Selected(p)
		if err != nil {
			t.Fatal(err)
		}
		var ours []string
		for _, s := range selected {
			ours = append(ours, s.SubtestName())
		}
		if !slices.Equal(ours, goTest) {
			t.Errorf("-run %q: Selected gives %v, go test runs %v", p, ours, goTest)
		}
	}
}

func TestNamespaceLabelsArePodSecurityAdmissionsOwn(t *testing.T) {
	want := map[string]bool{
		psaapi.EnforceLevelLabel: true, psaapi.EnforceVersionLabel: true,
		psaapi.AuditLevelLabel: true, psaapi.AuditVersionLabel: true,
		psaapi.WarnLevelLabel: true, psaapi.WarnVersionLabel: true,
	}
	labels := NamespaceLabels()
	if len(labels) != len(Labels) || len(labels) != len(want) {
		t.Fatalf("want the six distinct labels of Pod Security Admission, got %v", labels)
	}
	for k, v := range labels {
		if !want[k] || !strings.HasPrefix(k, LabelPrefix) {
			t.Errorf("%s is not a Pod Security Admission label", k)
		}
		if strings.HasSuffix(k, "-version") {
			if _, err := psaapi.ParseVersion(v); err != nil || v != "latest" {
				t.Errorf("%s=%s: want latest (%v)", k, v, err)
			}
		} else if lvl, err := psaapi.ParseLevel(v); err != nil || lvl != psaapi.LevelRestricted {
			t.Errorf("%s=%s: want restricted (%v)", k, v, err)
		}
	}
	labels["x"] = "y"
	if len(NamespaceLabels()) != len(Labels) {
		t.Error("NamespaceLabels must return a new map each time")
	}
	if RestrictedPrefix != `violates PodSecurity "`+string(psaapi.LevelRestricted)+`:latest"` {
		t.Errorf("RestrictedPrefix %q does not name the enforced level and version", RestrictedPrefix)
	}
}

// The refusals the documents quote are the ones real API servers wrote.
func TestViolationsAreTheAPIServersWords(t *testing.T) {
	if HeadViolation != PrivilegeEscalationViolation(HeadContainer) || ProbeViolation != PrivilegeEscalationViolation(ProbeContainer) || SubmitterViolation != PrivilegeEscalationViolation(SubmitterContainer) {
		t.Errorf("HeadViolation, ProbeViolation or SubmitterViolation differs from PrivilegeEscalationViolation's wording")
	}
	for _, k := range versions.KubernetesReleases {
		file, err := repo.Path("audit", "testdata", "kube-apiserver-"+k.Version+"-audit.log")
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		evs, _, err := audit.ReadAll(f, 0, audit.Filter{Namespace: Namespace, Code: 403})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, e := range evs {
			if v, ok := audit.PodSecurity(e); ok && v.Denied && len(v.Violations) > 0 && strings.Contains(v.Message, RestrictedPrefix+": "+v.Violations[0]) {
				found[v.Violations[0]] = true
			}
		}
		for _, want := range []string{ProbeViolation, HeadViolation, SubmitterViolation} {
			if !found[want] {
				t.Errorf("Kubernetes %s refused no Pod with first reason %q (%s holds %v)", k.Version, want, file, found)
			}
		}
	}
}

// The facts about KubeRay come from the pinned releases' source: each of
// them must hold for every release.
func TestKubeRayFactsMatchThePinnedSource(t *testing.T) {
	for _, r := range versions.KubeRayReleases {
		t.Run(r.Version, func(t *testing.T) { checkKubeRayFacts(t, r) })
	}
}

func checkKubeRayFacts(t *testing.T, r versions.KubeRayRelease) {
	dir, err := upstream.Dir(r)
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	utils := read("controllers/ray/utils/constant.go")
	types := read("apis/ray/v1/raycluster_types.go")
	util := read("controllers/ray/utils/util.go")
	jobTypes := read("apis/ray/v1/rayjob_types.go")
	job := read("controllers/ray/common/job.go")
	validation := read("controllers/ray/utils/validation.go")
	for _, c := range []struct{ what, pattern, src string }{
		{"ClusterLabel", `RayClusterLabelKey\s*=\s*"` + regexp.QuoteMeta(ClusterLabel) + `"`, utils},
		{"NodeTypeLabel", `RayNodeTypeLabelKey\s*=\s*"` + regexp.QuoteMeta(NodeTypeLabel) + `"`, utils},
		{"EventFailedToCreateHeadPod", `FailedToCreateHeadPod\s+K8sEventType\s*=\s*"` + EventFailedToCreateHeadPod + `"`, utils},
		{"ReasonFailedCreateHeadPod", `ErrFailedCreateHeadPod\s*=\s*&errRayClusterReplicaFailure\{reason:\s*"` + ReasonFailedCreateHeadPod + `"\}`, utils},
		{"ConditionReplicaFailure", `RayClusterReplicaFailure\s+RayClusterConditionType\s*=\s*"` + ConditionReplicaFailure + `"`, types},
		// HeadServiceName: "<owner>-<HeadNode>-svc" with HeadNode "head".
		{"HeadServiceName", `headSvcName\s*:=\s*fmt\.Sprintf\("%s-%s-%s",\s*ownerName,\s*rayv1\.HeadNode,\s*"svc"\)`, util},
		{"HeadServiceName", `HeadNode\s+RayNodeType\s*=\s*"head"`, types},
		{"SubmitterContainer", `SubmitterContainerName\s*=\s*"` + SubmitterContainer + `"`, utils},
		{"EventCreatedRayJobSubmitter", `CreatedRayJobSubmitter\s+K8sEventType\s*=\s*"` + EventCreatedRayJobSubmitter + `"`, utils},
		{"JobStatusSucceeded", `JobStatusSucceeded\s+JobStatus\s*=\s*"` + JobStatusSucceeded + `"`, jobTypes},
		{"DeploymentInitializing", `JobDeploymentStatusInitializing\s+JobDeploymentStatus\s*=\s*"` + DeploymentInitializing + `"`, jobTypes},
		{"DeploymentRunning", `JobDeploymentStatusRunning\s+JobDeploymentStatus\s*=\s*"` + DeploymentRunning + `"`, jobTypes},
		{"DeploymentComplete", `JobDeploymentStatusComplete\s+JobDeploymentStatus\s*=\s*"` + DeploymentComplete + `"`, jobTypes},
		{"DeploymentValidationFailed", `JobDeploymentStatusValidationFailed\s+JobDeploymentStatus\s*=\s*"` + DeploymentValidationFailed + `"`, jobTypes},
		{"SidecarTemplateRefusal", regexp.QuoteMeta(SidecarTemplateRefusal), validation},
	} {
		if !regexp.MustCompile(c.pattern).MatchString(c.src) {
			t.Errorf("KubeRay %s (%s) no longer matches `%s`: update facts.%s to what KubeRay does now", r.Version, dir, c.pattern, c.what)
		}
	}
	// Step 6 rests on KubeRay's own submitter container having no
	// securityContext: its builder must not mention one.
	if body := funcBody(job, "GetDefaultSubmitterContainer"); body == "" || strings.Contains(body, "SecurityContext") {
		t.Errorf("KubeRay %s: GetDefaultSubmitterContainer in controllers/ray/common/job.go is missing or now sets a SecurityContext; step 6.1's refusal and the docs' claim need revisiting:\n%s", r.Version, body)
	}
	if got := HeadServiceName("x"); got != "x-head-svc" {
		t.Errorf("HeadServiceName(x) = %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, strings.TrimPrefix(CompleteSampleRepoPath, "ray-operator/"))); err != nil {
		t.Errorf("KubeRay %s has no %s: %v", r.Version, CompleteSampleRepoPath, err)
	}
	objs, err := upstream.Sample(r, CompleteSample)
	if err != nil {
		t.Fatal(err)
	}
	head := podTemplate(t, objs, "spec", "headGroupSpec", "template")
	if head.Spec.Containers[0].Name != HeadContainer || head.Spec.Containers[0].SecurityContext != nil {
		t.Errorf("%s's head container is %q with securityContext %v; step 5.1 needs %s without one", CompleteSample, head.Spec.Containers[0].Name, head.Spec.Containers[0].SecurityContext, HeadContainer)
	}
}

func TestFuncBody(t *testing.T) {
	src := "package x\n\nfunc A() int {\n\treturn 1\n}\n\nfunc B() {\n\tc.SecurityContext = nil\n}\n"
	if got := funcBody(src, "A"); got != "\nfunc A() int {\n\treturn 1\n}\n" {
		t.Errorf("funcBody(A) = %q", got)
	}
	// Fires: B mentions a SecurityContext.
	if !strings.Contains(funcBody(src, "B"), "SecurityContext") {
		t.Errorf("funcBody(B) = %q, want B's body", funcBody(src, "B"))
	}
	if funcBody(src, "C") != "" {
		t.Error("funcBody of a missing function must be empty")
	}
}

// funcBody is the source of Go function name in src, up to the closing
// brace at the start of a line; "" when src has no such function.
func funcBody(src, name string) string {
	i := strings.Index(src, "\nfunc "+name+"(")
	if i < 0 {
		return ""
	}
	end := strings.Index(src[i:], "\n}\n")
	if end < 0 {
		return ""
	}
	return src[i : i+end+3]
}

func podTemplate(t *testing.T, objs []*unstructured.Unstructured, path ...string) corev1.PodTemplateSpec {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() != "RayCluster" {
			continue
		}
		m, found, err := unstructured.NestedMap(o.Object, path...)
		if err != nil || !found {
			t.Fatalf("%s %s has no %s", o.GetKind(), o.GetName(), strings.Join(path, "."))
		}
		var tmpl corev1.PodTemplateSpec
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &tmpl); err != nil {
			t.Fatal(err)
		}
		return tmpl
	}
	t.Fatal("no RayCluster")
	return corev1.PodTemplateSpec{}
}

// The fixture's head serves the dashboard on DashboardPort, under the head
// Service KubeRay names, and mounts the script XGBoostCommand runs.
func TestFixtureMatchesTheFacts(t *testing.T) {
	objs, err := fixtures.PodSecurityCluster()
	if err != nil {
		t.Fatal(err)
	}
	head := podTemplate(t, objs, "spec", "headGroupSpec", "template")
	c := head.Spec.Containers[0]
	if c.Name != HeadContainer {
		t.Errorf("the fixture's head container is %s, want %s", c.Name, HeadContainer)
	}
	port := int32(0)
	for _, p := range c.Ports {
		if p.Name == "dashboard" {
			port = p.ContainerPort
		}
	}
	if port != DashboardPort {
		t.Errorf("the fixture's dashboard port is %d, DashboardPort is %d", port, DashboardPort)
	}
	for _, o := range objs {
		if o.GetKind() != "RayCluster" {
			continue
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "headGroupSpec", "headService"); found {
			t.Errorf("the fixture names its head Service itself; the documents use HeadServiceName(%s)", o.GetName())
		}
	}
	cmd := XGBoostCommand()
	if cmd[len(cmd)-1] != fixtures.ScriptPath || !strings.HasPrefix(fixtures.ScriptPath, mountPath(c, "xgboost-example")+"/") {
		t.Errorf("XGBoostCommand %v does not run the script the head mounts at %s", cmd, mountPath(c, "xgboost-example"))
	}
}

func mountPath(c corev1.Container, volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

// audit-policy.yaml records the tutorial's namespace: the steps that read
// the audit log see only what happens there.
func TestAuditPolicyRecordsTheNamespace(t *testing.T) {
	file, err := repo.Path(AuditPolicyFile)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := audit.LoadPolicy(file)
	if err != nil {
		t.Fatal(err)
	}
	if level, _ := pol.Level(audit.Request{User: "u", Verb: "create", Namespace: Namespace, APIVersion: "v1", Resource: "pods"}); level != "Metadata" {
		t.Errorf("%s logs pods in %s at %q, want Metadata", AuditPolicyFile, Namespace, level)
	}
	for _, p := range []string{AuditPolicyFile, OperatorValuesFile, PodSecurityClusterFile, StandInChartDir} {
		if _, err := repo.Path(p); err != nil {
			t.Fatal(err)
		}
		full, _ := repo.Path(p)
		if _, err := os.Stat(full); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestStepTitlePanicsOnUnknownStep(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "5.1") {
			t.Errorf("StepTitle(9) must panic listing the steps, got %v", r)
		}
	}()
	StepTitle("9")
}

func TestPipVersion(t *testing.T) {
	if got := PipVersion(); got != "1.32" {
		t.Errorf("PipVersion() = %q: the release PipInstall names", got)
	}
}

func TestIndexServedWheel(t *testing.T) {
	served := `10.244.0.1 - - [29/Nov/2026 22:40:00] "GET /simple/jsonpatch/ HTTP/1.1" 200 -
10.244.0.1 - - [29/Nov/2026 22:40:00] "GET /wheels/jsonpatch-1.32-py2.py3-none-any.whl HTTP/1.1" 200 -`
	if !IndexServedWheel(served) {
		t.Error("a 200 GET of the wheel is a download")
	}
	for _, log := range []string{
		`10.244.0.1 - - [29/Nov/2026 22:40:00] "GET /simple/jsonpatch/ HTTP/1.1" 200 -`,
		`10.244.0.1 - - [29/Nov/2026 22:40:00] "GET /wheels/jsonpatch-1.32-py2.py3-none-any.whl HTTP/1.1" 404 -`,
		`10.244.0.1 - - [29/Nov/2026 22:40:00] "GET /wheels/jsonpointer-3.0.0-py3-none-any.whl HTTP/1.1" 200 -`,
		"",
	} {
		if IndexServedWheel(log) {
			t.Errorf("not a download of the jsonpatch wheel: %q", log)
		}
	}
}

// RayJobOutput is what each RayJob's entrypoint prints: the number of Ray
// nodes (a head and the workers of its cluster) and the words "Ray nodes".
func TestRayJobOutputIsWhatTheEntrypointPrints(t *testing.T) {
	for _, file := range fixtures.RayJobFiles {
		objs, err := fixtures.RayJob(file)
		if err != nil {
			t.Fatal(err)
		}
		entry, _, _ := unstructured.NestedString(objs[0].Object, "spec", "entrypoint")
		if !strings.Contains(entry, "print(len(ray.nodes()), 'Ray nodes')") {
			t.Errorf("%s: entrypoint %q no longer prints the node count RayJobOutput expects", file, entry)
		}
		groups, _, _ := unstructured.NestedSlice(objs[0].Object, "spec", "rayClusterSpec", "workerGroupSpecs")
		nodes := int64(1)
		for _, g := range groups {
			n, _, _ := unstructured.NestedInt64(g.(map[string]any), "replicas")
			nodes += n
		}
		if want := fmt.Sprintf("%d Ray nodes", nodes); want != RayJobOutput {
			t.Errorf("%s: a head and %d workers print %q, RayJobOutput is %q", file, nodes-1, want, RayJobOutput)
		}
	}
}

// The page's Jobs API filter, run as the page runs it (python3 -c), prints
// each job of a real Jobs API answer as its type, status and entrypoint, one
// line a job: on every Ray release's captured answer.
func TestJobsFilterOnCapturedAnswers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "rayjobs", "testdata", "jobs-ray-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captured Jobs API answer (%v)", err)
	}
	releases := map[string]bool{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := rayjobs.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, j := range jobs {
			want = append(want, j.Line())
		}
		got, err := rayjobs.Filter(context.Background(), JobsFilter, body)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the filter printed\n%s\nwant\n%s", f, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		releases[regexp.MustCompile(`jobs-ray-(\d+\.\d+\.\d+)-`).FindStringSubmatch(f)[1]] = true
	}
	// The answer a run of step 5.2 on real containers saved (jobs-api.json
	// in the step's evidence), kept as jobs-ray-<release>-xgboost.json for
	// every pinned Ray: the page's line is among what the filter prints.
	for _, r := range versions.SupportedRay() {
		f := filepath.Join("..", "rayjobs", "testdata", "jobs-ray-"+r+"-xgboost.json")
		body, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("no Jobs API answer of step 5.2 captured on Ray %s: %v (copy step-5.2/jobs-api.json of an offline kind run there)", r, err)
			continue
		}
		got, err := rayjobs.Filter(context.Background(), JobsFilter, body)
		if err != nil || !slices.Contains(got, XGBoostJobLine()) {
			t.Errorf("%s: no line %q among %q (%v)", f, XGBoostJobLine(), got, err)
		}
	}
	t.Logf("captured answers of Ray %v", releases)
}
