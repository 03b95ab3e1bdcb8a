// What steps 6.1 to 6.3 share: a RayJob fixture applied under the static
// check, the RayCluster, Job and pods it makes, what the audit log and the
// dashboard say about them, and its deletion.

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	gtypes "github.com/onsi/gomega/types"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/kube"
	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/rayjobs"
)

var rayJobGVR = schema.GroupVersionResource{Group: "ray.io", Version: "v1", Resource: "rayjobs"}

// rayJobStep is one RayJob fixture as a step applies it: what the static
// check predicted, where the audit log ended before, and the RayCluster
// KubeRay made for it, once known.
type rayJobStep struct {
	step       string
	file, name string
	objs       []*unstructured.Unstructured
	static     podsecurity.Report
	mark       int64
	cluster    string
	head       corev1.Pod
	deleted    bool
}

func newRayJobStep(step, file, name string) *rayJobStep {
	return &rayJobStep{step: step, file: file, name: name}
}

// apply is the step's setup before the page's blocks apply the fixture: the
// fixture with the run's Ray release and image, checked statically (the
// verdict must be want), and where the audit log ends.
func (r *rayJobStep) apply(want admission) func(context.Context, *testing.T, *envconf.Config) context.Context {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		h := harnessFrom(ctx)
		var err error
		if r.objs, err = fixtures.RayJob(r.file); err != nil {
			t.Fatal(err)
		}
		if n, err := fixtures.SetRay(r.objs, h.cfg.Ray, h.cfg.RayImage); err != nil || n == 0 {
			t.Fatalf("%s: Ray %s, image %s: %d containers set (%v)", r.file, h.cfg.Ray.Version, h.cfg.RayImage, n, err)
		}
		r.static = h.staticCheck(t, r.file, r.objs, want)
		r.mark = h.auditMark(ctx, t)
		return ctx
	}
}

// teardown deletes the RayJob also when an assessment failed: its pods
// would take the node's CPU from the next step, and its refusals would
// stay in the audit log's way.
func (r *rayJobStep) teardown(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	h := harnessFrom(ctx)
	if h.gone.Load() {
		return ctx
	}
	if err := h.deleteObjects(ctx, r.objs); err != nil {
		t.Logf("delete %s: %v", r.file, err)
	}
	return ctx
}

// rayJobStatus is what KubeRay reports of a RayJob: jobStatus is the Ray
// job's, jobDeploymentStatus KubeRay's for the whole RayJob.
type rayJobStatus struct {
	JobStatus, Deployment, Cluster, JobID, Message string
}

func (h *harness) rayJobStatus(ctx context.Context, name string) (rayJobStatus, error) {
	rj, err := h.dyn.Resource(rayJobGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return rayJobStatus{}, err
	}
	get := func(f string) string { s, _, _ := unstructured.NestedString(rj.Object, "status", f); return s }
	return rayJobStatus{
		JobStatus: get("jobStatus"), Deployment: get("jobDeploymentStatus"),
		Cluster: get("rayClusterName"), JobID: get("jobId"), Message: get("message"),
	}, nil
}

// clusterName waits for KubeRay to name the RayJob's RayCluster.
func (r *rayJobStep) clusterName(ctx context.Context, g gomega.Gomega) string {
	h := harnessFrom(ctx)
	if r.cluster == "" {
		h.eventually(g, func() (string, error) {
			s, err := h.rayJobStatus(ctx, r.name)
			return s.Cluster, err
		}).ShouldNot(gomega.BeEmpty(), "RayJob %s names no RayCluster in status.rayClusterName", r.name)
		s, err := h.rayJobStatus(ctx, r.name)
		g.Expect(err).NotTo(gomega.HaveOccurred())
		r.cluster = s.Cluster
	}
	return r.cluster
}

// clusterAdmitted asserts that the RayJob's hardened RayCluster is admitted:
// its head and worker are scheduled, every container hardened.
func (r *rayJobStep) clusterAdmitted(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	cluster := r.clusterName(ctx, gomega.NewWithT(t))
	r.head = harnessFrom(ctx).hardenedPodsScheduled(ctx, t, cluster)
	note(ctx, t, "RayJob %s: RayCluster %s's head %s and worker admitted under restricted:latest and scheduled", r.name, cluster, r.head.Name)
	return ctx
}

// clusterReady asserts, where containers run, that the head and worker
// run and are Ready.
func (r *rayJobStep) clusterReady(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	h := harnessFrom(ctx)
	cluster := r.clusterName(ctx, gomega.NewWithT(t))
	pods := h.rayPodsReady(ctx, t, cluster)
	note(ctx, t, "RayJob %s: %s Ready", r.name, podNames(pods))
	return ctx
}

