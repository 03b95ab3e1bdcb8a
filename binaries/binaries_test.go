package binaries

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestEveryPinnedKubernetesHasAWrapperModuleAtThatVersion(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range versions.KubernetesReleases {
		data, err := os.ReadFile(filepath.Join(root, "tools", "kubernetes", k.Version, "go.mod"))
		if err != nil {
			t.Fatalf("%s: %v", k.Version, err)
		}
		if !strings.Contains(string(data), "require k8s.io/kubernetes "+k.Version+"\n") {
			t.Errorf("tools/kubernetes/%s/go.mod does not require k8s.io/kubernetes %s", k.Version, k.Version)
		}
		// Every staging module must be replaced by the matching v0.N.x.
		staging := "v0." + strings.SplitN(strings.TrimPrefix(k.Version, "v1."), ".", 2)[0] + "." + strings.SplitN(k.Version, ".", 3)[2]
		if !strings.Contains(string(data), "k8s.io/api => k8s.io/api "+staging+"\n") {
			t.Errorf("tools/kubernetes/%s/go.mod does not pin k8s.io/api to %s", k.Version, staging)
		}
		// go mod tidy keeps the dependencies of what tools.go imports: a
		// package built from the module but not imported there has no go.sum
		// entries, and its build fails (kubectl v1.34.4 did).
		imports, err := os.ReadFile(filepath.Join(root, "tools", "kubernetes", k.Version, "tools.go"))
		if err != nil {
			t.Fatalf("%s: %v", k.Version, err)
		}
		for _, target := range ToolTargets(k)[:1] {
			for _, pkg := range target.Packages {
				if !strings.Contains(string(imports), `_ "`+pkg+`"`) {
					t.Errorf("tools/kubernetes/%s/tools.go does not import %s, which %s builds from the module: add it and run go mod tidy there", k.Version, pkg, target.Name)
				}
			}
		}
	}
	etcd, err := os.ReadFile(filepath.Join(root, "tools", "etcd", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(etcd), "go.etcd.io/etcd/server/v3 "+versions.Etcd) {
		t.Errorf("tools/etcd/go.mod does not require etcd %s", versions.Etcd)
	}
}

func TestVersionStampedIntoKubernetesBinaries(t *testing.T) {
	k, err := versions.LookupKubernetes("1.24")
	if err != nil {
		t.Fatal(err)
	}
	ld := Targets(k, defaultKubeRay)[0].LDFlags
	for _, want := range []string{
		"k8s.io/component-base/version.gitVersion=v1.24.17",
		"k8s.io/component-base/version.gitMajor=1",
		"k8s.io/component-base/version.gitMinor=24",
		"k8s.io/client-go/pkg/version.gitVersion=v1.24.17",
	} {
		if !strings.Contains(ld, want) {
			t.Errorf("ldflags lack %s: %s", want, ld)
		}
	}
}

func TestCacheKeyFollowsPins(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := versions.LookupKubernetes("")
	base := Targets(k, defaultKubeRay)[0]
	key := func(tg Target) string {
		s, err := tg.key(root)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	k0 := key(base)
	if key(base) != k0 {
		t.Fatal("key is not stable")
	}
	other := base
	other.Toolchain = "go1.99.0"
	if key(other) == k0 {
		t.Error("a new Go toolchain must rebuild")
	}
	other = base
	other.LDFlags += " -X x.y=z"
	if key(other) == k0 {
		t.Error("new ldflags must rebuild")
	}
	newer, _ := versions.LookupKubernetes("1.34")
	if key(Targets(newer, defaultKubeRay)[0]) == k0 {
		t.Error("another Kubernetes version must use another cache entry")
	}
}

func TestCachedBinariesAreNotRebuilt(t *testing.T) {
	cache := t.TempDir()
	root, _ := repo.Root()
	k, _ := versions.LookupKubernetes("")
	want := map[string]string{}
	for _, tg := range Targets(k, defaultKubeRay) {
		key, err := tg.key(root)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(cache, "bin", tg.Name+"-"+tg.Version+"-"+key)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, b := range tg.Binaries {
			p := filepath.Join(dir, b)
			if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			want[b] = p
		}
		if err := writeManifest(dir, tg.Binaries); err != nil {
			t.Fatal(err)
		}
	}
	var progress bytes.Buffer
	set, err := Ensure(context.Background(), k, WithCacheDir(cache), WithProgress(&progress))
	if err != nil {
		t.Fatal(err)
	}
	if progress.Len() != 0 {
		t.Errorf("cached binaries were rebuilt: %s", progress.String())
	}
	got := map[string]string{
		"kube-apiserver": set.APIServer, "kube-controller-manager": set.ControllerManager, "kube-scheduler": set.Scheduler,
		"etcd": set.Etcd, "kwok": set.KWOK, "ray-operator": set.Operator,
	}
	for b, p := range want {
		if got[b] != p {
			t.Errorf("%s: got %s, want %s", b, got[b], p)
		}
	}
}

func TestBuildFailureSaysWhatFailed(t *testing.T) {
	tg := Target{Name: "nonexistent", Version: "v0.0.1", Binaries: []string{"nothing"},
		Packages: []string{"example.invalid/nothing@v0.0.1"}, Toolchain: "local"}
	var progress bytes.Buffer
	_, err := ensureAll(context.Background(), []Target{tg}, Options{CacheDir: t.TempDir(), Progress: &progress}, 1, "")
	if err == nil || !strings.Contains(err.Error(), "build nonexistent v0.0.1 failed") {
		t.Fatalf("got %v", err)
	}
}

func TestEnsureTargetUnknown(t *testing.T) {
	k, err := versions.LookupKubernetes(versions.DefaultKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureTarget(context.Background(), k, "no-such-target", WithCacheDir(t.TempDir())); err == nil || !strings.Contains(err.Error(), `"no-such-target"`) {
		t.Errorf("want an error naming the target, got %v", err)
	}
}

func TestNodeTargetIsStampedAndSeparate(t *testing.T) {
	k, err := versions.LookupKubernetes("1.24")
	if err != nil {
		t.Fatal(err)
	}
	n := NodeTarget(k)
	if n.LDFlags != Targets(k, defaultKubeRay)[0].LDFlags || n.ModuleDir != Targets(k, defaultKubeRay)[0].ModuleDir || n.Toolchain != k.GoToolchain {
		t.Errorf("node binaries must come from the control plane's wrapper module, toolchain and version stamp")
	}
	for _, tg := range Targets(k, defaultKubeRay) {
		if tg.Name == n.Name {
			t.Errorf("the local tier must not build the node binaries")
		}
	}
}

// TestNodeBinariesRun builds (or finds) kubelet, kubeadm, kubectl,
// kube-proxy, crictl, CoreDNS and etcd for the default Kubernetes, checks that
// each reports its pinned version, and that kubeadm expects the pause, etcd
// and CoreDNS tags pinned in versions.
func TestNodeBinariesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the node binaries when they are not cached (about a minute warm, several cold)")
	}
	k, err := versions.LookupKubernetes(versions.DefaultKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := EnsureNode(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	for bin, check := range map[string]struct {
		args []string
		want string
	}{
		"kubeadm":    {[]string{"version", "-o", "short"}, k.Version},
		"kubelet":    {[]string{"--version"}, k.Version},
		"kubectl":    {[]string{"version", "--client", "-o", "yaml"}, k.Version},
		"kube-proxy": {[]string{"--version"}, k.Version},
		"crictl":     {[]string{"--version"}, versions.CriTools},
		"coredns":    {[]string{"-version"}, "CoreDNS-" + strings.TrimPrefix(k.Kubeadm.CoreDNS, "v")},
		"etcd-node":  {[]string{"--version"}, "etcd Version: " + strings.TrimPrefix(EtcdForKubeadm(k), "v")},
	} {
		out, err := exec.Command(paths[bin], check.args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), check.want) {
			t.Errorf("%s %s: want %s: %v\n%s", bin, strings.Join(check.args, " "), check.want, err, out)
		}
	}
	out, err := exec.Command(paths["kubeadm"], "config", "images", "list", "--kubernetes-version", k.Version).CombinedOutput()
	if err != nil {
		t.Fatalf("kubeadm config images list: %v\n%s", err, out)
	}
	t.Logf("kubeadm config images list:\n%s", out)
	// The tags pinned in versions are the ones this kubeadm expects.
	for _, want := range []string{"kube-proxy:" + k.Version, "/pause:" + k.Kubeadm.Pause + "\n", "/etcd:" + k.Kubeadm.Etcd + "\n", "/coredns:" + k.Kubeadm.CoreDNS + "\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kubeadm config images list lacks %q: versions.KubernetesReleases is out of date", strings.TrimSpace(want))
		}
	}
}

var defaultKubeRay = versions.KubeRayReleases[len(versions.KubeRayReleases)-1]

// Each KubeRay release has an operator target of its own, cached apart.
func TestOperatorTargetFollowsTheKubeRayRelease(t *testing.T) {
	kube, err := versions.LookupKubernetes("")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, r := range versions.KubeRayReleases {
		for _, tg := range Targets(kube, r) {
			if tg.Name != "ray-operator" {
				continue
			}
			if tg.Version != r.Version || len(tg.Packages) != 1 || tg.Packages[0] != "github.com/ray-project/kuberay/ray-operator@"+r.Version {
				t.Errorf("KubeRay %s: operator target %+v", r.Version, tg)
			}
			k, err := tg.key("")
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := keys[k]; dup {
				t.Errorf("KubeRay %s and %s share the cache key %s", r.Version, other, k)
			}
			keys[k] = r.Version
		}
	}
	if len(keys) != len(versions.KubeRayReleases) {
		t.Errorf("operator targets for %d releases, want %d", len(keys), len(versions.KubeRayReleases))
	}
}
