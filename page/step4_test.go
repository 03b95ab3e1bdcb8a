package page

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/cluster/local"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/hostproxy"
	"github.com/kuberay-docs/pod-security-e2e/internal/files"
	"github.com/kuberay-docs/pod-security-e2e/internal/hardeningtest"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestMain(m *testing.M) {
	// Ctrl-C stops the control plane and removes the run's files.
	_, stop := proc.HandleSignals(context.Background())
	files.RemoveStale(runDirPrefix)
	local.RemoveStaleRunDirs()
	code := m.Run()
	stop()
	os.Exit(code)
}

const runDirPrefix = "kuberay-e2e-page-"

// The page's step 4, as a reader types it, with the helm of versions.Helm
// and the kubectl of the cluster's release, against the local tier. With no
// internet here, the chart repository's host is answered by hostproxy from
// this project's stand-in chart, published there as the pinned version.
func TestStep4RunsAsWrittenOnTheLocalTier(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local control plane (and builds kubectl and helm on first use); go test -short skips it")
	}
	g := gomega.NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	log := testlog.Writer{T: t}
	k, err := versions.LookupKubernetes("")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	r := versions.DefaultKubeRay()

	dir, err := files.OwnedTempDir(runDirPrefix)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	removeDir := proc.OnInterrupt(func() { os.RemoveAll(dir) })
	t.Cleanup(func() { removeDir(); os.RemoveAll(dir) })

	tools, err := binaries.EnsureTools(ctx, k, binaries.WithProgress(log))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	c, err := local.New(local.WithVersion(k.Version), local.WithKubeRay(r), local.WithProgress(log))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	t.Cleanup(func() { _ = c.Destroy(context.Background()) })
	kubeconfig, err := c.Create(ctx)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(c.WaitForControlPlane(ctx, nil)).To(gomega.Succeed())
	cs, err := kubernetes.NewForConfig(c.KubernetesRestConfig())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	// Step 3's namespace, as step 3 leaves it.
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: facts.Namespace, Labels: facts.NamespaceLabels()}}, metav1.CreateOptions{})
	g.Expect(err).NotTo(gomega.HaveOccurred())

	crds, err := upstream.CRDs(r)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	standIn, err := chart.LoadStandIn(crds, r)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	chartRepo, err := chart.NewRepository(versions.KubeRayChartRepo, dir, standIn)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	proxy, err := hostproxy.Start(dir, map[string]http.Handler{chartRepo.Host: chartRepo})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer proxy.Close()

	root, err := repo.Root()
	g.Expect(err).NotTo(gomega.HaveOccurred())
	sh, err := NewShell(dir, WithDir(root), WithTool("kubectl", tools.Kubectl), WithTool("helm", tools.Helm), WithKubeconfig(kubeconfig), WithEnv(proxy.Env()...))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	snips, err := Read(root + "/docs/pod-security.md")
	g.Expect(err).NotTo(gomega.HaveOccurred())

	// The page's own check of the tools: the versions it asks for.
	var versionsBlock []Snip
	for _, s := range Of(snips, "before") {
		if strings.Contains(s.Script(), "helm version") {
			versionsBlock = append(versionsBlock, s)
		}
	}
	g.Expect(versionsBlock).To(gomega.HaveLen(1), "the Before you begin block that runs helm version")
	res := sh.Run(ctx, versionsBlock[0])
	t.Logf("%s:\n%s", versionsBlock[0], res.Output)
	g.Expect(res.Err).NotTo(gomega.HaveOccurred())
	g.Expect(res.Output).To(gomega.And(
		gomega.ContainSubstring(`GitVersion:"`+k.Version+`"`),
		gomega.ContainSubstring(`Version:"`+versions.Helm+`"`)))

	step4 := Of(snips, "4")
	g.Expect(step4).NotTo(gomega.BeEmpty())
	start := time.Now()
	for _, s := range step4 {
		res := sh.Run(ctx, s)
		t.Logf("%s (%s):\n%s", s, res.Duration.Round(time.Millisecond), res.Output)
		g.Expect(res.Err).NotTo(gomega.HaveOccurred())
	}
	t.Logf("step 4's lines took %s", time.Since(start).Round(time.Millisecond))

	// What the lines did: the release, from the chart the repository's
	// host served, applied server-side as Helm 4 does by default.
	in, err := chart.NewInstaller(kubeconfig, facts.Namespace, nil)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	rel, err := in.Status()
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(rel.Info.Status).To(gomega.Equal(common.StatusDeployed))
	g.Expect(rel.Chart.Metadata.Version).To(gomega.Equal(r.ChartVersion()))
	g.Expect(rel.ApplyMethod).To(gomega.Equal(string(release.ApplyMethodServerSideApply)), "Helm 4 installs with server-side apply")
	var answered []string
	for _, req := range proxy.Log() {
		t.Logf("hostproxy: %s", req)
		answered = append(answered, req.Method+" "+req.Host+req.Path+" "+http.StatusText(req.Status))
	}
	g.Expect(answered).To(gomega.ContainElements(
		"GET ray-project.github.io/kuberay-helm/index.yaml OK",
		"GET ray-project.github.io/kuberay-helm/kuberay-operator-"+r.ChartVersion()+".tgz OK"))
	g.Expect(slices.ContainsFunc(answered, func(a string) bool { return strings.HasSuffix(a, " Forbidden") })).To(gomega.BeFalse(), "no line may reach for a host the run does not answer")

	// The operator's pod is admitted under restricted with the values file.
	pods, err := cs.CoreV1().Pods(facts.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + chart.ReleaseName})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(pods.Items).To(gomega.HaveLen(1))
	g.Expect(hardeningtest.RestrictedViolations(t, &pods.Items[0])).To(gomega.BeEmpty())
	for _, ctr := range pods.Items[0].Spec.Containers {
		hardeningtest.CheckHardened(t, "operator container "+ctr.Name, ctr.SecurityContext)
	}
}