// hardenedPodsScheduled waits for the head and the one worker of the
// tutorial's hardened RayCluster spec, named cluster, to be bound to a node,
// checks that every container of theirs is hardened, and returns the head.
func (h *harness) hardenedPodsScheduled(ctx context.Context, t *testing.T, cluster string) corev1.Pod {
	t.Helper()
	g := gomega.NewWithT(t)
	h.eventually(g, func() ([]corev1.Pod, error) {
		return h.rayPods(ctx, cluster)
	}, 10).Should(gomega.And(headAndWorker(), gomega.HaveEach(podScheduled())))
	pods, err := h.rayPods(ctx, cluster)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var head corev1.Pod
	for _, p := range pods {
		for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
			g.Expect(c.SecurityContext).To(hardened(), "container %s of %s", c.Name, p.Name)
		}
		if p.Labels[facts.NodeTypeLabel] == "head" {
			head = p
		}
	}
	return head
}

// rayPodsReady waits, where containers run, for the head and the worker of
// cluster to run and be Ready.
func (h *harness) rayPodsReady(ctx context.Context, t *testing.T, cluster string) []corev1.Pod {
	t.Helper()
	return h.podsReady(ctx, t, "the head and worker of "+cluster, func() ([]corev1.Pod, error) { return h.rayPods(ctx, cluster) }, headAndWorker(), 10)
}

// headAndWorker matches the two pods of the tutorial's RayCluster spec.
func headAndWorker() gtypes.GomegaMatcher {
	return gomega.And(
		gomega.ContainElement(gomega.HaveField("ObjectMeta.Labels", gomega.HaveKeyWithValue(facts.NodeTypeLabel, "head"))),
		gomega.ContainElement(gomega.HaveField("ObjectMeta.Labels", gomega.HaveKeyWithValue(facts.NodeTypeLabel, "worker"))),
		gomega.HaveLen(2),
	)
}

// submitterJob is the Kubernetes Job KubeRay makes for a RayJob in
// K8sJobMode, named after the RayJob.
func (h *harness) submitterJob(ctx context.Context, name string) (*batchv1.Job, error) {
	return h.cs.BatchV1().Jobs(namespace).Get(ctx, name, metav1.GetOptions{})
}

// submitterJob waits for KubeRay to make the RayJob's Job, which it does
// once the RayCluster is ready.
func (r *rayJobStep) submitterJob(ctx context.Context, g gomega.Gomega) *batchv1.Job {
	h := harnessFrom(ctx)
	var job *batchv1.Job
	h.eventually(g, func() error {
		var err error
		job, err = h.submitterJob(ctx, r.name)
		return err
	}, 3).Should(gomega.Succeed(), "KubeRay made no Job %s once the RayCluster was ready", r.name)
	return job
}

// submitterPods are the pods of that Job.
func (h *harness) submitterPods(ctx context.Context, name string) ([]corev1.Pod, error) {
	list, err := h.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: facts.JobNameLabel + "=" + name})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// podCreates are the admission verdicts on pod creates in the namespace
// since mark that can be own's: a refusal names the pod (the audit event of
// a create with generateName carries the name only in a failure's details),
// so a refusal of another object's pod, such as a late retry of an earlier
// step, is left out; an admission does not name it and counts.
func (h *harness) podCreates(ctx context.Context, mark int64, own string) ([]audit.Verdict, error) {
	evs, err := h.readAudit(ctx, mark, audit.Filter{Namespace: namespace, Resource: "pods", Verb: "create"})
	if err != nil {
		return nil, err
	}
	var out []audit.Verdict
	for _, e := range evs {
		if v, ok := audit.PodSecurity(e); ok && (v.Name == "" || strings.HasPrefix(v.Name, own+"-")) {
			out = append(out, v)
		}
	}
	return out, nil
}

// auditRefusal waits for the audit log's 403 of a pod of the RayJob whose
// first reason is facts.SubmitterViolation, and checks that the static
// check predicted it word for word.
func (r *rayJobStep) auditRefusal(ctx context.Context, t *testing.T, role string) audit.Verdict {
	h := harnessFrom(ctx)
	g := gomega.NewWithT(t)
	requireAudit(ctx, t)
	var found audit.Verdict
	h.eventually(g, func() (bool, error) {
		vs, err := h.podCreates(ctx, r.mark, r.name)
		for _, v := range vs {
			if v.Denied && strings.Contains(v.Message, restrictedPrefix+": "+facts.SubmitterViolation) {
				found = v
				return true, nil
			}
		}
		return false, err
	}, 3).Should(gomega.BeTrue(), "no 403 create of a pod of RayJob %s whose message contains %q", r.name, facts.SubmitterViolation)
	g.Expect(found.EnforcePolicy).To(gomega.Equal("restricted:latest"))
	g.Expect(found.Violations).NotTo(gomega.BeEmpty())
	g.Expect(found.Violations[0]).To(gomega.Equal(facts.SubmitterViolation))
	crossCheckRefusal(t, r.static, "RayJob", role, found.Message)
	return found
}

