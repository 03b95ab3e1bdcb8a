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

const (
	bareProbe     = "psa-probe-bare"
	hardenedProbe = "psa-probe-hardened"
)

// probePod is a pause container; hardened, it carries exactly the four
// settings the restricted standard requires.
func (h *harness) probePod(name string, hardened bool, ns string) *corev1.Pod {
	c := corev1.Container{Name: facts.ProbeContainer, Image: h.cfg.ProbeImage}
	if hardened {
		c.SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			RunAsNonRoot:             ptr.To(true),
			RunAsUser:                ptr.To(int64(65535)),
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{c}, TerminationGracePeriodSeconds: ptr.To(int64(0))},
	}
}

// Step 3: the namespace, labelled to enforce, audit and warn at restricted.
func step3Namespace() features.Feature {
	var mark int64
	return newStep("3").
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			mark = h.auditMark(ctx, t)
			if err := h.createNamespace(ctx); err != nil {
				t.Fatal(err)
			}
			return ctx
		}).
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
		Assess("a pod without securityContext is refused", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			_, err := h.cs.CoreV1().Pods(namespace).Create(ctx, h.probePod(bareProbe, false, namespace), metav1.CreateOptions{})
			g.Expect(apierrors.IsForbidden(err)).To(gomega.BeTrue(), "want 403 Forbidden, got %v", err)
			g.Expect(err.Error()).To(gomega.ContainSubstring(restrictedPrefix + ": " + facts.ProbeViolation))
			note(ctx, t, "%s", err.Error())
			return ctx
		}).
		Assess("a hardened pod is admitted and scheduled", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			_, err := h.cs.CoreV1().Pods(namespace).Create(ctx, h.probePod(hardenedProbe, true, namespace), metav1.CreateOptions{})
			g.Expect(err).NotTo(gomega.HaveOccurred())
			h.eventually(g, func() ([]corev1.Pod, error) {
				return h.podsNamed(ctx, hardenedProbe)
			}, 3).Should(gomega.ConsistOf(podScheduled()), "pod %s/%s was never bound to a node", namespace, hardenedProbe)
			return ctx
		}).
		Assess("the hardened pod runs and is Ready", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			h.podsReady(ctx, t, "pod "+hardenedProbe, func() ([]corev1.Pod, error) { return h.podsNamed(ctx, hardenedProbe) }, gomega.HaveLen(1), 3)
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
					if !ok {
						continue
					}
					switch {
					case v.Name == bareProbe && v.Code == 403:
						refused = append(refused, v)
					case v.Name == hardenedProbe && v.Code == 201:
						admitted = append(admitted, v)
					}
				}
				return append(append([]audit.Verdict{}, refused...), admitted...), nil
			}).Should(gomega.HaveLen(2))
			g.Expect(refused).To(gomega.HaveLen(1), "one refusal of %s", bareProbe)
			g.Expect(admitted).To(gomega.HaveLen(1), "one admission of %s", hardenedProbe)
			g.Expect(refused[0].EnforcePolicy).To(gomega.Equal("restricted:latest"))
			g.Expect(refused[0].Denied).To(gomega.BeTrue())
			g.Expect(refused[0].AuditViolations).To(gomega.ContainSubstring(`would violate PodSecurity "restricted:latest"`))
			g.Expect(refused[0].Violations).To(gomega.HaveLen(4), "the four restricted settings: %v", refused[0].Violations)
			g.Expect(admitted[0].EnforcePolicy).To(gomega.Equal("restricted:latest"))
			g.Expect(admitted[0].AuditViolations).To(gomega.BeEmpty())
			note(ctx, t, "audit: 403 for %s (%d violations), 201 for %s, both under restricted:latest", bareProbe, len(refused[0].Violations), hardenedProbe)
			return ctx
		}).
		Teardown(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			err := h.cs.CoreV1().Pods(namespace).Delete(ctx, hardenedProbe, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
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
