package podsecurity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
	"github.com/kuberay-docs/pod-security-e2e/workload"
)

func find(t *testing.T, r Report, kind, role string) Verdict {
	t.Helper()
	for _, v := range r.Pods {
		if v.Kind == kind && v.Role == role {
			return v
		}
	}
	t.Fatalf("no %s %s pod in the report:\n%s", kind, role, strings.Join(r.Lines(), "\n"))
	return Verdict{}
}

// KubeRay's complete sample sets no securityContext at all: the head is
// refused for the four settings the restricted standard requires, and the
// worker for the same four, in its own container and in the init container
// the operator copies from it.
func TestUpstreamCompleteSampleIsRejected(t *testing.T) {
	objs, err := upstream.Sample(versions.DefaultKubeRay(), "ray-cluster.complete.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := mustChecker(t, Options{}).Check("ray-cluster.complete.yaml", objs)
	if r.Admitted() || len(r.Problems) != 0 {
		t.Fatalf("want rejected pods and no problems:\n%s", strings.Join(r.Lines(), "\n"))
	}
	head := find(t, r, "RayCluster", "head")
	const wantHead = `violates PodSecurity "restricted:latest": ` +
		`allowPrivilegeEscalation != false (container "ray-head" must set securityContext.allowPrivilegeEscalation=false), ` +
		`unrestricted capabilities (container "ray-head" must set securityContext.capabilities.drop=["ALL"]), ` +
		`runAsNonRoot != true (pod or container "ray-head" must set securityContext.runAsNonRoot=true), ` +
		`seccompProfile (pod or container "ray-head" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
	if head.Message != wantHead || head.Pod != "raycluster-complete-head-*" || len(head.Notes) != 0 {
		t.Errorf("head verdict:\n%s\nwant message %s", head, wantHead)
	}
	worker := find(t, r, "RayCluster", "worker group small-group")
	if worker.Allowed || !strings.Contains(worker.Message, `containers "wait-gcs-ready", "ray-worker" must set securityContext.allowPrivilegeEscalation=false`) {
		t.Errorf("worker verdict: %s", worker)
	}
	if len(worker.Notes) != 1 || !strings.Contains(worker.Notes[0], `copies the securityContext of container "ray-worker"`) {
		t.Errorf("worker notes %q: want one pointing from wait-gcs-ready to ray-worker", worker.Notes)
	}
}

func TestPodSecurityFixtureIsAllowed(t *testing.T) {
	objs, err := fixtures.PodSecurityCluster()
	if err != nil {
		t.Fatal(err)
	}
	r := mustChecker(t, Options{}).Check(fixtures.PodSecurityClusterFile, objs)
	if !r.Admitted() {
		t.Fatalf("the tutorial's fixture must pass restricted:\n%s", strings.Join(r.Lines(), "\n"))
	}
	if len(r.Pods) != 2 || len(r.Skipped) != 1 || r.Skipped[0].Kind != "ConfigMap" {
		t.Errorf("want a head and a worker checked and the ConfigMap skipped:\n%s", strings.Join(r.Lines(), "\n"))
	}
	for _, k := range []string{"1.24", "1.34"} {
		if r := mustChecker(t, Options{Kubernetes: k}).Check(fixtures.PodSecurityClusterFile, objs); !r.Admitted() {
			t.Errorf("Kubernetes %s refuses the fixture:\n%s", k, strings.Join(r.Lines(), "\n"))
		}
	}
}

// hardenedCluster is the tutorial's fixture RayCluster, whose own containers
// pass restricted, so that only what a change adds can fail.
func hardenedCluster(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	objs, err := fixtures.PodSecurityCluster()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == "RayCluster" {
			return o
		}
	}
	t.Fatal("the fixture has no RayCluster")
	return nil
}

func TestAutoscalerNeedsItsOwnSecurityContext(t *testing.T) {
	rc := hardenedCluster(t)
	if err := unstructured.SetNestedField(rc.Object, true, "spec", "enableInTreeAutoscaling"); err != nil {
		t.Fatal(err)
	}
	c := mustChecker(t, Options{})
	head := find(t, c.Check("x.yaml", []*unstructured.Unstructured{rc}), "RayCluster", "head")
	// The pod-level securityContext covers runAsNonRoot and seccomp; the two
	// container-only settings are missing from the autoscaler.
	const want = `violates PodSecurity "restricted:latest": ` +
		`allowPrivilegeEscalation != false (container "autoscaler" must set securityContext.allowPrivilegeEscalation=false), ` +
		`unrestricted capabilities (container "autoscaler" must set securityContext.capabilities.drop=["ALL"])`
	if head.Message != want {
		t.Fatalf("head:\n%s\nwant %s", head, want)
	}
	if len(head.Notes) != 1 || !strings.Contains(head.Notes[0], "spec.autoscalerOptions.securityContext") {
		t.Errorf("notes %q: want the field that hardens the autoscaler", head.Notes)
	}

	sc := map[string]interface{}{"allowPrivilegeEscalation": false, "capabilities": map[string]interface{}{"drop": []interface{}{"ALL"}}}
	if err := unstructured.SetNestedField(rc.Object, sc, "spec", "autoscalerOptions", "securityContext"); err != nil {
		t.Fatal(err)
	}
	if r := c.Check("x.yaml", []*unstructured.Unstructured{rc}); !r.Admitted() {
		t.Errorf("with autoscalerOptions.securityContext the cluster passes:\n%s", strings.Join(r.Lines(), "\n"))
	}
}

// rayJobFrom wraps the fixture's RayCluster spec in a RayJob.
func rayJobFrom(t *testing.T, spec map[string]interface{}) *unstructured.Unstructured {
	t.Helper()
	rc := hardenedCluster(t)
	job := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "ray.io/v1", "kind": "RayJob",
		"metadata": map[string]interface{}{"name": "xgboost"},
		"spec":     map[string]interface{}{"entrypoint": "python x.py", "rayClusterSpec": rc.Object["spec"]},
	}}
	for k, v := range spec {
		job.Object["spec"].(map[string]interface{})[k] = v
	}
	return job
}

func TestRayJobSubmitters(t *testing.T) {
	c := mustChecker(t, Options{})

	// The operator's default submitter cannot pass, whatever the cluster.
	r := c.Check("job.yaml", []*unstructured.Unstructured{rayJobFrom(t, nil)})
	for _, role := range []string{"head", "worker group small-group"} {
		if v := find(t, r, "RayJob", role); !v.Allowed {
			t.Errorf("%s of a hardened cluster: %s", role, v)
		}
	}
	sub := find(t, r, "RayJob", "submitter")
	if sub.Allowed || len(sub.Notes) != 1 || !strings.Contains(sub.Notes[0], "cannot pass the restricted standard: set spec.submitterPodTemplate") {
		t.Errorf("default submitter: %s", sub)
	}

	// A hardened submitterPodTemplate passes.
	tmpl := map[string]interface{}{"spec": map[string]interface{}{
		"restartPolicy":   "Never",
		"securityContext": map[string]interface{}{"runAsNonRoot": true, "seccompProfile": map[string]interface{}{"type": "RuntimeDefault"}},
		"containers": []interface{}{map[string]interface{}{
			"name": "submit", "image": "rayproject/ray:2.46.0",
			"securityContext": map[string]interface{}{"allowPrivilegeEscalation": false, "capabilities": map[string]interface{}{"drop": []interface{}{"ALL"}}},
		}},
	}}
	if r := c.Check("job.yaml", []*unstructured.Unstructured{rayJobFrom(t, map[string]interface{}{"submitterPodTemplate": tmpl})}); !r.Admitted() {
		t.Errorf("RayJob with a hardened submitterPodTemplate:\n%s", strings.Join(r.Lines(), "\n"))
	}

	// In SidecarMode the operator's submitter joins the head pod, which then
	// fails on that container alone.
	r = c.Check("job.yaml", []*unstructured.Unstructured{rayJobFrom(t, map[string]interface{}{"submissionMode": "SidecarMode"})})
	head := find(t, r, "RayJob", "head")
	const want = `violates PodSecurity "restricted:latest": ` +
		`allowPrivilegeEscalation != false (container "ray-job-submitter" must set securityContext.allowPrivilegeEscalation=false), ` +
		`unrestricted capabilities (container "ray-job-submitter" must set securityContext.capabilities.drop=["ALL"])`
	if head.Message != want || len(head.Notes) != 1 || !strings.Contains(head.Notes[0], "SidecarMode") {
		t.Errorf("SidecarMode head:\n%s\nwant %s", head, want)
	}
	if len(r.Pods) != 2 {
		t.Errorf("SidecarMode makes no submitter Job:\n%s", strings.Join(r.Lines(), "\n"))
	}
}

func TestCheckFileReportsEveryDocument(t *testing.T) {
	data := strings.Join([]string{
		"",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]",
		"kind: [broken",
		"apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: r}\nspec: {headGroupSpec: {template: {spec: {containers: []}}}}",
	}, "\n---\n")
	r := mustChecker(t, Options{}).CheckFile("mixed.yaml", []byte(data))
	got := r.Lines()
	want := []string{
		"mixed.yaml:1: skipped: empty document",
		"mixed.yaml:2 ConfigMap/c: skipped: makes no pods: v1 ConfigMap is not a workload kind",
		`mixed.yaml:3 Pod/p pod (pod p): rejected: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false`,
		"mixed.yaml:4: cannot check: invalid YAML: ",
		"mixed.yaml:5 RayCluster/r: cannot check: spec.headGroupSpec.template.spec.containers is empty: the operator runs Ray in the first container",
	}
	if len(got) != len(want) {
		t.Fatalf("lines:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d\n got %s\nwant %s…", i+1, got[i], want[i])
		}
	}
	if r.Admitted() || len(r.Problems) != 2 || len(r.Rejected()) != 1 {
		t.Errorf("want 1 rejected pod and 2 problems, got %+v", r)
	}
}

func TestReportAddKeepsFileOrder(t *testing.T) {
	c := mustChecker(t, Options{})
	var all Report
	all.Add(c.CheckFile("b.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")))
	all.Add(c.CheckFile("a.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n")))
	lines := all.Lines()
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "b.yaml:1") || !strings.HasPrefix(lines[1], "a.yaml:1") {
		t.Errorf("lines %q: want b.yaml's before a.yaml's, as checked", lines)
	}
	if all.Policy != "restricted:latest" {
		t.Errorf("policy %q", all.Policy)
	}
}

// Every YAML file in KubeRay's samples is checked without a problem, on
// every pinned release: the pod derivation understands all of KubeRay's own
// examples, RayCronJob's included (its RayJob's pods), and no KubeRay kind
// is skipped as making no pods.
func TestEveryUpstreamSampleIsUnderstood(t *testing.T) {
	for _, r := range versions.KubeRayReleases {
		t.Run(r.Version, func(t *testing.T) {
			files := sampleFiles(t, r)
			if len(files) < 40 {
				t.Fatalf("found %d sample files; KubeRay %s ships about 70", len(files), r.Version)
			}
			c := mustChecker(t, Options{Operator: workload.Operator{KubeRay: r}})
			var all Report
			cronPods := 0
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				rep := c.CheckFile(filepath.Base(f), data)
				for _, p := range rep.Pods {
					if p.Where.Kind == "RayCronJob" {
						cronPods++
					}
				}
				all.Add(rep)
			}
			if len(all.Problems) != 0 {
				t.Errorf("problems:\n%v", all.Problems)
			}
			for _, sk := range all.Skipped {
				if sk.Where.Kind != "" && strings.HasPrefix(sk.Where.Kind, "Ray") {
					t.Errorf("a KubeRay kind skipped: %s", sk)
				}
			}
			// Only v1.6 and later have RayCronJob, and its sample.
			if r.AtLeast("v1.6.0") && cronPods == 0 {
				t.Errorf("KubeRay %s: no pod derived from a RayCronJob sample", r.Version)
			}
			// None of KubeRay's samples is hardened for the restricted standard.
			if len(all.Pods) < 100 || len(all.Rejected()) != len(all.Pods) {
				t.Errorf("%d pods, %d rejected", len(all.Pods), len(all.Rejected()))
			}
		})
	}
}

func sampleFiles(t testing.TB, r versions.KubeRayRelease) []string {
	t.Helper()
	dir, err := upstream.Dir(r)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(filepath.Join(dir, "config", "samples"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// BenchmarkCheckSamples checks the fixture and every YAML file of KubeRay's
// samples, reading the files each time, as the command does.
func BenchmarkCheckSamples(b *testing.B) {
	files := sampleFiles(b, versions.DefaultKubeRay())
	c := mustChecker(b, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var all Report
		all.Add(c.CheckFile(fixtures.PodSecurityClusterFile, fixtures.PodSecurityClusterYAML()))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			all.Add(c.CheckFile(f, data))
		}
		if len(all.Problems) != 0 || len(all.Pods) < 100 {
			b.Fatalf("%d pods, problems %v", len(all.Pods), all.Problems)
		}
	}
	b.ReportMetric(float64(len(files)+1), "files/op")
}
