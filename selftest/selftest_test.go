// Package selftest runs the compiled tutorial suite as a user would, to check
// what no test inside it can: its answer to bad settings, and that it leaves
// no process or directory behind when it is interrupted or killed.
package selftest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/kuberay-docs/pod-security-e2e/cluster/local"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

// program is a command of this repository, compiled once per run of this
// package.
type program struct {
	pkg  string
	test bool // a test binary (go test -c)
	once sync.Once
	path string
	err  error
}

var (
	e2eSuite     = &program{pkg: "./e2e", test: true}
	localCluster = &program{pkg: "./cmd/local-cluster"}
	matrixCmd    = &program{pkg: "./cmd/matrix"}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range []*program{e2eSuite, localCluster, matrixCmd} {
		if p.path != "" {
			os.RemoveAll(filepath.Dir(p.path))
		}
	}
	os.Exit(code)
}

func (p *program) build(t *testing.T) string {
	t.Helper()
	p.once.Do(func() {
		root, err := repo.Root()
		if err != nil {
			p.err = err
			return
		}
		dir, err := os.MkdirTemp("", "selftest-bin-")
		if err != nil {
			p.err = err
			return
		}
		p.path = filepath.Join(dir, filepath.Base(p.pkg))
		args := []string{"build", "-o", p.path, p.pkg}
		if p.test {
			p.path += ".test"
			args = []string{"test", "-c", "-o", p.path, p.pkg}
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			p.err = errors.New(string(out))
		}
	})
	if p.err != nil {
		t.Fatalf("compile %s: %v", p.pkg, p.err)
	}
	return p.path
}

// suite is the compiled tutorial suite.
func suite(t *testing.T) string { return e2eSuite.build(t) }

// env is a clean environment for the suite: its own TMPDIR (to see what it
// leaves there) and output directory.
func env(t *testing.T, tmp string, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "E2E_") && !strings.HasPrefix(kv, "KUBECONFIG=") && !strings.HasPrefix(kv, "TMPDIR=") {
			out = append(out, kv)
		}
	}
	root, _ := repo.Root()
	return append(out, append([]string{"TMPDIR=" + tmp, "E2E_OUTPUT_DIR=" + filepath.Join(tmp, "out"), "E2E_REPO_DIR=" + root}, extra...)...)
}

