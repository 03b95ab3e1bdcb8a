package e2e

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/versions"
	"github.com/kuberay-docs/pod-security-e2e/workload"
)

// admission is what a step expects the API server to do with the pods a
// manifest makes.
type admission int

const (
	admitted admission = iota // every pod passes the namespace's policy
	rejected                  // at least one pod is refused
)

func (a admission) String() string {
	if a == admitted {
		return "admitted"
	}
	return "rejected"
}

// staticCheck evaluates, before a step applies objs, the pods they will make
// under the tutorial namespace's enforce policy, as the cluster's API server
// version evaluates it. When the verdict is not the one the step expects it
// fails the test at once, in the API server's own words, instead of letting
// the step wait for pods that never come (or for a refusal that never comes).
func (h *harness) staticCheck(t *testing.T, file string, objs []*unstructured.Unstructured, want admission) podsecurity.Report {
	t.Helper()
	server := h.serverVersion()
	checker, err := podsecurity.New(podsecurity.Options{
		Level:      namespaceLabels["pod-security.kubernetes.io/enforce"],
		Version:    namespaceLabels["pod-security.kubernetes.io/enforce-version"],
		Kubernetes: server,
		Operator:   workload.Operator{KubeRay: h.cfg.KubeRay},
	})
	if err != nil {
		t.Fatalf("static Pod Security check: %v", err)
	}
	r := checker.Check(file, objs)
	lines := strings.Join(r.Lines(), "\n")
	if len(r.Problems) > 0 {
		t.Fatalf("static Pod Security check cannot read %s:\n%s", file, lines)
	}
	got := admitted
	if len(r.Rejected()) > 0 {
		got = rejected
	}
	if got != want {
		what := "pods the step waits for would never be created"
		if want == rejected {
			what = "the step would wait for a refusal that never comes"
		}
		t.Fatalf("%s: the API server would have its pods %s under %s, but this step needs them %s, so %s:\n%s\n(`go run ./cmd/podsecurity-check --kubernetes-version %s FILE` prints the same verdicts)",
			file, got, r.Policy, want, what, lines, server)
	}
	t.Logf("static Pod Security check of %s:\n%s", file, lines)
	return r
}

// serverVersion is the version of the API server under test: the running
// cluster's when it said (at connect), else the pinned one the provider
// starts.
func (h *harness) serverVersion() string {
	if h.server != "" {
		return strings.TrimPrefix(strings.SplitN(h.server, "-", 2)[0], "v")
	}
	return h.cfg.Kubernetes
}

// compareDerivedPods checks that the pods the operator (and, for a RayJob's
// submitter, the Job controller) really made for the RayCluster or RayJob in
// objs are the ones package workload derives for it, in what
// Pod Security reads of them: the names and order of containers and init
// containers, every container's securityContext and the pod's. This is what
// the static check's verdicts rest on. It returns how many pods it compared.
func compareDerivedPods(t *testing.T, r versions.KubeRayRelease, objs []*unstructured.Unstructured, real []corev1.Pod) int {
	t.Helper()
	var derived []workload.Pod
	for _, o := range objs {
		if o.GetKind() != "RayCluster" && o.GetKind() != "RayJob" {
			continue
		}
		pods, err := workload.Pods(o, workload.Operator{KubeRay: r})
		if err != nil {
			t.Fatalf("derive the pods of %s %s: %v", o.GetKind(), o.GetName(), err)
		}
		derived = append(derived, pods...)
	}
	byRole := map[string]workload.Pod{}
	for _, d := range derived {
		byRole[d.Role] = d
	}
	if len(real) != len(derived) {
		t.Errorf("the operator made %d pods, the static check derives %d", len(real), len(derived))
	}
	for _, p := range real {
		role := "head"
		switch {
		case p.Labels[facts.JobNameLabel] != "":
			role = "submitter"
		case p.Labels[facts.NodeTypeLabel] != "head":
			role = "worker group " + p.Labels["ray.io/group"]
		}
		d, ok := byRole[role]
		if !ok {
			t.Errorf("pod %s (%s): the static check derives no such pod", p.Name, role)
			continue
		}
		if ok, _ := path.Match(d.Name, p.Name); !ok {
			t.Errorf("pod %s (%s): the static check expects a name like %s", p.Name, role, d.Name)
		}
		compareContainers(t, p.Name+" init containers", d.Spec.InitContainers, p.Spec.InitContainers)
		compareContainers(t, p.Name+" containers", d.Spec.Containers, p.Spec.Containers)
		// The API server defaults a missing pod securityContext to an empty one.
		want, got := d.Spec.SecurityContext, p.Spec.SecurityContext
		if want == nil {
			want = &corev1.PodSecurityContext{}
		}
		if !apiequality.Semantic.DeepEqual(want, got) {
			t.Errorf("pod %s: securityContext %s, the static check derives %s", p.Name, toJSON(got), toJSON(want))
		}
	}
	return len(real)
}

func compareContainers(t *testing.T, what string, want, got []corev1.Container) {
	t.Helper()
	names := func(cs []corev1.Container) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if !slices.Equal(names(want), names(got)) {
		t.Errorf("%s: %v, the static check derives %v", what, names(got), names(want))
		return
	}
	for i := range want {
		if !apiequality.Semantic.DeepEqual(want[i].SecurityContext, got[i].SecurityContext) {
			t.Errorf("%s: %s has securityContext %s, the static check derives %s", what, got[i].Name, toJSON(got[i].SecurityContext), toJSON(want[i].SecurityContext))
		}
	}
}

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
