package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/rayjobs"
)

// Step 6.3: the RayJob of 6.1 with its own, hardened submitterPodTemplate.
// Every pod is admitted, and where containers run the submitter submits the
// job, which succeeds.
func step63HardenedSubmitterRuns() features.Feature {
	r := newRayJobStep("6.3", fixtures.RayJobHardenedFile, fixtures.RayJobHardenedName)
	var submitter corev1.Pod
	return newStep("6.3", (*harness).ensureOperator).
		Setup(r.apply(admitted)).
		Assess(checkPage, runPage("6.3")).
		Assess("the RayJob's RayCluster is admitted: head and worker hardened and scheduled", r.clusterAdmitted).
		Assess("the RayJob's head and worker run and are Ready", r.clusterReady).
		Assess("the submitter Job runs the hardened submitterPodTemplate with KubeRay's ray job submit", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			g := gomega.NewWithT(t)
			job := r.submitterJob(ctx, g)
			want, err := submitterTemplate(r.objs)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			got := job.Spec.Template.Spec
			// KubeRay copies the template: every securityContext as written.
			g.Expect(apiequality.Semantic.DeepEqual(got.SecurityContext, want.Spec.SecurityContext)).To(gomega.BeTrue(), "pod securityContext %s, the template's %s", toJSON(got.SecurityContext), toJSON(want.Spec.SecurityContext))
			g.Expect(got.Containers).To(gomega.HaveLen(len(want.Spec.Containers)))
			c := got.Containers[0]
			g.Expect(c.Name).To(gomega.Equal(facts.SubmitterContainer))
			g.Expect(apiequality.Semantic.DeepEqual(c.SecurityContext, want.Spec.Containers[0].SecurityContext)).To(gomega.BeTrue(), "container securityContext %s, the template's %s", toJSON(c.SecurityContext), toJSON(want.Spec.Containers[0].SecurityContext))
			g.Expect(c.SecurityContext).To(hardened())
			// ... and adds what submits the job to a template without a command.
			cmd := strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")
			g.Expect(cmd).To(gomega.ContainSubstring("ray job submit"))
			note(ctx, t, "Job %s: the template's securityContexts unchanged; KubeRay added the command %q", job.Name, firstWords(cmd, 8))
			return ctx
		}).
		Assess("the operator and the Job controller made the pods the static check derived", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			h.eventually(g, func() ([]corev1.Pod, error) {
				return h.submitterPods(ctx, r.name)
			}, 3).ShouldNot(gomega.BeEmpty(), "Job %s has no pod", r.name)
			subs, err := h.submitterPods(ctx, r.name)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			submitter = subs[0]
			pods, err := h.rayPods(ctx, r.cluster)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			n := compareDerivedPods(t, h.cfg.KubeRay, r.objs, append(pods, submitter))
			note(ctx, t, "%d pods (head, worker, submitter %s) match the static check's derivation", n, submitter.Name)
			return ctx
		}).
		Assess("the audit log shows every pod admitted without violations", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			sa, err := h.operatorServiceAccount(ctx)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			operator := "system:serviceaccount:" + namespace + ":" + sa
			requireAudit(ctx, t)
			var vs []audit.Verdict
			byUser := func(user string) int {
				n := 0
				for _, v := range vs {
					if v.User == user {
						n++
					}
				}
				return n
			}
			h.eventually(g, func() (string, error) {
				vs, err = h.podCreates(ctx, r.mark, r.name)
				return fmt.Sprintf("%d by the operator, %d by the Job controller", byUser(operator), byUser(facts.JobControllerUser)), err
			}, 3).Should(gomega.Equal("2 by the operator, 1 by the Job controller"))
			g.Expect(vs).To(gomega.HaveEach(gomega.And(
				gomega.HaveField("Code", int32(201)),
				gomega.HaveField("EnforcePolicy", "restricted:latest"),
				gomega.HaveField("AuditViolations", ""),
			)))
			note(ctx, t, "audit: head and worker created by %s, the submitter by %s, all 201 with no violations", operator, facts.JobControllerUser)
			h.checkAuditPolicy(ctx, t)
			return ctx
		}).
		// The page waits for Complete, shows the RayJob SUCCEEDED, and the
		// submitter's log with the job's output.
		Assess(checkPageMore, runPageMore("6.3")).
		Assess("the Ray dashboard reports the submission SUCCEEDED", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			requireContainers(ctx, t)
			g := gomega.NewWithT(t)
			s, err := h.rayJobStatus(ctx, r.name)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			list, stop := r.dashboard(ctx, t, g)
			defer stop()
			var job rayjobs.Job
			h.eventually(g, func() (string, error) {
				jobs, err := list()
				if err != nil {
					return "", err
				}
				var ok bool
				if job, ok = rayjobs.FindSubmission(jobs, s.JobID); !ok {
					return "no submission " + s.JobID, nil
				}
				return job.Status, nil
			}).Should(gomega.Equal(rayjobs.StatusSucceeded))
			note(ctx, t, "dashboard of %s: submission %s %s", r.cluster, s.JobID, job.Status)
			return ctx
		}).
		Assess("deleting the RayJob removes its RayCluster, Job and pods", r.deleteAndWait).
		// The page's last block, after the last step.
		Assess(checkPageCleanUp, runPageCleanUp).
		Teardown(r.teardown).
		Feature()
}

// submitterTemplate is the RayJob's spec.submitterPodTemplate as written.
func submitterTemplate(objs []*unstructured.Unstructured) (corev1.PodTemplateSpec, error) {
	var tmpl corev1.PodTemplateSpec
	for _, o := range objs {
		if m, found, _ := unstructured.NestedMap(o.Object, "spec", "submitterPodTemplate"); found && o.GetKind() == "RayJob" {
			err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &tmpl)
			if err == nil && len(tmpl.Spec.Containers) == 0 {
				err = fmt.Errorf("RayJob %s's submitterPodTemplate has no container", o.GetName())
			}
			return tmpl, err
		}
	}
	return tmpl, fmt.Errorf("no RayJob with a submitterPodTemplate")
}

// firstWords shortens a long command for the step's evidence line.
func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) <= n {
		return s
	}
	return strings.Join(w[:n], " ") + " …"
}
