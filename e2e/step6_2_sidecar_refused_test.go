package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
)

// sidecarWithTemplate names the copy of the SidecarMode RayJob that brings
// a hardened submitterPodTemplate; no other RayJob's name is a prefix of it.
const sidecarWithTemplate = "rayjob-template-in-sidecar"

// Step 6.2: a RayJob in SidecarMode. KubeRay adds its submitter container to
// the head pod, so the head itself is refused, and KubeRay's validation
// forbids the template that would harden it.
func step62SidecarRefused() features.Feature {
	r := newRayJobStep("6.2", fixtures.RayJobSidecarFile, fixtures.RayJobSidecarName)
	var withTemplate []*unstructured.Unstructured
	return newStep("6.2", (*harness).ensureOperator).
		Setup(r.apply(rejected)).
		Assess(checkPage, runPage("6.2")).
		Assess(checkPageMore, runPageMore("6.2")).
		Assess("the RayJob's RayCluster reports ReplicaFailure FailedCreateHeadPod", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			h.headRefused(ctx, t, r.clusterName(ctx, gomega.NewWithT(t)))
			return ctx
		}).
		Assess("a FailedToCreateHeadPod warning event quotes the refusal the static check predicts, for ray-job-submitter alone", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			ev := h.headRefusalEvent(ctx, t, r.clusterName(ctx, g))
			crossCheckRefusal(t, r.static, "RayJob", "head", ev.Message)
			// The hardened part of the head passes: only KubeRay's container
			// is named.
			g.Expect(ev.Message).To(gomega.ContainSubstring(restrictedPrefix + ": " + facts.SubmitterViolation))
			g.Expect(ev.Message).NotTo(gomega.ContainSubstring(`"` + facts.HeadContainer + `"`))
			note(ctx, t, "event %s: %s", facts.EventFailedToCreateHeadPod, ev.Message[strings.Index(ev.Message, restrictedPrefix):])
			return ctx
		}).
		Assess("the audit log shows the operator's 403 for the head", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			sa, err := h.operatorServiceAccount(ctx)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			v := r.auditRefusal(ctx, t, "head")
			g.Expect(v.User).To(gomega.Equal("system:serviceaccount:"+namespace+":"+sa), "who created the head pod")
			g.Expect(v.Name).To(gomega.HavePrefix(r.clusterName(ctx, g) + "-head-"))
			note(ctx, t, "audit 403 %s by %s: %s", v.Name, v.User, v.Message[strings.Index(v.Message, restrictedPrefix):])
			return ctx
		}).
		Assess("no Ray pod or submitter Job appears, and the RayJob stays Initializing", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			cluster := r.clusterName(ctx, g)
			g.Consistently(func(g gomega.Gomega) {
				pods, err := h.rayPods(ctx, cluster)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				g.Expect(pods).To(gomega.BeEmpty())
				_, err = h.submitterJob(ctx, r.name)
				g.Expect(apierrors.IsNotFound(err)).To(gomega.BeTrue(), "Job %s: %v; SidecarMode makes none", r.name, err)
				s, err := h.rayJobStatus(ctx, r.name)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				g.Expect(s.Deployment).To(gomega.Equal(facts.DeploymentInitializing))
			}).WithTimeout(h.cfg.Hold).WithPolling(250 * time.Millisecond).Should(gomega.Succeed())
			note(ctx, t, "for %s: no Ray pod, no Job, RayJob %s %s", h.cfg.Hold, r.name, facts.DeploymentInitializing)
			return ctx
		}).
		Assess("KubeRay refuses a hardened submitterPodTemplate in SidecarMode", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			var err error
			withTemplate, err = sidecarWithHardenedTemplate()
			g.Expect(err).NotTo(gomega.HaveOccurred())
			_, err = fixtures.SetRay(withTemplate, h.cfg.Ray, h.cfg.RayImage)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(h.applyObjects(ctx, withTemplate)).To(gomega.Succeed())
			var s rayJobStatus
			h.eventually(g, func() (string, error) {
				s, err = h.rayJobStatus(ctx, sidecarWithTemplate)
				return s.Deployment, err
			}).Should(gomega.Equal(facts.DeploymentValidationFailed))
			g.Expect(s.Message).To(gomega.ContainSubstring(facts.SidecarTemplateRefusal))
			g.Expect(s.Cluster).To(gomega.BeEmpty(), "KubeRay made a RayCluster for a RayJob it refused")
			g.Expect(h.deleteObjects(ctx, withTemplate)).To(gomega.Succeed())
			h.eventually(g, func() error {
				_, err := h.rayJobStatus(ctx, sidecarWithTemplate)
				return err
			}).Should(gomega.Satisfy(apierrors.IsNotFound))
			note(ctx, t, "RayJob %s (SidecarMode with %s's submitterPodTemplate): %s, %q", sidecarWithTemplate, fixtures.RayJobHardenedFile, s.Deployment, s.Message)
			return ctx
		}).
		Assess("every audit event obeys audit-policy.yaml", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			harnessFrom(ctx).checkAuditPolicy(ctx, t)
			return ctx
		}).
		Assess("deleting the RayJob removes its RayCluster", r.deleteAndWait).
		Teardown(func(ctx context.Context, t *testing.T, c *envconf.Config) context.Context {
			if withTemplate != nil {
				if err := harnessFrom(ctx).deleteObjects(ctx, withTemplate); err != nil {
					t.Logf("delete %s: %v", sidecarWithTemplate, err)
				}
			}
			return r.teardown(ctx, t, c)
		}).
		Feature()
}

// sidecarWithHardenedTemplate is the SidecarMode RayJob, renamed, with the
// hardened submitterPodTemplate of step 6.3: what a user would try to make
// the sidecar pass.
func sidecarWithHardenedTemplate() ([]*unstructured.Unstructured, error) {
	objs, err := fixtures.RayJob(fixtures.RayJobSidecarFile)
	if err != nil {
		return nil, err
	}
	hardened, err := fixtures.RayJob(fixtures.RayJobHardenedFile)
	if err != nil {
		return nil, err
	}
	tmpl, _, err := unstructured.NestedMap(hardened[0].Object, "spec", "submitterPodTemplate")
	if err != nil {
		return nil, err
	}
	objs[0].SetName(sidecarWithTemplate)
	return objs, unstructured.SetNestedMap(objs[0].Object, tmpl, "spec", "submitterPodTemplate")
}