func TestBadSettingsEndTheRunAtOnceWithTheFix(t *testing.T) {
	bin := suite(t)
	unreachable := filepath.Join(t.TempDir(), "kubeconfig")
	// Port 1 on loopback: nothing listens, the connection is refused at once.
	if err := os.WriteFile(unreachable, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		want string
		code int
	}{
		{"unknown provider", []string{"E2E_PROVIDER=minikube"}, `E2E_PROVIDER="minikube" is not a provider; choose one of local, kind, existing`, 2},
		{"unpinned Kubernetes", []string{"E2E_KUBERNETES_VERSION=1.19"}, `E2E_KUBERNETES_VERSION=1.19: Kubernetes version "1.19" is not pinned; choose one of v1.24.17, v1.29.2, v1.34.4, v1.37.2`, 2},
		{"missing chart", []string{"E2E_CHART=/no/such/chart"}, "E2E_CHART=/no/such/chart: no such file or directory; use \"standin\", \"repo\", or the path of a chart directory", 2},
		{"unpinned KubeRay", []string{"E2E_KUBERAY_VERSION=v1.7.0"}, `E2E_KUBERAY_VERSION=v1.7.0: KubeRay version "v1.7.0" is not pinned; choose one of v1.5.1, v1.6.2`, 2},
		{"unpinned Ray", []string{"E2E_RAY_VERSION=2.47"}, `E2E_RAY_VERSION=2.47: Ray version "2.47" is not pinned; choose one of 2.46.0, 2.60.0`, 2},
		{"bad timeout", []string{"E2E_TIMEOUT=soon"}, `E2E_TIMEOUT="soon": use a positive duration`, 2},
		{"missing KubeRay checkout", []string{"E2E_KUBERAY_DIR=/no/such/kuberay"}, "E2E_KUBERAY_DIR=/no/such/kuberay: stat /no/such/kuberay: no such file or directory; point it at a KubeRay checkout", 2},
		// DOCKER_HOST at a socket nobody serves: the same answer on a machine
		// whose Docker engine does run.
		{"kind without a container engine", []string{"E2E_PROVIDER=kind", "DOCKER_HOST=unix:///nonexistent/docker.sock"}, "or run the tutorial without containers: E2E_PROVIDER=local", 1},
		{"kind, a name kind refuses", []string{"E2E_PROVIDER=kind", "E2E_CLUSTER_NAME=Not_Valid", "DOCKER_HOST=unix:///nonexistent/docker.sock"}, `cluster name "Not_Valid": kind names are 1 to 50 of a-z, 0-9, '.' and '-'`, 2},
		{"existing without KUBECONFIG", []string{"E2E_PROVIDER=existing"}, "E2E_PROVIDER=existing needs KUBECONFIG", 2},
		{"existing, kubeconfig missing", []string{"E2E_PROVIDER=existing", "KUBECONFIG=/no/such/kubeconfig"}, "KUBECONFIG=/no/such/kubeconfig: stat /no/such/kubeconfig: no such file or directory; point it at the kubeconfig", 2},
		{"existing, cluster unreachable", []string{"E2E_PROVIDER=existing", "KUBECONFIG=" + unreachable}, "does not answer", 1},
		// What the run must prove, refused before any cluster is made.
		{"local tier required to run containers", []string{"E2E_REQUIRE=containers"}, "E2E_REQUIRE names containers, but provider local cannot prove it: no containers on the local tier", 2},
		{"existing required to audit without a log", []string{"E2E_PROVIDER=existing", "KUBECONFIG=" + unreachable, "E2E_REQUIRE=audit"}, "E2E_REQUIRE names audit, but provider existing cannot prove it: no audit log", 2},
		{"unknown capability", []string{"E2E_REQUIRE=gpu"}, `E2E_REQUIRE="gpu": "gpu" is not a capability`, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			tmp := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-test.run", "TestTutorial")
			cmd.Env = env(t, tmp, c.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			g.Expect(errors.As(err, &exit)).To(gomega.BeTrue(), "the run must fail; output:\n%s", out)
			g.Expect(exit.ExitCode()).To(gomega.Equal(c.code), "output:\n%s", out)
			g.Expect(string(out)).To(gomega.ContainSubstring(c.want))
			g.Expect(string(out)).NotTo(gomega.ContainSubstring("not-a-secret"), "a credential reached the output")
			g.Expect(string(out)).NotTo(gomega.ContainSubstring("--- PASS"), "no step may pass on a bad setting")
			if c.code == 1 {
				// The cluster's setup failed: the step table says what
				// stopped the run instead of being empty.
				g.Expect(string(out)).To(gomega.MatchRegexp(`(?m)^setup: create cluster\s+FAIL\s`), "output:\n%s", out)
			}
			leftovers, _ := filepath.Glob(filepath.Join(tmp, "kuberay-e2e-*"))
			g.Expect(leftovers).To(gomega.BeEmpty())
		})
	}
}

// startLocal starts the suite on the local tier and returns once the control
// plane is up, with the pids of the processes the suite started.
func startLocal(t *testing.T, tmp string) (cmd *exec.Cmd, kids []int, out *proc.Output, drained <-chan struct{}) {
	t.Helper()
	cmd = exec.Command(suite(t), "-test.run", "TestTutorial", "-test.v")
	cmd.Env = env(t, tmp, "E2E_PROVIDER=local", "E2E_HOLD=60s")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done; _ = cmd.Wait() })
	out = &proc.Output{}
	ready := make(chan struct{})
	go func() {
		defer close(done)
		s := bufio.NewScanner(pipe)
		closed := false
		for s.Scan() {
			fmt.Fprintln(out, s.Text())
			// Step 5.1 holds for E2E_HOLD, so the operator runs by then too.
			if !closed && strings.Contains(s.Text(), "no_Ray_pod_appears") {
				close(ready)
				closed = true
			}
		}
		if !closed {
			close(ready)
		}
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Minute): // a cold cache builds the binaries first
		t.Fatalf("the suite did not reach step 5.1:\n%s", out.String())
	}
	kids = children(cmd.Process.Pid)
	if len(kids) < 6 {
		t.Fatalf("want etcd, apiserver, controller manager, scheduler, KWOK and the operator running, found %d processes:\n%s", len(kids), out.String())
	}
	return cmd, kids, out, done
}

