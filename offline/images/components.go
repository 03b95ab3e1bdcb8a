package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Component is one image the node's containerd must have before kubeadm
// runs, under the name `kubeadm config images list` gives for the release.
// Each is one layer of binaries built here; its label says from what.
type Component struct {
	Name string
	// Root, when set, is a directory whose tree is the layer's base.
	Root   string
	Files  []File
	Config Config
	// ID identifies the content (binary cache directories, source hashes).
	ID string
}

// BuiltFromLabel says where a component image's binary comes from.
const BuiltFromLabel = "io.kuberay-e2e.built-from"

// Components are the component images of k that exist so far: the control
// plane (kube-apiserver, kube-controller-manager, kube-scheduler), CoreDNS
// etcd, and this project's pause program. kube-proxy needs iptables in its
// image and is made by Node.Build on a Debian root (KubeProxy).
//
// sandboxPause is the pause tag containerd's sandbox_image names in kind's
// configuration; kind fixes it (3.7 in v0.22.0) whatever kubeadm's tag, so
// when the two differ the node gets both, as kind's own node images do.
func Components(ctx context.Context, k versions.Kubernetes, node map[string]string, progress io.Writer, cache, sandboxPause string) ([]Component, error) {
	cp, err := binaries.EnsureTarget(ctx, k, "kubernetes", binaries.WithProgress(progress))
	if err != nil {
		return nil, err
	}
	var out []Component
	for _, bin := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		out = append(out, Component{
			Name:  "registry.k8s.io/" + bin + ":" + k.Version,
			Files: []File{{Path: "usr/local/bin/" + bin, Mode: 0o755, Source: cp[bin]}},
			Config: Config{
				Entrypoint: []string{"/usr/local/bin/" + bin},
				Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
				Labels:     map[string]string{BuiltFromLabel: "k8s.io/kubernetes@" + k.Version + " (tools/kubernetes/" + k.Version + ")"},
			},
			ID: filepath.Base(filepath.Dir(cp[bin])),
		})
	}
	if node["coredns"] == "" {
		return nil, fmt.Errorf("no CoreDNS binary (fix: go run ./cmd/local-binaries -node)")
	}
	out = append(out, Component{
		Name:   "registry.k8s.io/coredns/coredns:" + k.Kubeadm.CoreDNS,
		Files:  []File{{Path: "coredns", Mode: 0o755, Source: node["coredns"]}},
		Config: Config{Entrypoint: []string{"/coredns"}, Labels: map[string]string{BuiltFromLabel: "github.com/coredns/coredns@" + k.Kubeadm.CoreDNS}},
		ID:     filepath.Base(filepath.Dir(node["coredns"])),
	})
	if node["etcd-node"] == "" {
		return nil, fmt.Errorf("no etcd %s binary (fix: go run ./cmd/local-binaries -node)", binaries.EtcdForKubeadm(k))
	}
	out = append(out, Component{
		Name:  "registry.k8s.io/etcd:" + k.Kubeadm.Etcd,
		Files: []File{{Path: "usr/local/bin/etcd", Mode: 0o755, Source: node["etcd-node"]}},
		Config: Config{
			Entrypoint: []string{"/usr/local/bin/etcd"},
			Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
			Labels:     map[string]string{BuiltFromLabel: "go.etcd.io/etcd/server/v3@" + binaries.EtcdForKubeadm(k) + " (tools/etcd-" + binaries.EtcdForKubeadm(k) + ")"},
		},
		ID: filepath.Base(filepath.Dir(node["etcd-node"])),
	})
	tags := []string{k.Kubeadm.Pause}
	if sandboxPause != "" && sandboxPause != k.Kubeadm.Pause {
		tags = append(tags, sandboxPause)
	}
	for _, tag := range tags {
		pause, sum, err := buildPause(ctx, cache, tag)
		if err != nil {
			return nil, err
		}
		out = append(out, Component{
			Name:  "registry.k8s.io/pause:" + tag,
			Files: []File{{Path: "pause", Mode: 0o755, Source: pause}},
			Config: Config{Entrypoint: []string{"/pause"}, User: "65535:65535",
				Labels: map[string]string{BuiltFromLabel: "cmd/pause of kuberay-pod-security-e2e (not the upstream pause image)"}},
			ID: "pause-" + sum,
		})
	}
	return out, nil
}

// buildPause builds cmd/pause (static) into the cache, named by a hash of
// its source and tag, and returns it with that hash.
func buildPause(ctx context.Context, cache, tag string) (string, string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", "", err
	}
	src, err := os.ReadFile(filepath.Join(root, "cmd", "pause", "main.go"))
	if err != nil {
		return "", "", err
	}
	h := sha256.Sum256(append(src, []byte(tag)...))
	sum := hex.EncodeToString(h[:])[:12]
	out := filepath.Join(cache, "bin", "pause-"+tag+"-"+sum, "pause")
	if fileExists(out) {
		return out, sum, nil
	}
	tmp := out + ".partial"
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+tag, "-o", tmp, "./cmd/pause")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("build cmd/pause: %v\n%s", err, b)
	}
	return out, sum, os.Rename(tmp, out)
}

// archiveName is the file a component's archive gets in /kind/images.
func archiveName(name string) string {
	return strings.NewReplacer("/", "_", ":", "_").Replace(name) + ".tar"
}

// kubeProxyPackages are what kube-proxy runs in iptables mode.
var kubeProxyPackages = []string{"iptables", "conntrack", "ipset", "kmod"}

// KubeProxy is kube-proxy's image on a minimal Debian root at dir.
func KubeProxy(k versions.Kubernetes, node map[string]string, dir string) Component {
	return Component{
		Name:  "registry.k8s.io/kube-proxy:" + k.Version,
		Root:  dir,
		Files: []File{{Path: "usr/local/bin/kube-proxy", Mode: 0o755, Source: node["kube-proxy"]}},
		Config: Config{
			Entrypoint: []string{"/usr/local/bin/kube-proxy"},
			Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Labels:     map[string]string{BuiltFromLabel: "k8s.io/kubernetes@" + k.Version + " on Debian " + versions.DebianSuite},
		},
		ID: filepath.Base(filepath.Dir(node["kube-proxy"])) + "+" + strings.Join(kubeProxyPackages, ","),
	}
}
