package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

// Step 1: the cluster's API server writes an audit log under the
// repository's audit-policy.yaml.
func step1AuditLog() features.Feature {
	return newStep("1").
		Assess(checkPageBefore, runPageBefore).
		Assess(checkPageMore, runPageMore("1")).
		Assess("the API server records a request the policy selects", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			requireAudit(ctx, t)
			// A readable log proves nothing by itself: an API server without
			// audit flags, or with a policy that logs nothing, leaves one
			// that is readable and empty. So make it write an event and read
			// it back: a GET of a pod in the tutorial's namespace, which does
			// not exist yet (404). Step 2 expects to find exactly this event.
			name := fmt.Sprintf("e2e-audit-probe-%d", time.Now().UnixNano())
			// Known to step 2 before the GET: a probe logged late, after a
			// failed check here, is still step 1's and not a stray event.
			h.auditProbe = name
			ev, err := cluster.ProveAuditing(ctx, h.provider, h.cs, namespace, name, h.cfg.Timeout)
			if err != nil {
				t.Fatal(err)
			}
			g := gomega.NewWithT(t)
			g.Expect(string(ev.Level)).To(gomega.Equal("Metadata"), "the policy logs pods in %s at Metadata", namespace)
			g.Expect(audit.Code(ev)).To(gomega.Equal(int32(404)))
			note(ctx, t, "audit: GET pods/%s in %s logged at %s (404) by %s", name, namespace, ev.Level, ev.User.Username)
			return ctx
		}).
		AssessStatic("audit-policy.yaml logs pods in pod-security at Metadata and nothing else", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			g := gomega.NewWithT(t)
			path, err := repo.Path("audit-policy.yaml")
			g.Expect(err).NotTo(gomega.HaveOccurred())
			pol, err := audit.LoadPolicy(path)
			g.Expect(err).NotTo(gomega.HaveOccurred(), "the API server would refuse this policy file")
			pods := audit.Request{User: "u", Verb: "create", Namespace: namespace, APIVersion: "v1", Resource: "pods"}
			level, omit := pol.Level(pods)
			g.Expect(level).To(gomega.Equal("Metadata"))
			g.Expect(omit).To(gomega.ConsistOf("RequestReceived"))
			// Every rule, not a sample of requests: whatever a rule at a
			// higher level could log (tokens in a TokenRequest's body) would
			// end up in the run's evidence.
			rules, policyOmit := pol.Rules()
			g.Expect(policyOmit).To(gomega.ConsistOf("RequestReceived"))
			var logging []audit.Rule
			for _, r := range rules {
				if r.Level != "None" {
					logging = append(logging, r)
				}
			}
			g.Expect(logging).To(gomega.HaveExactElements(gomega.And(
				gomega.HaveField("Level", "Metadata"),
				gomega.HaveField("Namespaces", gomega.Equal([]string{namespace})),
				gomega.HaveField("Resources", gomega.Equal([]string{"/pods"})),
				gomega.HaveField("NonResourceURLs", gomega.BeEmpty()),
			)), "audit-policy.yaml must log pods in %s at Metadata and nothing else", namespace)
			for _, other := range []audit.Request{
				{User: "u", Verb: "create", Namespace: "default", APIVersion: "v1", Resource: "pods"},
				{User: "u", Verb: "create", Namespace: namespace, APIVersion: "v1", Resource: "configmaps"},
				{User: "u", Verb: "create", Namespace: namespace, APIGroup: "ray.io", APIVersion: "v1", Resource: "rayclusters"},
			} {
				level, _ := pol.Level(other)
				g.Expect(level).To(gomega.Equal("None"), "%s %s/%s", other.Verb, other.Namespace, other.Resource)
			}
			return ctx
		}).
		Assess("the API server logs nothing outside the policy", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			requireAudit(ctx, t)
			mark := h.auditMark(ctx, t)
			// Requests the policy leaves out: a ConfigMap and a (dry-run)
			// pod in another namespace. Step 3 shows the opposite: pods in
			// the tutorial's namespace are logged.
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "audit-probe", Namespace: "default"}}
			_, err := h.cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
			g.Expect(err).NotTo(gomega.HaveOccurred())
			defer h.cs.CoreV1().ConfigMaps("default").Delete(context.WithoutCancel(ctx), cm.Name, metav1.DeleteOptions{})
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "audit-probe", Namespace: "default"},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "probe", Image: h.cfg.ProbeImage}}}}
			_, err = h.cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Consistently(func() ([]audit.Event, error) {
				return h.readAudit(ctx, mark, audit.Filter{})
			}).WithTimeout(time.Second).WithPolling(100 * time.Millisecond).Should(gomega.BeEmpty())
			return ctx
		}).
		Feature()
}

// Step 2: before the namespace exists, the log holds nothing for it but
// step 1's probe.
func step2NothingYet() features.Feature {
	return newStep("2").
		Assess(checkPageMore, runPageMore("2")).
		Assess("no event names namespace pod-security but step 1's probe", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			// From the run's start, not the file's: a reused Kind cluster (or
			// an existing one) keeps earlier runs' events in its log.
			evs := h.auditEvents(ctx, t, h.auditStart, audit.Filter{Namespace: namespace})
			g := gomega.NewWithT(t)
			if h.auditProbe == "" {
				// Step 2 run alone: nothing at all.
				g.Expect(evs).To(gomega.BeEmpty(), "events for %s before the namespace was created", namespace)
				note(ctx, t, "0 audit events for namespace %s (step 1 did not run)", namespace)
				return ctx
			}
			// Exactly step 1's probe: with no probe in the log, the log is
			// not being written and "nothing yet" would prove nothing.
			g.Expect(evs).To(gomega.HaveExactElements(gomega.And(
				gomega.HaveField("Verb", "get"),
				gomega.HaveField("ObjectRef.Resource", "pods"),
				gomega.HaveField("ObjectRef.Name", h.auditProbe),
			)), "the only event for %s before the namespace exists must be step 1's GET pods/%s", namespace, h.auditProbe)
			note(ctx, t, "the only audit event for namespace %s is step 1's probe GET pods/%s", namespace, h.auditProbe)
			return ctx
		}).
		Feature()
}
