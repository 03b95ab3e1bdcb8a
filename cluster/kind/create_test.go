package kind

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// isolateHome points HOME and KUBECONFIG at empty places, so a test can show
// that nothing was written there.
func isolateHome(t *testing.T) (home, envKubeconfig string) {
	t.Helper()
	home = t.TempDir()
	envKubeconfig = filepath.Join(t.TempDir(), "from-env")
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", envKubeconfig)
	return home, envKubeconfig
}

func assertUntouched(t *testing.T, home, envKubeconfig string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(home, ".kube")); !os.IsNotExist(err) {
		t.Errorf("~/.kube was created (%v)", err)
	}
	if _, err := os.Stat(envKubeconfig); !os.IsNotExist(err) {
		t.Errorf("$KUBECONFIG %s was written (%v)", envKubeconfig, err)
	}
}

func repoConfig(t *testing.T) *Config {
	t.Helper()
	file, err := repo.Path("kind-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var apiServerPublish = regexp.MustCompile(`^--publish=127\.0\.0\.1:\d+:6443/TCP$`)

// checkNodeRun checks the `docker run` kind planned for the control-plane
// node: the audit policy mounted from its absolute path, the API server
// published on loopback only, the pinned image.
func checkNodeRun(t *testing.T, calls [][]string, name, policy, image string) {
	t.Helper()
	runs := callsOf(calls, "run")
	if len(runs) != 1 {
		t.Fatalf("kind ran %d containers, want the one control-plane node; calls: %q", len(runs), calls)
	}
	run := runs[0]
	if !slices.Equal(run[:3], []string{"run", "--name", name + "-control-plane"}) {
		t.Errorf("node container named by %q", run[:3])
	}
	if !slices.Contains(run, "--volume="+policy+":/etc/kubernetes/audit/audit-policy.yaml:ro") {
		t.Errorf("no read-only mount of %s in %q", policy, run)
	}
	if !slices.ContainsFunc(run, apiServerPublish.MatchString) {
		t.Errorf("the API server is not published on 127.0.0.1 only: %q", run)
	}
	for _, a := range run {
		if strings.HasPrefix(a, "--publish=") && !apiServerPublish.MatchString(a) {
			t.Errorf("another port is published: %s", a)
		}
	}
	if run[len(run)-1] != image {
		t.Errorf("node image %s, want %s", run[len(run)-1], image)
	}
	if !slices.Contains(run, "io.x-k8s.kind.cluster="+name) {
		t.Errorf("node not labelled with cluster %s: %q", name, run)
	}
}

// The repository's config, as this package writes it, through kind's own
// loader and validation (encoding.Load, Cluster.Validate) up to the first
// container kind would start.
func TestKindsOwnLoaderAcceptsTheRepositoryConfig(t *testing.T) {
	calls := useFakeDocker(t)
	home, envKC := isolateHome(t)
	cfg := repoConfig(t)
	resolved := filepath.Join(t.TempDir(), "kind-config.yaml")
	if err := cfg.Write(resolved); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	p := kindcluster.NewProvider(kindcluster.ProviderWithDocker())
	err := p.Create("kuberay-e2e-loader",
		kindcluster.CreateWithConfigFile(resolved),
		kindcluster.CreateWithNodeImage(versions.KindNodeImage124),
		kindcluster.CreateWithKubeconfigPath(kc),
		kindcluster.CreateWithDisplayUsage(false),
		kindcluster.CreateWithDisplaySalutation(false),
	)
	var run *kindexec.RunError
	if !errors.As(err, &run) || !strings.Contains(string(run.Output), fakeRunRefused) {
		t.Fatalf("kind stopped before starting a node: %v", err)
	}
	policy, _ := repo.Path("audit-policy.yaml")
	checkNodeRun(t, calls(), "kuberay-e2e-loader", policy, versions.KindNodeImage124)
	assertUntouched(t, home, envKC)
}

func TestKindsOwnValidationRefuses(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		// Our loader passes subnets to kind; kind's validation checks them.
		{"a pod subnet that is no CIDR", "kubeadmConfigPatches:", "networking:\n  podSubnet: not-a-cidr\nkubeadmConfigPatches:", "invalid pod subnet"},
		{"an unknown field", "nodes:", "nodess:", "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := useFakeDocker(t)
			isolateHome(t)
			dir, _ := policyDir(t)
			file := writeConfig(t, dir, strings.Replace(good, tc.from, tc.to, 1))
			p := kindcluster.NewProvider(kindcluster.ProviderWithDocker())
			err := p.Create("kuberay-e2e-invalid", kindcluster.CreateWithConfigFile(file), kindcluster.CreateWithNodeImage(versions.KindNodeImage124), kindcluster.CreateWithKubeconfigPath(filepath.Join(dir, "kc")))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("kind's verdict: %v; want %q", err, tc.want)
			}
			if runs := callsOf(calls(), "run"); len(runs) != 0 {
				t.Errorf("kind started a container for an invalid config: %q", runs)
			}
		})
	}
}