// dashboard port-forwards to the RayJob's head and lists its Jobs API, with
// the cluster's token where Ray has token authentication on. It waits for
// the dashboard to answer; a refusal of the token stops at once.
func (r *rayJobStep) dashboard(ctx context.Context, t *testing.T, g gomega.Gomega) (list func() ([]rayjobs.Job, error), stop func()) {
	h := harnessFrom(ctx)
	if r.head.Name == "" {
		t.Fatal("the RayJob's head pod is not known: its first check did not pass")
	}
	port, stop, err := kube.PortForward(ctx, h.rest, namespace, r.head.Name, facts.DashboardPort, testlog.Writer{T: t})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 10 * time.Second}
	token := ""
	if h.cfg.Ray.TokenAuth() {
		token, err = h.rayToken(ctx, r.cluster)
		if err != nil {
			stop()
			t.Fatal(err)
		}
	}
	list = func() ([]rayjobs.Job, error) {
		jobs, err := rayjobs.List(ctx, client, base, token)
		var auth *rayjobs.AuthError
		if errors.As(err, &auth) {
			return nil, gomega.StopTrying("the dashboard refused the request").Wrap(err)
		}
		return jobs, err
	}
	return list, stop
}

// deleteAndWait deletes the RayJob and waits until KubeRay and the garbage
// collector have removed what it made: its RayCluster, the Job and every
// pod. KubeRay holds a RayJob by a finalizer until it has stopped the job.
func (r *rayJobStep) deleteAndWait(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	h := harnessFrom(ctx)
	g := gomega.NewWithT(t)
	cluster := r.clusterName(ctx, g)
	h.runDeletes(ctx, t, r.step)
	h.eventually(g, func() error {
		if _, err := h.rayJobStatus(ctx, r.name); !apierrors.IsNotFound(err) {
			return fmt.Errorf("RayJob %s: %v", r.name, err)
		}
		if _, err := h.rayCluster(ctx, cluster); !apierrors.IsNotFound(err) {
			return fmt.Errorf("RayCluster %s: %v", cluster, err)
		}
		if _, err := h.submitterJob(ctx, r.name); !apierrors.IsNotFound(err) {
			return fmt.Errorf("Job %s: %v", r.name, err)
		}
		pods, err := h.rayPods(ctx, cluster)
		if err != nil || len(pods) > 0 {
			return fmt.Errorf("%d Ray pods left (%v)", len(pods), err)
		}
		pods, err = h.submitterPods(ctx, r.name)
		if err != nil || len(pods) > 0 {
			return fmt.Errorf("%d submitter pods left (%v)", len(pods), err)
		}
		return nil
	}, 3).Should(gomega.Succeed())
	r.deleted = true
	note(ctx, t, "RayJob %s deleted: its RayCluster %s, Job and pods are gone", r.name, cluster)
	return ctx
}

// crossCheckRefusal checks that the API server refused the pod of role of
// the kind object in static with the very words the static check predicts.
// apiMessage is the refusal as an event or the audit log's 403 records it.
func crossCheckRefusal(t *testing.T, static podsecurity.Report, kind, role, apiMessage string) {
	t.Helper()
	for _, v := range static.Pods {
		if v.Kind == kind && v.Role == role {
			if err := v.CompareAPIServer(apiMessage); err != nil {
				t.Errorf("static Pod Security check vs the API server: %v", err)
				return
			}
			t.Logf("the API server refused %s with the words the static check predicts", v.Pod)
			return
		}
	}
	t.Fatalf("the static report holds no %s %s pod to compare with the API server's message:\n%s", kind, role, strings.Join(static.Lines(), "\n"))
}

// deleteRayJobs deletes every RayJob in the namespace and waits, while the
// operator still runs, for KubeRay to release its finalizer; one it never
// releases loses the finalizer, so that the namespace can go.
func (h *harness) deleteRayJobs(ctx context.Context) {
	res := h.dyn.Resource(rayJobGVR).Namespace(namespace)
	list, err := res.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) == 0 {
		return
	}
	for _, rj := range list.Items {
		_ = res.Delete(ctx, rj.GetName(), metav1.DeleteOptions{})
	}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, h.cfg.Timeout, true, func(ctx context.Context) (bool, error) {
		l, err := res.List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) == 0, nil
	})
	if err == nil {
		return
	}
	if l, err := res.List(ctx, metav1.ListOptions{}); err == nil {
		for _, rj := range l.Items {
			fmt.Fprintf(os.Stderr, "e2e: RayJob %s kept its finalizers %v after %s: removing them\n", rj.GetName(), rj.GetFinalizers(), h.cfg.Timeout)
			_, _ = res.Patch(ctx, rj.GetName(), types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		}
	}
}
