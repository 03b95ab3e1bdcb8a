package images

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
	"github.com/kuberay-docs/pod-security-e2e/offline/dockerns"
	"github.com/kuberay-docs/pod-security-e2e/offline/ocicaps"
	"github.com/kuberay-docs/pod-security-e2e/versions"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
)

// TestRayImageRuns loads the built Ray and operator images into a private daemon in a new
// network namespace and runs it: Ray and xgboost import at their pinned
// versions, the user is uid 1000, a login shell (as KubeRay starts Ray)
// finds ray, pip3, bash and wget, a one-node Ray runs a task, the
// fixture's runtime_env pip requirement is satisfied without any network,
// and the fixture's XGBoost script succeeds (testFixtureScript).
//
// The image is built by scripts/offline-images ray (minutes when cold);
// set E2E_BUILD_IMAGES=1 to let the test build it. E2E_RAY_VERSION picks
// the release, as for the build.
func TestRayImageRuns(t *testing.T) {
	requirePrivateDaemon(t, "a real dockerd")
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := versions.LookupRay(settings.RayVersion())
	if err != nil {
		t.Fatal(err)
	}
	r, err := RayFor(rel)
	if err != nil {
		t.Fatal(err)
	}
	tarball := r.Tarball(cache)
	if _, err := os.Stat(tarball); err != nil {
		if os.Getenv("E2E_BUILD_IMAGES") != "1" {
			t.Skipf("the Ray image is not built (%s); build it with scripts/offline-images ray, or set E2E_BUILD_IMAGES=1", tarball)
		}
		if tarball, _, err = r.Build(context.Background(), cache, testlog.Writer{T: t}, t.Logf); err != nil {
			t.Fatal(err)
		}
	}

	cfg := startDaemon(t)
	ctx := context.Background()
	t0 := time.Now()
	if _, err := Load(ctx, cfg.Env(), r.Name, r.Key(), r.ImportArgs(tarball)); err != nil {
		t.Fatal(err)
	}
	t.Logf("import: %s", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if skipped, err := Load(ctx, cfg.Env(), r.Name, r.Key(), r.ImportArgs(tarball)); err != nil || !skipped {
		t.Errorf("second load: skipped=%v err=%v (the recipe label should make it a no-op)", skipped, err)
	}
	t.Logf("second load (recipe already there): %s", time.Since(t0).Round(time.Millisecond))

	run := func(args ...string) string {
		t.Helper()
		t0 := time.Now()
		out, err := docker(ctx, cfg.Env(), append([]string{"run", "--rm", "--network", "none", r.Name}, args...)...)
		t.Logf("%s (%s):\n%s", strings.Join(args, " "), time.Since(t0).Round(time.Millisecond), out)
		if err != nil {
			t.Fatalf("docker run %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	if out := run("python", "-c", "import ray, xgboost, ray.train.xgboost; print(ray.__version__, xgboost.__version__)"); !strings.Contains(out, rel.Version+" "+rel.XGBoost) {
		t.Errorf("want Ray %s and xgboost %s", rel.Version, rel.XGBoost)
	}
	if out := run("id"); !strings.HasPrefix(out, "uid=1000(ray) gid=100(users)") {
		t.Errorf("want uid 1000 (ray), gid 100")
	}
	// KubeRay runs its commands through "bash -lc"; its probes use wget.
	if out := run("bash", "-lc", "command -v ray pip3 wget; echo HOME=$HOME"); !strings.Contains(out, "/home/ray/venv/bin/ray") ||
		!strings.Contains(out, "/home/ray/venv/bin/pip3") || !strings.Contains(out, "/usr/bin/wget") || !strings.Contains(out, "HOME=/home/ray") {
		t.Errorf("a login shell must find ray and pip3 in the venv and wget")
	}
	testOperatorImage(ctx, t, cfg)

	// A one-node Ray runs a task, and the fixture's runtime_env pip
	// requirement installs with no network at all: the image has it.
	script := `import ray
ray.init(runtime_env={"pip": ["xgboost-cpu==` + rel.XGBoost + `"]})
@ray.remote
def v():
    import xgboost
    return xgboost.__version__
print("task xgboost", ray.get(v.remote()))
`
	if out := run("bash", "-lc", "ray start --head --num-cpus=1 --disable-usage-stats --include-dashboard=false >/dev/null && python -c '"+script+"'; rc=$?; ray stop >/dev/null; exit $rc"); !strings.Contains(out, "task xgboost "+rel.XGBoost) {
		t.Errorf("want a Ray task with the runtime_env pip requirement to report xgboost %s", rel.XGBoost)
	}
	testFixtureScript(ctx, t, cfg, r)
}

// testFixtureScript runs the fixture's XGBoost script, set for the image's
// Ray release as step 5.2 sets it, on a two-node Ray of two containers (a
// head and a worker of one CPU each, like the fixture's pods), with nothing
// outside the private daemon's namespace reachable. Where the release has token authentication it runs as KubeRay
// runs it with authOptions.mode token (RAY_AUTH_MODE and RAY_AUTH_TOKEN in
// every Ray process), and the dashboard's Jobs API is asked without a
// token, with a wrong one and with the right one; a head started without
// RAY_AUTH_MODE, as KubeRay starts it without authOptions, is asked too.
func testFixtureScript(ctx context.Context, t *testing.T, cfg dockerns.Config, r Ray) {
	objs, err := fixtures.PodSecurityCluster()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fixtures.SetRay(objs, r.Release, r.Name); err != nil {
		t.Fatal(err)
	}
	var script string
	for _, o := range objs {
		if o.GetName() == fixtures.ConfigMapName {
			script, _, _ = unstructured.NestedString(o.Object, "data", fixtures.ScriptKey)
		}
	}
	env := []string{"-e", "SCRIPT=" + script}
	token := ""
	if r.Release.TokenAuth() {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		token = hex.EncodeToString(b)
		env = append(env, "-e", "RAY_AUTH_MODE=token", "-e", "RAY_AUTH_TOKEN="+token)
	}
	// jobs asks the Jobs API with the given header value ("" for none)
	// once the dashboard answers, and prints the status.
	const jobs = `import sys, time, urllib.request, urllib.error
def ask(auth):
    req = urllib.request.Request("http://127.0.0.1:8265/api/jobs/")
    if auth:
        req.add_header("X-Ray-Authorization", auth)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""
deadline = time.time() + 120
while time.time() < deadline:
    status, body = ask(sys.argv[1])
    if status is not None:
        break
    time.sleep(1)
print("jobs api", repr(sys.argv[1][:7]), status, body)
`
	// Head and worker are containers of their own on a network of the
	// private daemon, as the fixture's pods are: two raylets sharing one
	// /tmp/ray would race to build the same runtime_env. A network rather
	// than --network none because xgboost's collective tracker needs a
	// route to find the address it listens on; the daemon's namespace
	// reaches nothing outside it, so the runtime_env's pip has no index.
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	net, head := "ray-"+hex.EncodeToString(suffix), "ray-head-"+hex.EncodeToString(suffix)
	if out, err := docker(ctx, cfg.Env(), "network", "create", net); err != nil {
		t.Fatalf("docker network create: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_, _ = docker(context.Background(), cfg.Env(), "rm", "-f", head, head+"-worker")
		_, _ = docker(context.Background(), cfg.Env(), "network", "rm", net)
	})
	start := func(name, cmd string) {
		t.Helper()
		args := append(append([]string{"run", "-d", "--name", name, "--hostname", name, "--network", net}, env...), r.Name, "bash", "-lc", cmd)
		if out, err := docker(ctx, cfg.Env(), args...); err != nil {
			t.Fatalf("docker run %s: %v\n%s", name, err, out)
		}
	}
	start(head, "ray start --head --num-cpus=1 --disable-usage-stats --dashboard-host=127.0.0.1 --block")
	start(head+"-worker", "ray start --address="+head+":6379 --num-cpus=1 --block")
	// The script runs once the head's Ray answers, as kubectl exec runs it
	// once KubeRay's readiness probe passes: a ray.init() before that would
	// start a Ray instance of its own in the container instead.
	shell := `for i in $(seq 120); do ray status >/dev/null 2>&1 && break; sleep 1; done
python -c "$SCRIPT"; rc=$?
python -c '` + jobs + `' ""
python -c '` + jobs + `' "Bearer wrong"
python -c '` + jobs + `' "Bearer ${RAY_AUTH_TOKEN:-none}"
exit $rc`
	t0 := time.Now()
	// KubeRay gives the head container RAY_ADDRESS, so that ray.init() joins
	// the cluster; without it Ray 2.60 starts a local instance of its own.
	out, err := docker(ctx, cfg.Env(), append(append([]string{"exec", "-e", "RAY_ADDRESS=127.0.0.1:6379"}, env...), head, "bash", "-lc", shell)...)
	t.Logf("the fixture's script on Ray %s, token authentication %v (%s):\n%s", r.Release.Version, token != "", time.Since(t0).Round(time.Second), out)
	if err != nil {
		logs, _ := docker(ctx, cfg.Env(), "logs", head+"-worker")
		t.Fatalf("the fixture's script failed: %v\nworker:\n%s", err, logs)
	}
	if strings.Contains(out, "Started a local Ray instance") {
		t.Errorf("the script started a Ray of its own instead of joining the head's")
	}
	for _, want := range []string{"ray " + r.Release.Version + ", xgboost " + r.Release.XGBoost + " final metrics:", "'training_iteration': 10", "XGBoost training succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("the script's output lacks %q", want)
		}
	}
	// Without a token the Jobs API answers 401 exactly when the cluster
	// runs with token authentication.
	unauth, wrong := "jobs api '' 200", "jobs api 'Bearer ' 200"
	if token != "" {
		unauth, wrong = "jobs api '' 401 Unauthorized: Missing authentication token", "jobs api 'Bearer ' 403 Forbidden: Invalid authentication token"
	}
	for _, want := range []string{unauth, wrong} {
		if !strings.Contains(out, want) {
			t.Errorf("the Jobs API: want %q", want)
		}
	}
	if token != "" && strings.Count(out, "jobs api 'Bearer ' 200") != 1 {
		t.Errorf("the Jobs API must answer 200 to the cluster's token alone")
	}
	if !r.Release.TokenAuth() {
		return
	}
	// The same head without RAY_AUTH_MODE, as KubeRay starts one without
	// authOptions: is the Jobs API open?
	out, err = docker(ctx, cfg.Env(), "run", "--rm", "--network", "none", r.Name, "bash", "-lc",
		`ray start --head --num-cpus=1 --disable-usage-stats --dashboard-host=127.0.0.1 >/tmp/head.log 2>&1 || { cat /tmp/head.log; exit 1; }
grep -i "token auth" /tmp/head.log; python -c '`+jobs+`' ""; ray stop >/dev/null`)
	t.Logf("Ray %s head without RAY_AUTH_MODE:\n%s", r.Release.Version, out)
	if err != nil || !strings.Contains(out, "jobs api '' 200") {
		t.Errorf("a head started without RAY_AUTH_MODE: want the Jobs API to answer 200 without a token (%v)", err)
	}
}

// testOperatorImage loads the operator image into the same daemon: it runs
// /manager, the operator built from the pinned module, as 65532.
func testOperatorImage(ctx context.Context, t *testing.T, cfg dockerns.Config) {
	o, err := OperatorFromCache(ctx, versions.DefaultKubeRay(), testlog.Writer{T: t})
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := CacheDir()
	tarball, _, err := o.Build(cache)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := Load(ctx, cfg.Env(), o.Name, o.Key(), o.ImportArgs(tarball)); err != nil {
		t.Fatal(err)
	}
	t.Logf("operator image import: %s", time.Since(t0).Round(time.Millisecond))
	user, err := docker(ctx, cfg.Env(), "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", o.Name)
	if err != nil || strings.TrimSpace(user) != `65532:65532 ["/manager"]` {
		t.Errorf("operator image user and entrypoint: %q %v", user, err)
	}
	out, _ := docker(ctx, cfg.Env(), "run", "--rm", "--network", "none", o.Name, "--help")
	t.Logf("/manager --help: %.300s", out)
	if !strings.Contains(out, "-metrics-addr") {
		t.Errorf("/manager --help does not print the operator's flags")
	}
}

// TestNodeImageBoots runs the node image the way kind runs a node
// (privileged, private cgroup namespace, tmpfs /run and /tmp, a volume on
// /var so containerd's overlay snapshots are not on overlay) in a fresh
// private daemon: systemd comes up, containerd serves the CRI, the
// binaries report the pinned versions, and oom_score_adj is restricted
// exactly where the kernel lacks CAP_SYS_RESOURCE.
func TestNodeImageBoots(t *testing.T) {
	requirePrivateDaemon(t, "a real dockerd")
	ctx := context.Background()
	k, cache, n := requireNodeRecipe(ctx, t)
	tarball := n.Tarball(cache)
	if _, err := os.Stat(tarball); err != nil {
		if os.Getenv("E2E_BUILD_IMAGES") != "1" {
			t.Skipf("the node image is not built (%s); build it with scripts/offline-images node, or set E2E_BUILD_IMAGES=1", tarball)
		}
		if tarball, _, err = n.Build(ctx, cache, testlog.Writer{T: t}, t.Logf); err != nil {
			t.Fatal(err)
		}
	}
	cfg := startDaemon(t)
	t0 := time.Now()
	if _, err := Load(ctx, cfg.Env(), n.Name, n.Key(), n.ImportArgs(tarball)); err != nil {
		t.Fatal(err)
	}
	t.Logf("import: %s", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if out, err := docker(ctx, cfg.Env(), "run", "-d", "--name", "node", "--hostname", "node", "--privileged", "--cgroupns=private",
		"--tmpfs", "/run", "--tmpfs", "/tmp", "-v", "/lib/modules:/lib/modules:ro", "--volume", "/var",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--stop-signal", "SIGRTMIN+3", n.Name); err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	inNode := func(args ...string) (string, error) {
		return docker(ctx, cfg.Env(), append([]string{"exec", "node"}, args...)...)
	}
	g := gomega.NewWithT(t)
	var state string
	g.Eventually(func() string {
		out, _ := inNode("systemctl", "is-system-running")
		state = strings.TrimSpace(out)
		return state
	}).WithTimeout(90*time.Second).WithPolling(time.Second).Should(gomega.BeElementOf("running", "degraded"), func() string {
		logs, _ := docker(ctx, cfg.Env(), "logs", "node")
		return "systemd did not come up; node log:\n" + logs
	})
	t.Logf("systemd %s after %s", state, time.Since(t0).Round(time.Millisecond))
	if state == "degraded" {
		failed, _ := inNode("systemctl", "--failed", "--no-legend")
		t.Logf("failed units (kubelet fails until kubeadm configures it):\n%s", failed)
	}
	for args, want := range map[string]string{
		"cat /kind/version":              k.Version,
		"kubeadm version -o short":       k.Version,
		"kubelet --version":              k.Version,
		"jq --version":                   "jq-", // kind's mount-product-files.sh hook needs it
		"crictl --version":               versions.CriTools,
		"systemctl is-active containerd": "active",
	} {
		out, err := inNode(strings.Fields(args)...)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("%s: want %s: %v %s", args, want, err, out)
		}
	}
	// The component images are in containerd's k8s.io namespace under the
	// names kubeadm asks for.
	t1 := time.Now()
	var active string
	g.Eventually(func() string {
		out, _ := inNode("systemctl", "is-active", "kuberay-e2e-images.service")
		active = strings.TrimSpace(out)
		return active
	}).WithTimeout(60*time.Second).WithPolling(500*time.Millisecond).Should(gomega.BeElementOf("active", "failed"), "kuberay-e2e-images.service never finished")
	t.Logf("component images imported (%s) %s after systemd was up", strings.TrimSpace(active), time.Since(t1).Round(time.Millisecond))
	listed, err := inNode("ctr", "--namespace", "k8s.io", "images", "ls", "-q")
	if err != nil {
		t.Errorf("ctr images ls: %v %s", err, listed)
	}
	for _, c := range append(n.Components, KubeProxy(k, n.Bins, "")) {
		if !strings.Contains(listed, c.Name+"\n") {
			t.Errorf("containerd lacks %s; it has:\n%s", c.Name, listed)
		}
	}
	if out, err := inNode("crictl", "inspecti", "registry.k8s.io/pause:"+k.Kubeadm.Pause); err != nil || !strings.Contains(out, BuiltFromLabel) {
		t.Errorf("crictl inspecti pause: %v\n%.500s", err, out)
	}
	// kube-proxy's image has the iptables it drives.
	if out, err := inNode("ctr", "--namespace", "k8s.io", "run", "--rm", "registry.k8s.io/kube-proxy:"+k.Version, "kp-check",
		"sh", "-c", "kube-proxy --version && iptables --version && command -v conntrack"); err != nil || !strings.Contains(out, k.Version) || !strings.Contains(out, "iptables v") {
		t.Errorf("kube-proxy image: %v\n%s", err, out)
	}
	var info string
	g.Eventually(func() error {
		info, err = inNode("crictl", "info")
		return err
	}).WithTimeout(30*time.Second).WithPolling(time.Second).Should(gomega.Succeed(), "crictl info (the CRI of the node's containerd)")
	missing, _ := ocicapsMissing()
	want := `"restrictOOMScoreAdj": false`
	if len(missing) > 0 {
		want = `"restrictOOMScoreAdj": true`
	}
	if !strings.Contains(info, want) {
		t.Errorf("containerd's CRI config: want %s on a kernel missing %v", want, missing)
	}
}

// startDaemon starts a private daemon in a new namespace for one test and
// stops it (checking nothing is left) at the end.
func startDaemon(t *testing.T) dockerns.Config {
	t.Helper()
	tmp := t.TempDir()
	runc, _ := exec.LookPath("runc")
	build := exec.Command("go", "build", "-o", filepath.Join(tmp, "oci-capdrop"), "-ldflags", "-X main.runtime="+runc, "../../cmd/oci-capdrop")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build oci-capdrop: %v\n%s", err, out)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	cfg := dockerns.Config{Name: "kre2e-img-" + suffix, Dir: "/tmp/kre2e-img-" + suffix, CapDrop: filepath.Join(tmp, "oci-capdrop")}
	if _, err := dockerns.Start(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		t0 := time.Now()
		if err := dockerns.Stop(cfg); err != nil {
			t.Errorf("stop: %v", err)
		}
		if left := dockerns.Leftovers(cfg); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
		t.Logf("daemon stopped, nothing left: %s", time.Since(t0).Round(time.Millisecond))
	})
	return cfg
}

func ocicapsMissing() ([]string, error) { return ocicaps.MissingHere() }

// TestKindCreatesOfflineCluster creates a cluster with the pinned kind
// library on the offline node image, in a fresh private daemon: nothing is
// pulled, the node becomes Ready, and every kube-system pod (CoreDNS on
// the bridge CNI, kube-proxy, the control plane) becomes Ready.
func TestKindCreatesOfflineCluster(t *testing.T) {
	requirePrivateDaemon(t, "a real dockerd and a kind cluster")
	ctx := context.Background()
	_, cache, n := requireNodeRecipe(ctx, t)
	tarball, _, err := n.Build(ctx, cache, testlog.Writer{T: t}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	cfg := startDaemon(t)
	if _, err := Load(ctx, cfg.Env(), n.Name, n.Key(), n.ImportArgs(tarball)); err != nil {
		t.Fatal(err)
	}
	// kind drives the docker CLI, which follows DOCKER_HOST.
	t.Setenv("DOCKER_HOST", cfg.Host())
	provider := kindcluster.NewProvider(kindcluster.ProviderWithDocker())
	name := "offline-" + cfg.Name[len(cfg.Name)-6:]
	t0 := time.Now()
	err = provider.Create(name,
		kindcluster.CreateWithNodeImage(n.Name),
		kindcluster.CreateWithRawConfig([]byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n")),
		kindcluster.CreateWithWaitForReady(3*time.Minute),
		kindcluster.CreateWithKubeconfigPath(filepath.Join(t.TempDir(), "kubeconfig")))
	t.Cleanup(func() {
		t0 := time.Now()
		if err := provider.Delete(name, ""); err != nil {
			t.Errorf("kind delete: %v", err)
		}
		t.Logf("kind delete: %s", time.Since(t0).Round(time.Millisecond))
	})
	if err != nil {
		t.Fatalf("kind create: %v", err)
	}
	t.Logf("kind create (node Ready): %s", time.Since(t0).Round(time.Millisecond))
	node := name + "-control-plane"
	kubectl := func(args ...string) (string, error) {
		return docker(ctx, cfg.Env(), append([]string{"exec", node, "kubectl", "--kubeconfig=/etc/kubernetes/admin.conf"}, args...)...)
	}
	t0 = time.Now()
	if out, err := kubectl("wait", "--for=condition=Ready", "pods", "--all", "-n", "kube-system", "--timeout=180s"); err != nil {
		pods, _ := kubectl("get", "pods", "-A", "-o", "wide")
		t.Fatalf("kube-system pods not Ready: %v\n%s\n%s", err, out, pods)
	}
	pods, _ := kubectl("get", "pods", "-A", "-o", "wide")
	t.Logf("kube-system Ready %s later:\n%s", time.Since(t0).Round(time.Millisecond), pods)
	for _, want := range []string{"coredns-", "kube-proxy-", "kuberay-e2e-bridge-cni-", "etcd-" + node, "kube-apiserver-" + node} {
		if !strings.Contains(pods, want) {
			t.Errorf("no %s pod", want)
		}
	}
}

// requirePrivateDaemon skips a test that needs what starts names, where a
// private daemon cannot run: under -short, without root, or when
// dockerns.Check says why not.
func requirePrivateDaemon(t *testing.T, starts string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starts " + starts)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates a network namespace")
	}
	if err := dockerns.Check(); err != nil {
		t.Skipf("no private daemon possible here: %v", err)
	}
}

// requireNodeRecipe returns the default Kubernetes release, the cache
// directory and the release's node image recipe. Finding the recipe builds the node
// binaries, so it skips before that when no node image of this release was
// ever built and building is not asked for.
func requireNodeRecipe(ctx context.Context, t *testing.T) (versions.Kubernetes, string, Node) {
	t.Helper()
	k, err := versions.LookupKubernetes(versions.DefaultKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := CacheDir()
	if built, _ := filepath.Glob(filepath.Join(cache, "images", "node-"+k.Version+"-*.tar")); len(built) == 0 && os.Getenv("E2E_BUILD_IMAGES") != "1" {
		t.Skipf("no node image of %s is built; build it with scripts/offline-images node, or set E2E_BUILD_IMAGES=1", k.Version)
	}
	n, err := NodeFromCache(ctx, k, testlog.Writer{T: t})
	if err != nil {
		t.Fatal(err)
	}
	return k, cache, n
}