func TestKill9LeavesNoProcessAndTheNextRunRemovesTheDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	g := gomega.NewWithT(t)
	tmp := t.TempDir()
	cmd, kids, _, drained := startLocal(t, tmp)
	g.Expect(cmd.Process.Signal(syscall.SIGKILL)).To(gomega.Succeed())
	<-drained // os/exec: read the pipe to the end before Wait
	_ = cmd.Wait()
	g.Eventually(func() []int { return alive(kids) }).WithTimeout(10 * time.Second).Should(gomega.BeEmpty())
	// kill -9 gives the harness no chance to clean up; the next run does.
	stale, _ := filepath.Glob(filepath.Join(tmp, "kuberay-e2e-local-*"))
	g.Expect(stale).To(gomega.HaveLen(1))
	t.Setenv("TMPDIR", tmp)
	local.RemoveStaleRunDirs()
	g.Expect(stale[0]).NotTo(gomega.BeAnExistingFile())
}

func TestCtrlCStopsEverythingAndRemovesTheRunDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	g := gomega.NewWithT(t)
	tmp := t.TempDir()
	cmd, kids, out, drained := startLocal(t, tmp)
	g.Expect(cmd.Process.Signal(syscall.SIGINT)).To(gomega.Succeed())
	<-drained
	err := cmd.Wait()
	var exit *exec.ExitError
	g.Expect(errors.As(err, &exit)).To(gomega.BeTrue())
	g.Expect(exit.ExitCode()).To(gomega.Equal(130), out.String())
	g.Expect(alive(kids)).To(gomega.BeEmpty(), "processes outlived Ctrl-C")
	left, _ := filepath.Glob(filepath.Join(tmp, "kuberay-e2e-local-*"))
	g.Expect(left).To(gomega.BeEmpty(), "run directory left after Ctrl-C")
}

// children lists the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name in parentheses may contain spaces; fields after
		// the last ')' are: state, ppid, ...
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// alive returns the pids that still exist and are not zombies.
func alive(pids []int) []int {
	var out []int
	for _, p := range pids {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "stat"))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 0 && fields[0] != "Z" {
			out = append(out, p)
		}
	}
	return out
}

// Ctrl-C in the matrix stops its running cells through SIGTERM (each suite
// removes its cluster), writes the report with the cell marked, exits 130,
// and leaves no process, cluster directory or compiled suite behind.
func TestCtrlCStopsTheMatrixAndItsCells(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	g := gomega.NewWithT(t)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "matrix")
	cmd := exec.Command(matrixCmd.build(t), "-cells", "1.24/v1.6.2", "-out", out)
	cmd.Env = env(t, tmp, "E2E_HOLD=60s")
	var stdout, stderr proc.Output
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	g.Expect(cmd.Start()).To(gomega.Succeed())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The cell's suite holds step 5.1 for E2E_HOLD: its cluster and operator
	// run by then.
	log := filepath.Join(out, "cells", "k1.24-kuberay-v1.6.2", "test.log")
	g.Eventually(func() string { data, _ := os.ReadFile(log); return string(data) }).
		WithTimeout(15*time.Minute).WithPolling(time.Second).Should(gomega.ContainSubstring("no_Ray_pod_appears"), stdout.String())
	var tree []int
	for next := []int{cmd.Process.Pid}; len(next) > 0; {
		var kids []int
		for _, p := range next {
			kids = append(kids, children(p)...)
		}
		tree, next = append(tree, kids...), kids
	}
	g.Expect(len(tree)).To(gomega.BeNumerically(">=", 7), "the suite, etcd, apiserver, controller manager, scheduler, KWOK and the operator")
	g.Expect(cmd.Process.Signal(syscall.SIGINT)).To(gomega.Succeed())
	err := cmd.Wait()
	var exit *exec.ExitError
	g.Expect(errors.As(err, &exit)).To(gomega.BeTrue())
	g.Expect(exit.ExitCode()).To(gomega.Equal(130), stdout.String()+stderr.String())
	g.Expect(stderr.String()).To(gomega.ContainSubstring("matrix: interrupted"))
	g.Expect(alive(tree)).To(gomega.BeEmpty(), "processes outlived Ctrl-C")
	report, err := os.ReadFile(filepath.Join(out, "matrix.md"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(string(report)).To(gomega.ContainSubstring("| v1.6.2 | **ERROR: the run left no steps.json: the suite exit status 143"))
	for _, pattern := range []string{"kuberay-e2e-local-*", "kuberay-e2e-matrix-*"} {
		left, _ := filepath.Glob(filepath.Join(tmp, pattern))
		g.Expect(left).To(gomega.BeEmpty(), "left after Ctrl-C")
	}
}