var uniqueRE = regexp.MustCompile(`^` + regexp.QuoteMeta(NamePrefix) + `[0-9a-f]{6}$`)

// The provider end to end on the fake engine: everything up to the node
// container is real kind, and the failure there must leave logs in the run
// directory and nothing else behind.
func TestCreateFailureCollectsLogsAndLeavesNothing(t *testing.T) {
	calls := useFakeDocker(t)
	home, envKC := isolateHome(t)
	logs := filepath.Join(t.TempDir(), "run", "cluster")
	var progress bytes.Buffer
	c := newCluster(t, WithLogsDir(logs), WithProgress(&progress), WithTimeout(time.Minute))
	_, err := c.Create(context.Background())
	if err == nil {
		t.Fatal("Create succeeded on an engine that runs no container")
	}
	if !strings.Contains(err.Error(), fakeRunRefused) || !strings.Contains(err.Error(), "create Kind cluster "+c.Name()) {
		t.Errorf("error %q does not name the cluster and quote the engine's answer", err)
	}
	if !uniqueRE.MatchString(c.Name()) {
		t.Errorf("cluster name %q is not %s<6 hex digits>", c.Name(), NamePrefix)
	}
	policy, _ := repo.Path("audit-policy.yaml")
	checkNodeRun(t, calls(), c.Name(), policy, versions.KindNodeImage124)

	for _, f := range []string{"kind-version.txt", "docker-info.txt"} {
		if _, err := os.Stat(filepath.Join(logs, f)); err != nil {
			t.Errorf("kind's logs were not collected: %v", err)
		}
	}
	if c.dir == "" {
		t.Fatal("no kubeconfig directory was made")
	}
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("the run's kubeconfig directory %s is left behind (%v)", c.dir, err)
	}
	assertUntouched(t, home, envKC)
	for _, want := range []string{"kind: creating cluster " + c.Name(), "Ensuring node image", "kind: logs of cluster " + c.Name() + " are in " + logs} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	if err := c.Destroy(context.Background()); err != nil {
		t.Errorf("a second Destroy: %v", err)
	}
}

// A name that is someone else's cluster, or a reuse of one that is not
// there: refused before anything is created over or deleted.
func TestCreateRefusesTheWrongCluster(t *testing.T) {
	for _, tc := range []struct {
		name, clusters string
		opts           []Option
		want           []string
	}{
		{"a name in use", "taken", []Option{WithName("taken")}, []string{"taken already exists", "E2E_KIND_REUSE=1", "kind delete cluster --name taken"}},
		{"reuse of a missing cluster", "other", []Option{WithReuse(true), WithName("gone")}, []string{"no Kind cluster named gone", "clusters: other", "E2E_KEEP=1 E2E_CLUSTER_NAME=gone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := useFakeDocker(t)
			isolateHome(t)
			t.Setenv(fakeClustersEnv, tc.clusters)
			c := newCluster(t, append(tc.opts, WithProgress(&bytes.Buffer{}))...)
			_, err := c.Create(context.Background())
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v; want %q", err, want)
				}
			}
			// Someone else's cluster: neither created over nor deleted.
			for _, verb := range []string{"run", "rm"} {
				if got := callsOf(calls(), verb); len(got) != 0 {
					t.Errorf("docker %s was called: %q", verb, got)
				}
			}
			if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
				t.Errorf("kubeconfig directory left behind: %v", err)
			}
		})
	}
}

