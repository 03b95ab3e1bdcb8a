package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/facts"
)

// probe is the pod step 3's blocks create, refused bare and admitted
// hardened.
const probe = facts.ProbeContainer

// Step 3: the namespace, labelled to enforce, audit and warn at restricted.
func step3Namespace() features.Feature {
	var mark int64
	return newStep("3").
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			mark = harnessFrom(ctx).auditMark(ctx, t)
			return ctx
		}).
		Assess(checkPage, runPage("3")).
		Assess("the namespace carries exactly the six labels", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			ns, err := h.cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
			g.Expect(err).NotTo(gomega.HaveOccurred())
			psa := map[string]string{}
			for k, v := range ns.Labels {
				if strings.HasPrefix(k, "pod-security.kubernetes.io/") {
					psa[k] = v
				}
			}
			g.Expect(psa).To(gomega.Equal(namespaceLabels))
			note(ctx, t, "namespace %s labelled enforce/audit/warn=restricted, versions latest", namespace)
			return ctx
		}).
		Assess("the hardened pod is admitted and scheduled", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			h.eventually(g, func() ([]corev1.Pod, error) {
				return h.podsNamed(ctx, probe)
			}, 3).Should(gomega.ConsistOf(podScheduled()), "pod %s/%s was never bound to a node", namespace, probe)
			return ctx
		}).
		Assess("the hardened pod runs and is Ready", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			h.podsReady(ctx, t, "pod "+probe, func() ([]corev1.Pod, error) { return h.podsNamed(ctx, probe) }, gomega.HaveLen(1), 3)
			return ctx
		}).
		Assess("the audit log records both verdicts", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			requireAudit(ctx, t)
			var refused, admitted []audit.Verdict
			h.eventually(g, func() ([]audit.Verdict, error) {
				evs, err := h.readAudit(ctx, mark, audit.Filter{Namespace: namespace, Resource: "pods", Verb: "create"})
				if err != nil {
					return nil, err
				}
				refused, admitted = nil, nil
				for _, e := range evs {
					v, ok := audit.PodSecurity(e)
					if !ok || v.Name != probe {
						continue
					}
					switch v.Code {
					case 403:
						refused = append(refused, v)
					case 201:
						admitted = append(admitted, v)
					}
				}
				return append(append([]audit.Verdict{}, refused...), admitted...), nil
			}).Should(gomega.HaveLen(2))
			g.Expect(refused).To(gomega.HaveLen(1), "one refusal of the bare %s", probe)
			g.Expect(admitted).To(gomega.HaveLen(1), "one admission of the hardened %s", probe)
			g.Expect(refused[0].EnforcePolicy).To(gomega.Equal("restricted:latest"))
			g.Expect(refused[0].Denied).To(gomega.BeTrue())
			g.Expect(refused[0].AuditViolations).To(gomega.ContainSubstring(`would violate PodSecurity "restricted:latest"`))
			g.Expect(refused[0].Violations).To(gomega.HaveLen(4), "the four restricted settings: %v", refused[0].Violations)
			g.Expect(admitted[0].EnforcePolicy).To(gomega.Equal("restricted:latest"))
			g.Expect(admitted[0].AuditViolations).To(gomega.BeEmpty())
			note(ctx, t, "audit: 403 for the bare %s (%d violations), then 201 for the hardened one, both under restricted:latest", probe, len(refused[0].Violations))
			return ctx
		}).
		Assess("deleting the probe removes it", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			h.deletedByPage(ctx, t, "3", func() error { _, err := h.podsNamed(ctx, probe); return err })
			return ctx
		}).
		Teardown(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			// Also when an assessment failed before the page's deletion: the
			// namespace must be empty for the operator.
			err := h.cs.CoreV1().Pods(namespace).Delete(ctx, probe, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Logf("delete probe pod: %v", err)
			}
			return ctx
		}).
		Feature()
}

// podsNamed is the pod called name in the tutorial's namespace, as a list
// for the waits that take one.
func (h *harness) podsNamed(ctx context.Context, name string) ([]corev1.Pod, error) {
	p, err := h.cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return []corev1.Pod{*p}, nil
}
