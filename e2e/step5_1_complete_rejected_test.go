package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
)

// CompleteSample is KubeRay's own sample, read from the pinned module (or
// E2E_KUBERAY_DIR), never copied into this repository.
const CompleteSample = facts.CompleteSample

// headViolation is the reason the tutorial quotes for the head pod.
const headViolation = facts.HeadViolation

// Step 5.1: KubeRay's complete sample sets no securityContext, so Pod
// Security Admission refuses every pod the operator tries to make for it.
func step51CompleteRejected() features.Feature {
	var objs []*unstructured.Unstructured
	var name string
	var mark int64
	var static podsecurity.Report
	return newStep("5.1", (*harness).ensureOperator).
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			var err error
			if objs, err = upstream.Sample(h.cfg.KubeRay, CompleteSample); err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if o.GetKind() == "RayCluster" {
					name = o.GetName()
				}
			}
			if name == "" {
				t.Fatalf("%s holds no RayCluster", CompleteSample)
			}
			static = h.staticCheck(t, CompleteSample, objs, rejected)
			mark = h.auditMark(ctx, t)
			return ctx
		}).
		Assess(checkPage, runPage("5.1")).
		Assess(checkPageMore, runPageMore("5.1")).
		Assess("the RayCluster reports ReplicaFailure FailedCreateHeadPod", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			harnessFrom(ctx).headRefused(ctx, t, name)
			return ctx
		}).
		Assess("a FailedToCreateHeadPod warning event quotes the refusal the static check predicts", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			ev := h.headRefusalEvent(ctx, t, name)
			// The operator's event quotes the API server's refusal; this
			// runs on every provider, also one whose audit log is out of
			// reach, so the static check is proven on every run.
			crossCheckRefusal(t, static, "RayCluster", "head", ev.Message)
			note(ctx, t, "event %s: %s", facts.EventFailedToCreateHeadPod, ev.Message[strings.Index(ev.Message, restrictedPrefix):])
			return ctx
		}).
		Assess("no Ray pod appears", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			g.Consistently(func() ([]corev1.Pod, error) {
				return h.rayPods(ctx, name)
			}).WithTimeout(h.cfg.Hold).WithPolling(250 * time.Millisecond).Should(gomega.BeEmpty())
			return ctx
		}).
		Assess("the audit log shows the 403 for ray-head", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			requireAudit(ctx, t)
			var found audit.Verdict
			h.eventually(g, func() (bool, error) {
				evs, err := h.readAudit(ctx, mark, audit.Filter{Namespace: namespace, Resource: "pods", Verb: "create", Code: 403})
				if err != nil {
					return false, err
				}
				for _, e := range evs {
					v, ok := audit.PodSecurity(e)
					if ok && v.Denied && strings.Contains(v.Message, restrictedPrefix+": "+headViolation) {
						found = v
						return true, nil
					}
				}
				return false, nil
			}).Should(gomega.BeTrue(), "no 403 create of a pod in %s whose message contains %q", namespace, headViolation)
			g.Expect(found.EnforcePolicy).To(gomega.Equal("restricted:latest"))
			g.Expect(found.Violations).NotTo(gomega.BeEmpty())
			g.Expect(found.Violations[0]).To(gomega.Equal(headViolation))
			// The static check predicted this refusal word for word.
			crossCheckRefusal(t, static, "RayCluster", "head", found.Message)
			note(ctx, t, "audit 403 %s: %s", found.Name, found.Message[strings.Index(found.Message, restrictedPrefix):])
			return ctx
		}).
		Assess("every audit event obeys audit-policy.yaml", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			h.checkAuditPolicy(ctx, t)
			return ctx
		}).
		Assess("deleting the RayCluster removes it", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			h.deletedByPage(ctx, t, "5.1", func() error { _, err := h.rayCluster(ctx, name); return err })
			return ctx
		}).
		Teardown(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			// Also when an assessment failed: a RayCluster left behind would
			// keep producing refusals during 5.2.
			if err := h.deleteObjects(ctx, objs); err != nil {
				t.Logf("delete %s: %v", CompleteSample, err)
			}
			return ctx
		}).
		Feature()
}

// headRefused asserts that KubeRay reports, on the RayCluster cluster, that
// it could not create the head pod: condition ReplicaFailure, reason
// FailedCreateHeadPod, quoting the restricted refusal.
func (h *harness) headRefused(ctx context.Context, t *testing.T, cluster string) {
	t.Helper()
	g := gomega.NewWithT(t)
	h.eventually(g, func() (metav1.Condition, error) {
		rc, err := h.rayCluster(ctx, cluster)
		if err != nil {
			return metav1.Condition{}, err
		}
		cond, _ := condition(rc, facts.ConditionReplicaFailure)
		return cond, nil
	}).Should(gomega.And(
		gomega.HaveField("Status", metav1.ConditionTrue),
		gomega.HaveField("Reason", facts.ReasonFailedCreateHeadPod),
		gomega.HaveField("Message", gomega.ContainSubstring(restrictedPrefix)),
	))
	note(ctx, t, "RayCluster %s: ReplicaFailure=True FailedCreateHeadPod", cluster)
}

// headRefusalEvent waits for KubeRay's FailedToCreateHeadPod warning on the
// RayCluster cluster that quotes a restricted refusal, and returns it.
func (h *harness) headRefusalEvent(ctx context.Context, t *testing.T, cluster string) corev1.Event {
	t.Helper()
	g := gomega.NewWithT(t)
	var ev corev1.Event
	h.eventually(g, func() ([]corev1.Event, error) {
		evs, err := h.events(ctx, "RayCluster", cluster, facts.EventFailedToCreateHeadPod)
		for _, e := range evs {
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, restrictedPrefix) {
				ev = e
			}
		}
		return evs, err
	}).Should(gomega.ContainElement(gomega.And(
		gomega.HaveField("Type", corev1.EventTypeWarning),
		gomega.HaveField("Message", gomega.ContainSubstring(restrictedPrefix)),
	)))
	return ev
}

// checkAuditPolicy checks every event of this run against the repository's
// policy with the API server's own evaluator.
func (h *harness) checkAuditPolicy(ctx context.Context, t *testing.T) {
	g := gomega.NewWithT(t)
	path, err := repo.Path("audit-policy.yaml")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	pol, err := audit.LoadPolicy(path)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	evs := h.auditEvents(ctx, t, h.auditStart, audit.Filter{})
	g.Expect(evs).NotTo(gomega.BeEmpty(), "the run has created pods in %s, so the log cannot be empty", namespace)
	for _, e := range evs {
		g.Expect(pol.Check(e)).To(gomega.Succeed())
	}
}