// A bad option fails in New, where it is applied; through e2e-framework's
// builder methods, which cannot return an error, it fails Create before
// anything runs.
func TestBadOptionsFailWhereTheyAreApplied(t *testing.T) {
	for name, tc := range map[string]struct {
		opts []Option
		want string
	}{
		"reuse without a name":              {[]Option{WithReuse(true)}, "E2E_CLUSTER_NAME"},
		"a name kind refuses":               {[]Option{WithName("Not_Valid")}, `"Not_Valid"`},
		"an unpinned version":               {[]Option{WithVersion("1.30")}, "1.30"},
		"no timeout":                        {[]Option{WithTimeout(0)}, "positive"},
		"an index without its server image": {[]Option{WithPackageIndex("/x", "")}, "image"},
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := New(tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, %v; want an error naming %s", c, err, tc.want)
			}
		})
	}
	if c, err := New(WithName("fine"), WithVersion("1.37"), WithTimeout(time.Minute)); err != nil || c.Name() != "fine" {
		t.Errorf("good options: %v, %v", c, err)
	}
}

func TestBuilderMistakesFailCreateBeforeAnythingRuns(t *testing.T) {
	for name, c := range map[string]*Cluster{
		"a name kind refuses": newCluster(t).WithName("Not_Valid").(*Cluster),
		"an unpinned version": newCluster(t).WithVersion("1.30").(*Cluster),
		"a kind binary":       newCluster(t).WithPath("/usr/local/bin/kind").(*Cluster),
	} {
		t.Run(name, func(t *testing.T) {
			calls := useFakeDocker(t)
			_, err := c.Create(context.Background())
			if err == nil {
				t.Fatal("accepted")
			}
			if got := calls(); len(got) != 0 {
				t.Errorf("docker was called: %q", got)
			}
			if c.dir != "" {
				t.Errorf("a kubeconfig directory was made: %s", c.dir)
			}
		})
	}
}

func TestErrorsMaskURLCredentials(t *testing.T) {
	err := withOutput("create Kind cluster x", &kindexec.RunError{
		Command: []string{"docker", "run", "-e", "HTTPS_PROXY=http://user:s3cret@proxy.example:3128", "img"},
		Output:  []byte("pull via https://user:s3cret@proxy.example failed"),
		Inner:   errors.New("exit status 125"),
	})
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "http://***@proxy.example:3128") {
		t.Errorf("credentials not masked: %s", err)
	}
	var run *kindexec.RunError
	if !errors.As(err, &run) {
		t.Error("the kind error is no longer reachable with errors.As")
	}
}

// orphan makes the directory a run leaves when it dies before cleaning up.
func orphan(t *testing.T, pid int, name string, markers ...string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{ownerFile: strconv.Itoa(pid), clusterFile: name}
	for _, m := range markers {
		files[m] = ""
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// deadPID is the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestOrphansOfDeadRunsAreRemoved(t *testing.T) {
	calls := useFakeDocker(t)
	isolateHome(t)
	dead := deadPID(t)
	t.Setenv(fakeClustersEnv, "kuberay-e2e-dead01,kuberay-e2e-kept01,kuberay-e2e-live01,reused")
	died := orphan(t, dead, "kuberay-e2e-dead01", ownedFile)
	kept := orphan(t, dead, "kuberay-e2e-kept01", ownedFile, keptFile)
	live := orphan(t, os.Getpid(), "kuberay-e2e-live01", ownedFile)
	reused := orphan(t, dead, "reused")

	c := newCluster(t, WithProgress(&bytes.Buffer{}))
	if _, err := c.Create(context.Background()); err == nil {
		t.Fatal("Create succeeded on the fake engine")
	}
	var removed []string
	for _, rm := range callsOf(calls(), "rm") {
		removed = append(removed, rm[len(rm)-1])
	}
	// The dead run's node and its package index container (offline mode),
	// nothing of the kept, live or reused runs.
	if !slices.Equal(removed, []string{"kuberay-e2e-dead01-control-plane", "kuberay-e2e-dead01-pip-index"}) {
		t.Errorf("deleted containers %q; want only the dead run's own cluster and index", removed)
	}
	for dir, wantGone := range map[string]bool{died: true, reused: true, kept: false, live: false} {
		if _, err := os.Stat(dir); os.IsNotExist(err) != wantGone {
			t.Errorf("%s: removed=%v, want %v", dir, os.IsNotExist(err), wantGone)
		}
	}
}
