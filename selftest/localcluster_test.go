package selftest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
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
	// and 6.3 their container checks too (6.3 also the page's clean-up,
	// which deletes a Kind cluster). Nothing else is skipped.
	for i, want := range map[int]string{0: "4/5 (1", 1: "1/2 (1", 4: "7/8 (1", 7: "8/9 (1"} {
		g.Expect(table[i]).To(gomega.MatchRegexp(`^PASS `+regexp.QuoteMeta(want)+` skipped: no Kind node on the existing tier\)$`), "the step table:\n%s", out)
	}
	for i, want := range map[int]string{2: "5/6 (1", 3: "4/5 (1", 5: "6/10 (4", 6: "8/11 (3", 8: "6/10 (4"} {
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

	brokenPages(t, g, tmp, vars, cs)

	g.Expect(lc.Process.Signal(syscall.SIGTERM)).To(gomega.Succeed())
	g.Eventually(exited).WithTimeout(time.Minute).Should(gomega.BeClosed())
	g.Expect(exitErr).NotTo(gomega.HaveOccurred(), "exit status after SIGTERM; stderr:\n%s", &stderr)
	g.Eventually(func() []int { return alive(kids) }).WithTimeout(10 * time.Second).Should(gomega.BeEmpty())
	g.Expect(runDir).NotTo(gomega.BeAnExistingFile())
	g.Expect(envFile).NotTo(gomega.BeAnExistingFile(), "a stale env file would tell the next script the cluster is ready")
	left, _ := filepath.Glob(filepath.Join(tmp, "kuberay-e2e-*"))
	g.Expect(left).To(gomega.BeEmpty())
}

// brokenPages runs one step on the cluster from copies of the page, each
// with one mistake a writer makes: a broken command, a wrong flag, a wrong
// expected output in step 3, each of which must fail the step at the
// mistake's line of the copy (E2E_PAGE); and in "Before you begin" a line
// that installs another program as kind, which runs and must fail step 1's
// check of what it installed.
func brokenPages(t *testing.T, g gomega.Gomega, tmp string, vars map[string]string, cs kubernetes.Interface) {
	t.Helper()
	root, err := repo.Root()
	g.Expect(err).NotTo(gomega.HaveOccurred())
	orig, err := os.ReadFile(filepath.Join(root, "docs", "pod-security.md"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	for _, tc := range []struct {
		name, step, line, mistake, want string
		// ran: the mistaken line runs, and what it did fails the check.
		ran bool
	}{
		{"broken command", "3", "kubectl create namespace pod-security\n", "kubectl creat namespace pod-security\n", "`kubectl creat namespace pod-security` exited 1", false},
		{"wrong flag", "3", "--image registry.k8s.io/pause:3.9 --overrides '", "--image registry.k8s.io/pause:3.9 --overide '", "exited 1", false},
		{"wrong output", "3", "pod/probe created\n", "pod/probe configured\n", `the page shows "pod/probe configured", the output has "pod/probe created"`, false},
		{"another kind", "1", "go install sigs.k8s.io/kind@v0.33.0\n", `go build -C pod-security-e2e -o "$(go env GOPATH)/bin/kind" ./cmd/tutorial-drift` + "\n", "the kind the page installs is the release this project pins", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			// The run before deleted the namespace; a run refuses to start
			// while it is still there (terminating).
			g.Eventually(func() error {
				_, err := cs.CoreV1().Namespaces().Get(context.Background(), "pod-security", metav1.GetOptions{})
				return err
			}).WithTimeout(2 * time.Minute).Should(gomega.Satisfy(apierrors.IsNotFound))
			text := string(orig)
			g.Expect(strings.Count(text, tc.line)).To(gomega.Equal(1), "the page has one line with %q", tc.line)
			at := strings.Index(text, tc.line)
			line := strings.Count(text[:at], "\n") + 1
			copyFile := filepath.Join(tmp, strings.ReplaceAll(tc.name, " ", "-")+".md")
			g.Expect(os.WriteFile(copyFile, []byte(strings.Replace(text, tc.line, tc.mistake, 1)), 0o644)).To(gomega.Succeed())
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			run := exec.CommandContext(ctx, suite(t), "-test.run", "TestTutorial/^"+tc.step+"_", "-test.v")
			run.Env = env(t, tmp, "E2E_PROVIDER=existing", "E2E_CHART=standin", "KUBECONFIG="+vars["KUBECONFIG"], "E2E_AUDIT_LOG="+vars["E2E_AUDIT_LOG"], "E2E_PAGE="+copyFile)
			out, err := run.CombinedOutput()
			g.Expect(err).To(gomega.HaveOccurred(), "a page with a %s passed:\n%s", tc.name, out)
			where := fmt.Sprintf("%s:%d: ", copyFile, line)
			if tc.ran {
				// The block's note names its fence, the line above its one
				// command.
				where = fmt.Sprintf("%s:%d: exit status as the page shows", copyFile, line-1)
			}
			g.Expect(string(out)).To(gomega.ContainSubstring(where), "the copy's line %d:\n%s", line, out)
			g.Expect(string(out)).To(gomega.ContainSubstring(tc.want))
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, tc.want) {
					t.Logf("%s", strings.TrimSpace(l))
					break
				}
			}
			g.Expect(stepTable(string(out))).To(gomega.HaveExactElements(gomega.HavePrefix("FAIL ")), "step %s alone ran, and failed:\n%s", tc.step, out)
		})
	}
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
