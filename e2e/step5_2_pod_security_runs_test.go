package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/feature"
	"github.com/kuberay-docs/pod-security-e2e/internal/kube"
	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
	"github.com/kuberay-docs/pod-security-e2e/rayjobs"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Step 5.2: the project's hardened RayCluster is admitted, runs, and the
// XGBoost job and pip work inside the restricted namespace.
func step52PodSecurityRuns() features.Feature {
	var objs []*unstructured.Unstructured
	var mark int64
	var head corev1.Pod
	var scriptRan bool
	var deleted bool
	name := fixtures.RayClusterName
	return newStep("5.2", (*harness).ensureOperator).
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			var err error
			if objs, err = fixtures.PodSecurityCluster(); err != nil {
				t.Fatal(err)
			}
			// The fixture is written for the default Ray; the chosen release
			// (E2E_RAY_VERSION) and image (E2E_RAY_IMAGE) are set before the
			// static check, so it derives the pods that are applied.
			n, err := fixtures.SetRay(objs, h.cfg.Ray, h.cfg.RayImage)
			if err != nil || n == 0 {
				t.Fatalf("Ray %s, image %s: %d of the fixture's containers run %s (%v)", h.cfg.Ray.Version, h.cfg.RayImage, n, versions.RayImage, err)
			}
			if !h.cfg.Ray.IsDefault() {
				note(ctx, t, "Ray %s (E2E_RAY_VERSION): rayVersion, xgboost-cpu==%s, token authentication %v", h.cfg.Ray.Version, h.cfg.Ray.XGBoost, h.cfg.Ray.TokenAuth())
			}
			if h.cfg.RayImage != versions.RayImage {
				note(ctx, t, "Ray image %s in %d containers, in place of the fixture's %s", h.cfg.RayImage, n, versions.RayImage)
			}
			h.staticCheck(t, fixtures.PodSecurityClusterFile, objs, admitted)
			mark = h.auditMark(ctx, t)
			return ctx
		}).
		Assess(checkPage, runPage("5.2")).
		Assess("head and worker pods are admitted, hardened and scheduled", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			head = harnessFrom(ctx).hardenedPodsScheduled(ctx, t, name)
			note(ctx, t, "head %s and worker admitted under restricted:latest and scheduled", head.Name)
			return ctx
		}).
		Assess("the operator made the pods the static check derived", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			pods, err := h.rayPods(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			n := compareDerivedPods(t, h.cfg.KubeRay, objs, pods)
			note(ctx, t, "%d pods made by the operator match the static check's derivation: containers, init containers, every securityContext", n)
			if h.cfg.Ray.TokenAuth() {
				h.checkTokenAuth(ctx, t, name, pods)
				note(ctx, t, "token authentication: Secret %s holds %s, and every Ray container takes it as RAY_AUTH_TOKEN with RAY_AUTH_MODE=token", name, fixtures.TokenSecretKey)
			}
			return ctx
		}).
		Assess("head and worker run and are Ready, and the RayCluster is ready", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			// KubeRay's ready state follows its pods' readiness, which only
			// a tier with containers reports for real.
			pods := h.rayPodsReady(ctx, t, name)
			note(ctx, t, "%s Ready", podNames(pods))
			h.eventually(g, func() (string, error) {
				rc, err := h.rayCluster(ctx, name)
				if err != nil {
					return "", err
				}
				state, _, _ := unstructured.NestedString(rc.Object, "status", "state")
				return state, nil
			}, 3).Should(gomega.Equal("ready"))
			return ctx
		}).
		Assess("the audit log shows both pods admitted without violations", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			sa, err := h.operatorServiceAccount(ctx)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			requireAudit(ctx, t)
			// Only this RayCluster's pods count: a late retry of 5.1's
			// refused head names another cluster.
			h.eventually(g, func() ([]audit.Verdict, error) {
				return h.podCreates(ctx, mark, name)
			}).Should(gomega.And(
				gomega.HaveLen(2),
				gomega.HaveEach(gomega.And(
					gomega.HaveField("Code", int32(201)),
					gomega.HaveField("EnforcePolicy", "restricted:latest"),
					gomega.HaveField("AuditViolations", ""),
					// The operator made them with the chart's ServiceAccount,
					// so the chart's RBAC is what allowed it.
					gomega.HaveField("User", "system:serviceaccount:"+namespace+":"+sa),
				)),
			))
			note(ctx, t, "audit: 2 pods created by system:serviceaccount:%s:%s, 201, no violations", namespace, sa)
			h.checkAuditPolicy(ctx, t)
			return ctx
		}).
		Assess(checkPageMore, func(ctx context.Context, t *testing.T, c *envconf.Config) context.Context {
			// The XGBoost script, the dashboard's port-forward and the
			// page's Jobs API query, and pip.
			ctx = runPageMore("5.2")(ctx, t, c)
			scriptRan = true
			return ctx
		}).
		Assess("the Ray dashboard reports the job SUCCEEDED", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			requireContainers(ctx, t)
			if !scriptRan {
				feature.Skip(ctx, t, "the XGBoost script did not run in this run (an --assess filter?), so there is no job to look up")
			}
			g := gomega.NewWithT(t)
			port, stop, err := kube.PortForward(ctx, h.rest, namespace, head.Name, facts.DashboardPort, testlog.Writer{T: t})
			g.Expect(err).NotTo(gomega.HaveOccurred())
			defer stop()
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			client := &http.Client{Timeout: 10 * time.Second}
			// With token authentication the dashboard refuses a request
			// without the cluster's token, which KubeRay keeps in a Secret
			// named after the RayCluster.
			token := ""
			if h.cfg.Ray.TokenAuth() {
				token, err = h.rayToken(ctx, name)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				// Shown, not assumed: Ray refuses the same request without
				// the token, with 401 and its own words, as the page says
				// (until the dashboard answers, the error is another).
				var refused *rayjobs.AuthError
				h.eventually(g, func() error {
					_, err := rayjobs.List(ctx, client, base, "")
					if errors.As(err, &refused) {
						return nil
					}
					return fmt.Errorf("a request without the token got %v, not a refusal", err)
				}).Should(gomega.Succeed())
				g.Expect(refused.Code).To(gomega.Equal(http.StatusUnauthorized), "Ray's answer to a request without the token: %s %s", refused.Status, refused.Body)
				g.Expect(refused.Body).To(gomega.Equal(rayjobs.MissingToken))
				note(ctx, t, "dashboard without the token: %s (%s)", refused.Status, refused.Body)
			}
			// The job the page shows: a DRIVER of exactly the command that
			// ran the script, SUCCEEDED.
			entrypoint := strings.Join(facts.XGBoostCommand(), " ")
			var job rayjobs.Job
			var body []byte
			h.eventually(g, func() (string, error) {
				var err error
				body, err = rayjobs.Fetch(ctx, client, base, token)
				var auth *rayjobs.AuthError
				if errors.As(err, &auth) {
					return "", gomega.StopTrying("the dashboard refused the request").Wrap(err)
				}
				if err != nil {
					return "", err
				}
				jobs, err := rayjobs.Parse(body)
				if err != nil {
					return "", err
				}
				var ok bool
				if job, ok = rayjobs.FindDriver(jobs, entrypoint); !ok {
					return fmt.Sprintf("no DRIVER job with entrypoint %q", entrypoint), nil
				}
				return job.Status, nil
			}).Should(gomega.Equal(rayjobs.StatusSucceeded))
			g.Expect(job.Line()).To(gomega.Equal(facts.XGBoostJobLine()))
			_ = evidence.Write(feature.StepDir(ctx, h.run), "jobs-api.json", body)
			// The page pipes this answer into its filter: run that code on it
			// and find the line the page shows.
			lines, err := rayjobs.Filter(ctx, facts.JobsFilter, body)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(lines).To(gomega.ContainElement(facts.XGBoostJobLine()), "the page's filter (python3 -c) on the Jobs API's answer")
			note(ctx, t, "the page's Jobs API filter prints %q", facts.XGBoostJobLine())
			if token != "" {
				note(ctx, t, "dashboard (token from Secret %s as %s): DRIVER job %s %s", name, rayjobs.TokenHeader, job.ID(), job.Status)
			} else {
				note(ctx, t, "dashboard: DRIVER job %s %s", job.ID(), job.Status)
			}
			return ctx
		}).
		Assess("the page's pip3 install left its jsonpatch importable in the head pod", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			requireContainers(ctx, t)
			if !scriptRan {
				feature.Skip(ctx, t, "the page's pip3 line did not run in this run (an --assess filter?)")
			}
			g := gomega.NewWithT(t)
			want := facts.PipVersion()
			// Installed means importable by the head's Python, not merely
			// written somewhere else.
			imp, err := kube.Exec(ctx, h.rest, namespace, head.Name, "ray-head", importJSONPatch)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(imp.ExitCode).To(gomega.Equal(0), "import jsonpatch after pip: %s", imp.Stderr)
			g.Expect(strings.TrimSpace(imp.Stdout)).To(gomega.Equal(want), "the head's Python imports another jsonpatch than the page's pip3 line installs")
			from := "pip's configured index"
			// Where the provider serves the index, its request log shows
			// that pip fetched the wheel from it.
			if indexer, ok := h.provider.(cluster.PackageIndexer); ok && indexer.PackageIndex() != "" {
				log, err := indexer.PackageIndexLog(ctx)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				g.Expect(facts.IndexServedWheel(log)).To(gomega.BeTrue(), "the package index's request log shows no download of the jsonpatch wheel:\n%s", log)
				from = "the run's package index (" + versions.OfflinePipIndexURL + ", the offline Ray image's pip.conf), which logged the wheel's download"
			}
			note(ctx, t, "jsonpatch %s importable in the head pod, installed by the page's pip3 line from %s", want, from)
			return ctx
		}).
		Assess("deleting the RayCluster and ConfigMap removes their pods", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			h.runDeletes(ctx, t, "5.2")
			h.eventually(g, func() ([]corev1.Pod, error) {
				return h.rayPods(ctx, name)
			}, 3).Should(gomega.BeEmpty())
			deleted = true
			return ctx
		}).
		Assess("over the RayCluster's life the audit log shows exactly its two admissions", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			g := gomega.NewWithT(t)
			if !deleted {
				t.Fatal("the RayCluster was not deleted, so its life is not over")
			}
			// Over the whole life of the cluster, the namespace saw exactly
			// the two admissions and not one refusal.
			requireAudit(ctx, t)
			vs, err := h.podCreates(ctx, mark, name)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			var codes []int32
			for _, v := range vs {
				codes = append(codes, v.Code)
			}
			g.Expect(codes).To(gomega.Equal([]int32{201, 201}), "pod creates in %s while %s lived", namespace, name)
			note(ctx, t, "audit: over %s's life exactly 2 pod creates in %s, both 201", name, namespace)
			return ctx
		}).
		Teardown(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			h := harnessFrom(ctx)
			// Also when an assessment failed and the deletion above never ran.
			if err := h.deleteObjects(ctx, objs); err != nil {
				t.Logf("delete the fixture's objects: %v", err)
			}
			return ctx
		}).
		Feature()
}

