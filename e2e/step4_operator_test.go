package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	"helm.sh/helm/v4/pkg/release/common"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/chart"
)

// Step 4: the kuberay-operator chart, installed by the page's helm lines
// with the hardened values of fixtures/operator-values.yaml.
func step4Operator() features.Feature {
	var mark int64
	var pod corev1.Pod
	return newStep("4", (*harness).ensureNamespace).
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			mark = harnessFrom(ctx).auditMark(ctx, t)
			return ctx
		}).
		Assess(checkPage, func(ctx context.Context, t *testing.T, c *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			ctx = runPage("4")(ctx, t, c)
			// Where the operator runs outside the cluster (the local tier),
			// the tier starts it now, as the chart's Deployment would.
			if err := h.startOperator(ctx); err != nil {
				t.Fatal(err)
			}
			return ctx
		}).
		Assess("the release is deployed", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			in, err := chart.NewInstaller(h.kubeconfig, namespace, nil)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			rel, err := in.Status()
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(rel.Info.Status).To(gomega.Equal(common.StatusDeployed))
			g.Expect(rel.Chart.Metadata.Version).To(gomega.Equal(h.cfg.KubeRay.ChartVersion()))
			h.run.SetMeta("chart", chartReleaseLabel(h, rel.Chart.Metadata.Name, rel.Chart.Metadata.Version, rel.Chart.Metadata.AppVersion))
			note(ctx, t, "release %s (%s) deployed in %s, applied %s", rel.Name, chart.Label(h.cfg.Chart, rel.Chart.Metadata.Name, rel.Chart.Metadata.Version), namespace, rel.ApplyMethod)
			return ctx
		}).
		Assess("the operator pod is admitted, hardened and scheduled", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			h.eventually(g, func() ([]corev1.Pod, error) {
				pods, err := h.operatorPods(ctx)
				if len(pods) == 1 {
					pod = pods[0]
				}
				return pods, err
			}).Should(gomega.ConsistOf(podScheduled()))
			for _, c := range pod.Spec.Containers {
				g.Expect(c.SecurityContext).To(hardened(), "container %s of %s", c.Name, pod.Name)
			}
			note(ctx, t, "operator pod %s admitted under restricted and bound to node %s", pod.Name, pod.Spec.NodeName)
			return ctx
		}).
		Assess("the operator pod runs and is Ready", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			pods := h.podsReady(ctx, t, "the operator pod", func() ([]corev1.Pod, error) { return h.operatorPods(ctx) }, gomega.HaveLen(1), 1)
			note(ctx, t, "operator pod %s Ready", podNames(pods))
			return ctx
		}).
		Assess("the audit log shows the operator pod admitted", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			requireAudit(ctx, t)
			if pod.Name == "" {
				t.Fatal("the operator pod was not found scheduled, so there is no admission to look for")
			}
			// The operator's own pod, not any admitted pod. A 201 at Metadata
			// level records no name for a pod whose name the API server
			// generated, so the event is tied to the pod by its creator and
			// its time: the one create by the ReplicaSet controller received
			// within a second or two of the pod's creationTimestamp (which
			// has whole seconds), and the pod is owned by a ReplicaSet.
			g.Expect(pod.OwnerReferences).To(gomega.ContainElement(gomega.And(
				gomega.HaveField("Kind", "ReplicaSet"),
				gomega.HaveField("Controller", gomega.HaveValue(gomega.BeTrue())),
			)), "operator pod %s must be a ReplicaSet's", pod.Name)
			created := pod.CreationTimestamp.Time
			var creates []audit.Verdict
			h.eventually(g, func() ([]audit.Verdict, error) {
				evs, err := h.readAudit(ctx, mark, audit.Filter{Namespace: namespace, Resource: "pods", Verb: "create"})
				if err != nil {
					return nil, err
				}
				creates = nil
				for _, e := range evs {
					at := e.RequestReceivedTimestamp.Time
					v, ok := audit.PodSecurity(e)
					if ok && slices.Contains(replicaSetControllers, v.User) && !at.Before(created.Add(-time.Second)) && at.Before(created.Add(2*time.Second)) {
						creates = append(creates, v)
					}
				}
				return creates, nil
			}).Should(gomega.HaveLen(1), "pod creates by the ReplicaSet controller (%s) in %s received when pod %s was created (%s)",
				strings.Join(replicaSetControllers, " or "), namespace, pod.Name, created.Format(time.RFC3339))
			found := creates[0]
			g.Expect(found).To(gomega.And(
				gomega.HaveField("Code", int32(201)),
				gomega.HaveField("EnforcePolicy", "restricted:latest"),
				gomega.HaveField("AuditViolations", ""),
			), "the create of operator pod %s", pod.Name)
			note(ctx, t, "audit: operator pod %s created by %s, 201 under restricted:latest, no violations", pod.Name, found.User)
			return ctx
		}).
		Feature()
}

// operatorPods are the pods of the chart's release.
func (h *harness) operatorPods(ctx context.Context) ([]corev1.Pod, error) {
	list, err := h.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + chart.ReleaseName})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// replicaSetControllers is who creates a Deployment's pods: the ReplicaSet
// controller's own ServiceAccount where the controller manager runs each
// controller under one (--use-service-account-credentials, as kubeadm, Kind
// and the local tier do), or the controller manager's own user.
var replicaSetControllers = []string{"system:serviceaccount:kube-system:replicaset-controller", "system:kube-controller-manager"}

// podReady matches a pod whose Ready condition is True.
func podReady() types.GomegaMatcher {
	return gomega.WithTransform(func(obj any) string {
		var p *corev1.Pod
		switch x := obj.(type) {
		case *corev1.Pod:
			p = x
		case corev1.Pod:
			p = &x
		}
		if p == nil {
			return "no pod"
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				return fmt.Sprintf("%s Ready=%s", p.Status.Phase, c.Status)
			}
		}
		return fmt.Sprintf("%s Ready=unknown", p.Status.Phase)
	}, gomega.Equal("Running Ready=True"))
}

// hardened matches a container securityContext with the four settings the
// restricted standard needs.
func hardened() types.GomegaMatcher {
	return gomega.And(
		gomega.Not(gomega.BeNil()),
		gomega.HaveField("AllowPrivilegeEscalation", gomega.HaveValue(gomega.BeFalse())),
		gomega.HaveField("Capabilities.Drop", gomega.ContainElement(corev1.Capability("ALL"))),
		gomega.HaveField("SeccompProfile.Type", corev1.SeccompProfileTypeRuntimeDefault),
		gomega.HaveField("RunAsNonRoot", gomega.HaveValue(gomega.BeTrue())),
	)
}
