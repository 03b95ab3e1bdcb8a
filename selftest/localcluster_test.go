package selftest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

// TestLocalClusterServesTheTutorialAndLeavesNothing does what CI does with
// cmd/local-cluster: start it, wait for its env file, run the compiled suite
// on it with E2E_PROVIDER=existing and its audit log, then SIGTERM it. Every
// step must pass (those that need containers skipped, with the reason), the
// operator it runs for the chart must go when the chart does, and nothing
// may be left after the signal.
func TestLocalClusterServesTheTutorialAndLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	g := gomega.NewWithT(t)
	tmp := t.TempDir()
	envFile := filepath.Join(tmp, "lc.env")
	lc := exec.Command(localCluster.build(t), "-env-file", envFile)
	lc.Env = env(t, tmp)
	var stdout, stderr proc.Output
	lc.Stdout, lc.Stderr = &stdout, &stderr
	g.Expect(lc.Start()).To(gomega.Succeed())
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = lc.Wait(); close(exited) }()
	t.Cleanup(func() { _ = lc.Process.Kill(); <-exited })

	// A cold cache builds the binaries first.
	g.Eventually(func() error {
		select {
		case <-exited:
			return gomega.StopTrying("local-cluster exited before writing " + envFile)
		default:
		}
		_, err := os.Stat(envFile)
		return err
	}).WithTimeout(15*time.Minute).WithPolling(250*time.Millisecond).Should(gomega.Succeed(), "stderr:\n%s", &stderr)
	data, err := os.ReadFile(envFile)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	// The file is the stdout lines with a comment that names the pid.
	g.Expect(string(data)).To(gomega.HavePrefix("# local-cluster (pid %d) is running", lc.Process.Pid))
	g.Expect(string(data)).To(gomega.HaveSuffix(stdout.String()))
	vars := sourced(t, envFile, "KUBECONFIG", "E2E_AUDIT_LOG")
	runDir := filepath.Dir(vars["KUBECONFIG"])
	g.Expect(runDir).To(gomega.HavePrefix(filepath.Join(tmp, "kuberay-e2e-local-")))
	g.Expect(vars["E2E_AUDIT_LOG"]).To(gomega.HavePrefix(runDir + "/"))

	// The kubeconfig answers, and the cluster is the local tier's.
	cfg, err := clientcmd.BuildConfigFromFlags("", vars["KUBECONFIG"])
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(cfg.Host).To(gomega.HavePrefix("https://127.0.0.1:"))
	cs, err := kubernetes.NewForConfig(cfg)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	_, err = cs.Discovery().ServerVersion()
	g.Expect(err).NotTo(gomega.HaveOccurred())
	nodes, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(nodes.Items).To(gomega.HaveEach(gomega.HaveField("Annotations", gomega.HaveKeyWithValue(cluster.KWOKNodeAnnotation, cluster.KWOKNodeFake))))
	g.Expect(vars["E2E_AUDIT_LOG"]).To(gomega.BeARegularFile())
	kids := children(lc.Process.Pid)
	g.Expect(kids).To(gomega.HaveLen(5), "etcd, kube-apiserver, controller manager, scheduler and KWOK")

	// The tutorial on it, as CI runs it.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, suite(t), "-test.run", "TestTutorial", "-test.v")
	run.Env = env(t, tmp, "E2E_PROVIDER=existing", "E2E_CHART=standin", "KUBECONFIG="+vars["KUBECONFIG"], "E2E_AUDIT_LOG="+vars["E2E_AUDIT_LOG"], "E2E_REQUIRE=audit")
	out, err := run.CombinedOutput()
	g.Expect(err).NotTo(gomega.HaveOccurred(), "the suite failed on the local-cluster:\n%s\nlocal-cluster:\n%s", out, &stderr)
	table := stepTable(string(out))
	g.Expect(table).To(gomega.HaveLen(9), "the step table:\n%s", out)
	g.Expect(table).To(gomega.HaveEach(gomega.HavePrefix("PASS ")), "the step table:\n%s", out)
	// Every row says how many checks were skipped, and why: steps 1, 2, 5.1
	// and 6.2 only the page's blocks that reach a Kind node; 3, 4, 5.2, 6.1
	// and 6.3 their container checks too. Nothing else is skipped.
	for i, want := range map[int]string{0: "3/4 (1", 1: "1/2 (1", 4: "7/8 (1", 7: "8/9 (1"} {
		g.Expect(table[i]).To(gomega.MatchRegexp(`^PASS `+regexp.QuoteMeta(want)+` skipped: no Kind node on the existing tier\)$`), "the step table:\n%s", out)
	}
	for i, want := range map[int]string{2: "5/6 (1", 3: "4/5 (1", 5: "6/10 (4", 6: "8/11 (3", 8: "6/9 (3"} {
		g.Expect(table[i]).To(gomega.MatchRegexp(`^PASS `+regexp.QuoteMeta(want)+` skipped: no (containers|Kind node)\b`), "the step table:\n%s", out)
	}
	// The steps that need a container are skipped with the provider's reason,
	// not passed.
	g.Expect(string(out)).To(gomega.MatchRegexp(`--- SKIP: TestTutorial/5.2_.*/the_page's_commands_on_the_node_and_in_containers_run_as_written`))
	g.Expect(string(out)).To(gomega.ContainSubstring("no containers: every node of this cluster is a KWOK fake"))
	// Steps 5.1 and 5.2 passed, so the operator reconciled; the suite's
	// uninstall then stopped it.
	g.Expect(stderr.String()).To(gomega.ContainSubstring("KubeRay operator started for Deployment pod-security/kuberay-operator (ServiceAccount kuberay-operator)"))
	g.Eventually(stderr.String).Should(gomega.ContainSubstring("KubeRay operator stopped: Deployment pod-security/kuberay-operator deleted"))
	g.Expect(children(lc.Process.Pid)).To(gomega.ConsistOf(kids))

	g.Expect(lc.Process.Signal(syscall.SIGTERM)).To(gomega.Succeed())
	g.Eventually(exited).WithTimeout(time.Minute).Should(gomega.BeClosed())
	g.Expect(exitErr).NotTo(gomega.HaveOccurred(), "exit status after SIGTERM; stderr:\n%s", &stderr)
	g.Eventually(func() []int { return alive(kids) }).WithTimeout(10 * time.Second).Should(gomega.BeEmpty())
	g.Expect(runDir).NotTo(gomega.BeAnExistingFile())
	g.Expect(envFile).NotTo(gomega.BeAnExistingFile(), "a stale env file would tell the next script the cluster is ready")
	left, _ := filepath.Glob(filepath.Join(tmp, "kuberay-e2e-*"))
	g.Expect(left).To(gomega.BeEmpty())
}