// importJSONPatch prints the version of jsonpatch the head's Python
// imports, and fails where it has none.
var importJSONPatch = []string{"python3", "-c", "import jsonpatch; print(jsonpatch.__version__)"}

// rayToken is the RayCluster's Ray token, from the Secret KubeRay made for
// it (authOptions.mode token without a secretName of its own).
func (h *harness) rayToken(ctx context.Context, cluster string) (string, error) {
	sec, err := h.cs.CoreV1().Secrets(namespace).Get(ctx, cluster, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("the Ray token of RayCluster %s: %w (KubeRay makes Secret %s when authOptions.mode is token)", cluster, err, cluster)
	}
	token := string(sec.Data[fixtures.TokenSecretKey])
	if token == "" {
		return "", fmt.Errorf("Secret %s has no %s: the Ray token KubeRay should have written is missing", cluster, fixtures.TokenSecretKey)
	}
	return token, nil
}

// checkTokenAuth asserts what KubeRay does for authOptions.mode token: the
// Secret with the token exists, and every Ray container and wait-gcs-ready
// init container runs with RAY_AUTH_MODE=token and RAY_AUTH_TOKEN from it.
func (h *harness) checkTokenAuth(ctx context.Context, t *testing.T, cluster string, pods []corev1.Pod) {
	t.Helper()
	if _, err := h.rayToken(ctx, cluster); err != nil {
		t.Error(err)
	}
	// Every Ray container: the head's and the worker's, and the worker's
	// wait-gcs-ready, which asks the head's GCS before Ray starts. Counted,
	// so that pods without them fail rather than pass on nothing.
	var checked []string
	for _, p := range pods {
		for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
			if c.Name != "wait-gcs-ready" && c.Image != h.cfg.RayImage {
				continue
			}
			checked = append(checked, c.Name)
			mode, fromSecret := "", false
			for _, e := range c.Env {
				switch e.Name {
				case "RAY_AUTH_MODE":
					mode = e.Value
				case "RAY_AUTH_TOKEN":
					r := e.ValueFrom
					fromSecret = r != nil && r.SecretKeyRef != nil && r.SecretKeyRef.Name == cluster && r.SecretKeyRef.Key == fixtures.TokenSecretKey
				}
			}
			if mode != "token" || !fromSecret {
				t.Errorf("pod %s container %s: RAY_AUTH_MODE %q, RAY_AUTH_TOKEN from Secret %s key %s: %v", p.Name, c.Name, mode, cluster, fixtures.TokenSecretKey, fromSecret)
			}
		}
	}
	slices.Sort(checked)
	if want := []string{"ray-head", "ray-worker", "wait-gcs-ready"}; !slices.Equal(checked, want) {
		t.Errorf("token authentication checked in containers %v of RayCluster %s; want exactly %v", checked, cluster, want)
	}
}
