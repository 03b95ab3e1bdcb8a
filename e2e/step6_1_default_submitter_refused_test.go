package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/rayjobs"
)

// Step 6.1: a RayJob without submitterPodTemplate. Its RayCluster is the
// tutorial's hardened one and runs; the submitter pod KubeRay builds has no
// securityContext, so the Job controller's every attempt to create it is
// refused, and nothing is ever submitted, while KubeRay reports the RayJob
// Running.
func step61DefaultSubmitterRefused() features.Feature {
	r := newRayJobStep("6.1", fixtures.RayJobDefaultSubmitterFile, fixtures.RayJobDefaultSubmitterName)
	return newStep("6.1", (*harness).ensureOperator).
		Setup(r.apply(rejected)).
		Assess(checkPage, runPage("6.1")).
		Assess(checkPageMore, runPageMore("6.1")).
		Assess("the RayJob's RayCluster is admitted: head and worker hardened and scheduled", r.clusterAdmitted).
		Assess("the RayJob's head and worker run and are Ready", r.clusterReady).
		Assess("KubeRay creates the submitter Job with a ray-job-submitter container that has no securityContext", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			job := r.submitterJob(ctx, g)
			spec := job.Spec.Template.Spec
			g.Expect(spec.Containers).To(gomega.HaveLen(1))
			c := spec.Containers[0]
			g.Expect(c.Name).To(gomega.Equal(facts.SubmitterContainer))
			g.Expect(c.Image).To(gomega.Equal(h.cfg.RayImage), "KubeRay runs the submitter on the head's image")
			g.Expect(c.SecurityContext).To(gomega.BeNil(), "KubeRay %s now gives its submitter a securityContext: step 6.1 and the docs need revisiting", h.cfg.KubeRay.Version)
			// The API server defaults a missing pod securityContext to {}.
			g.Expect(spec.SecurityContext).To(gomega.Or(gomega.BeNil(), gomega.Equal(&corev1.PodSecurityContext{})))
			h.eventually(g, func() ([]corev1.Event, error) {
				return h.events(ctx, "RayJob", r.name, facts.EventCreatedRayJobSubmitter)
			}).ShouldNot(gomega.BeEmpty(), "no %s event on RayJob %s", facts.EventCreatedRayJobSubmitter, r.name)
			note(ctx, t, "KubeRay %s: Job %s runs container %s with no securityContext, pod securityContext empty", h.cfg.KubeRay.Version, job.Name, c.Name)
			return ctx
		}).
		Assess("the Job's FailedCreate warning event quotes the refusal the static check predicts", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			var ev corev1.Event
			h.eventually(g, func() (bool, error) {
				evs, err := h.events(ctx, "Job", r.name, facts.EventFailedCreate)
				for _, e := range evs {
					if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, restrictedPrefix) {
						ev = e
						return true, nil
					}
				}
				return false, err
			}, 3).Should(gomega.BeTrue(), "no %s warning on Job %s quoting %s", facts.EventFailedCreate, r.name, restrictedPrefix)
			// The Job controller's event quotes the API server: on every
			// provider, the static check is proven against it.
			crossCheckRefusal(t, r.static, "RayJob", "submitter", ev.Message)
			note(ctx, t, "Job %s event %s: %s", r.name, facts.EventFailedCreate, ev.Message[strings.Index(ev.Message, restrictedPrefix):])
			return ctx
		}).
		Assess("the audit log shows the head and worker admitted and the Job controller's 403 for ray-job-submitter", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			v := r.auditRefusal(ctx, t, "submitter")
			g.Expect(v.User).To(gomega.Equal(facts.JobControllerUser), "who created the submitter pod")
			// The RayCluster's two pods were admitted, and nothing else.
			vs, err := h.podCreates(ctx, r.mark, r.name)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			var admitted []audit.Verdict
			for _, w := range vs {
				if !w.Denied {
					admitted = append(admitted, w)
				}
			}
			g.Expect(admitted).To(gomega.And(gomega.HaveLen(2), gomega.HaveEach(gomega.And(
				gomega.HaveField("Code", int32(201)),
				gomega.HaveField("AuditViolations", ""),
			))), "admitted pod creates while RayJob %s lived", r.name)
			note(ctx, t, "audit: head and worker 201; 403 %s by %s: %s", v.Name, v.User, v.Message[strings.Index(v.Message, restrictedPrefix):])
			return ctx
		}).
		Assess("no submitter pod exists, and KubeRay reports the RayJob Running", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			h.eventually(g, func() (string, error) {
				s, err := h.rayJobStatus(ctx, r.name)
				return s.Deployment, err
			}).Should(gomega.Equal(facts.DeploymentRunning))
			g.Consistently(func(g gomega.Gomega) {
				pods, err := h.submitterPods(ctx, r.name)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				g.Expect(pods).To(gomega.BeEmpty())
				job, err := h.submitterJob(ctx, r.name)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				g.Expect(job.Status.Active+job.Status.Succeeded+job.Status.Failed).To(gomega.BeZero(), "Job %s's pods", r.name)
				s, err := h.rayJobStatus(ctx, r.name)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				g.Expect(s.Deployment).To(gomega.Equal(facts.DeploymentRunning))
			}).WithTimeout(h.cfg.Hold).WithPolling(250 * time.Millisecond).Should(gomega.Succeed())
			s, _ := h.rayJobStatus(ctx, r.name)
			note(ctx, t, "for %s: no submitter pod, Job %s with no pod, RayJob jobDeploymentStatus %s", h.cfg.Hold, r.name, s.Deployment)
			return ctx
		}).
		Assess("the Ray dashboard holds no job of the RayJob's submission id, and KubeRay reports no job status", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			// Where no container runs, no dashboard answers KubeRay either,
			// so an empty job status there would prove nothing.
			requireContainers(ctx, t)
			g := gomega.NewWithT(t)
			s, err := h.rayJobStatus(ctx, r.name)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(s.JobID).NotTo(gomega.BeEmpty(), "RayJob %s has no status.jobId", r.name)
			// Never SUCCEEDED, nor anything else: KubeRay, which asks the
			// dashboard, never learns of a Ray job (jobStatus stays "").
			g.Expect(s.JobStatus).To(gomega.BeEmpty(), "RayJob %s's jobStatus", r.name)
			list, stop := r.dashboard(ctx, t, g)
			defer stop()
			var jobs []rayjobs.Job
			h.eventually(g, func() error {
				jobs, err = list()
				return err
			}).Should(gomega.Succeed())
			_, found := rayjobs.FindSubmission(jobs, s.JobID)
			g.Expect(found).To(gomega.BeFalse(), "the dashboard has a job %s, but its submitter was never admitted", s.JobID)
			note(ctx, t, "dashboard of %s: %d jobs, none with submission id %s; RayJob jobStatus %q", r.cluster, len(jobs), s.JobID, s.JobStatus)
			return ctx
		}).
		Assess("every audit event obeys audit-policy.yaml", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			harnessFrom(ctx).checkAuditPolicy(ctx, t)
			return ctx
		}).
		Assess("deleting the RayJob removes its RayCluster, Job and pods", r.deleteAndWait).
		Teardown(r.teardown).
		Feature()
}