// sourced sources a shell file and returns the values of keys.
func sourced(t *testing.T, file string, keys ...string) map[string]string {
	t.Helper()
	script := `. "$1"`
	for _, k := range keys {
		script += `; printf '%s\n' "$` + k + `"`
	}
	out, err := exec.Command("sh", "-c", script, "sh", file).Output()
	if err != nil {
		t.Fatalf("source %s: %v", file, err)
	}
	vals := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(vals) != len(keys) {
		t.Fatalf("source %s: %q", file, out)
	}
	m := map[string]string{}
	for i, k := range keys {
		if vals[i] == "" {
			t.Fatalf("%s does not set %s", file, k)
		}
		m[k] = vals[i]
	}
	return m
}

var stepRow = regexp.MustCompile(`(?m)^(\d(?:\.\d)?\s.*?)\s{2,}((?:PASS|FAIL|SKIP)(?: \d+/\d+(?: \([^)]*\))?)?)\s{2,}`)

// stepTable returns the RESULT column of the suite's step table, e.g.
// "PASS 3/3" or "PASS 6/9 (3 skipped: no containers …)".
func stepTable(out string) []string {
	i := strings.LastIndex(out, "STEP")
	if i < 0 {
		return nil
	}
	var results []string
	for _, m := range stepRow.FindAllStringSubmatch(out[i:], -1) {
		results = append(results, m[2])
	}
	return results
}
