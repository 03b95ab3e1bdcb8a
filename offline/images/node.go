package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/internal/files"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Node is the recipe of the offline Kind node image: Debian with systemd,
// containerd, runc, the CNI plugins and the tools kind's node needs; the
// Kubernetes node binaries built here; and the base-image files of the
// pinned kind release, read from the Go module cache and adapted at build
// time (never copied into this repository).
//
// Not yet tried: a kind create with it (see docs/offline-kind.md).
type Node struct {
	K    versions.Kubernetes
	Name string
	// Bins are the node binaries by name (binaries.EnsureNode).
	Bins map[string]string
	// KindFiles is images/base/files of the pinned kind module.
	KindFiles string
	// Components are imported into containerd's k8s.io namespace at boot,
	// before kubelet starts (kuberay-e2e-images.service).
	Components []Component
}

// nodePackages are what kind's base image installs that a single node of
// this suite uses, plus Debian's containerd, runc and CNI plugins, which
// kind builds from source.
var nodePackages = []string{
	"systemd", "dbus", "containerd", "runc", "containernetworking-plugins",
	"conntrack", "iptables", "iproute2", "ethtool", "util-linux", "mount", "ebtables", "kmod",
	"libseccomp2", "pigz", "bash", "ca-certificates", "procps", "socat",
	// jq: kind's mount-product-files.sh hook runs it for every container.
	"jq",
}

// nodeScript prepares systemd the way a kind node expects: no units but
// the ones it enables, journald not reading the host's kmsg.
const nodeScript = `
find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
  /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
  /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
echo ReadKMsg=no >> /etc/systemd/journald.conf
ln -sf /lib/systemd/systemd /sbin/init
systemctl enable kubelet.service containerd.service undo-mount-hacks.service kuberay-e2e-images.service
systemctl mask systemd-binfmt.service
mkdir -p /etc/kubernetes/manifests /opt/cni/bin
for p in /usr/lib/cni/*; do ln -sf "$p" /opt/cni/bin/; done
apt-get clean
rm -rf /var/lib/apt/lists/*
: > /etc/resolv.conf
: > /etc/hostname
`

// containerdCapsScript runs before containerd on every node start. Where
// the kernel's bounding set lacks CAP_SYS_RESOURCE, runc cannot lower a
// container's oom_score_adj and every pod fails with "can't get final
// child's PID from pipe: EOF"; containerd's restrict_oom_score_adj avoids
// that. Elsewhere it changes nothing.
const containerdCapsScript = `#!/bin/sh
# kuberay-pod-security-e2e: restrict oom_score_adj only where CAP_SYS_RESOURCE is missing.
set -eu
bnd=$(awk '/^CapBnd:/ {print $2}' "${KUBERAY_E2E_STATUS:-/proc/self/status}")
if [ $(( (0x$bnd >> 24) & 1 )) -eq 0 ]; then
  sed -i 's/^\( *restrict_oom_score_adj = \)false/\1true/' "${KUBERAY_E2E_CONTAINERD_CONFIG:-/etc/containerd/config.toml}"
fi
`

// imagesUnit imports the component images into containerd's k8s.io
// namespace on every boot, after containerd and before kubelet, so that
// kubeadm and the kubelet find them and pull nothing.
const imagesUnit = `[Unit]
Description=Import the component images of kuberay-pod-security-e2e into containerd
After=containerd.service
Requires=containerd.service
Before=kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -ec 'for f in /kind/images/*.tar; do ctr --namespace k8s.io images import --all-platforms "$f"; done'

[Install]
WantedBy=multi-user.target
`

// cniManifest replaces kindnetd, which cannot be fetched: kind applies
// /kind/manifests/default-cni.yaml after kubeadm init, filling in the pod
// subnet (kind templates the file because it carries kind's marker
// sentence). A host-network DaemonSet on the kube-proxy image (it has a
// shell) writes a bridge + host-local + portmap configuration for the whole
// pod subnet, which is right for this suite's single node, and stays.
const cniManifest = `# kuberay-pod-security-e2e: bridge CNI for a one-node offline cluster.
# would you kindly template this file
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kuberay-e2e-bridge-cni
  namespace: kube-system
  labels: {app: kuberay-e2e-bridge-cni}
spec:
  selector:
    matchLabels: {app: kuberay-e2e-bridge-cni}
  template:
    metadata:
      labels: {app: kuberay-e2e-bridge-cni}
    spec:
      hostNetwork: true
      tolerations: [{operator: Exists}]
      priorityClassName: system-node-critical
      containers:
      - name: install
        image: {{KUBE_PROXY_IMAGE}}
        imagePullPolicy: Never
        command:
        - /bin/sh
        - -ec
        - |
          cat > /etc/cni/net.d/.10-kuberay-e2e-bridge.conflist <<EOF
          {"cniVersion": "0.4.0", "name": "kuberay-e2e-bridge", "plugins": [
            {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "{{ .PodSubnet }}"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "portmap", "capabilities": {"portMappings": true}}]}
          EOF
          mv /etc/cni/net.d/.10-kuberay-e2e-bridge.conflist /etc/cni/net.d/10-kuberay-e2e-bridge.conflist
          exec sleep infinity
        volumeMounts:
        - {name: cni-conf, mountPath: /etc/cni/net.d}
      volumes:
      - name: cni-conf
        hostPath: {path: /etc/cni/net.d, type: DirectoryOrCreate}
`

// CNIManifest is cniManifest for k's kube-proxy image.
func CNIManifest(k versions.Kubernetes) string {
	return strings.Replace(cniManifest, "{{KUBE_PROXY_IMAGE}}", "registry.k8s.io/kube-proxy:"+k.Version, 1)
}

// NodeImageName is the offline node image of k.
func NodeImageName(k versions.Kubernetes) string { return versions.OfflineNodeImage(k) }

// NodeFromCache builds (or finds) the node binaries of k and locates the
// pinned kind module's base-image files.
func NodeFromCache(ctx context.Context, k versions.Kubernetes, progress io.Writer) (Node, error) {
	bins, err := binaries.EnsureNode(ctx, k, binaries.WithProgress(progress))
	if err != nil {
		return Node{}, err
	}
	files, err := KindBaseFiles(ctx)
	if err != nil {
		return Node{}, err
	}
	cache, err := CacheDir()
	if err != nil {
		return Node{}, err
	}
	sandbox, err := SandboxPauseTag(files)
	if err != nil {
		return Node{}, err
	}
	comps, err := Components(ctx, k, bins, progress, cache, sandbox)
	if err != nil {
		return Node{}, err
	}
	return Node{K: k, Name: NodeImageName(k), Bins: bins, KindFiles: files, Components: comps}, nil
}

// Key changes with the packages, the scripts, the binaries' cache
// directories (named by their build inputs) and kind's files.
func (n Node) Key() string {
	parts := []string{"node-image/1", n.K.Version, versions.DebianSuite, strings.Join(nodePackages, ","), nodeScript, containerdCapsScript}
	var names []string
	for b := range n.Bins {
		names = append(names, b)
	}
	sort.Strings(names)
	for _, b := range names {
		parts = append(parts, b+"="+filepath.Base(filepath.Dir(n.Bins[b])))
	}
	for _, c := range append(n.Components, KubeProxy(n.K, n.Bins, "")) {
		parts = append(parts, c.Name+"="+c.ID)
	}
	parts = append(parts, "kind="+versions.KindLibrary, imagesUnit, cniManifest)
	parts = append(parts, nodeConfig...)
	return key(parts...)
}

// Tarball is where the node's root file system is cached.
func (n Node) Tarball(cache string) string {
	return filepath.Join(cache, "images", fmt.Sprintf("node-%s-%s-%s.tar", n.K.Version, versions.DebianSuite, n.Key()))
}

// Build makes the node's root file system tarball unless cached.
func (n Node) Build(ctx context.Context, cache string, log io.Writer, logf Logf) (tarball string, cached bool, err error) {
	tarball = n.Tarball(cache)
	if fileExists(tarball) {
		return tarball, true, nil
	}
	if os.Geteuid() != 0 {
		return "", false, errors.New("building the node image's root file system needs root (debootstrap, chroot)")
	}
	for _, b := range []string{"kubelet", "kubeadm", "kubectl", "crictl", "kube-proxy"} {
		if n.Bins[b] == "" {
			return "", false, fmt.Errorf("no %s binary for the node image (fix: go run ./cmd/local-binaries -node)", b)
		}
	}
	if err := os.MkdirAll(filepath.Dir(tarball), 0o755); err != nil {
		return "", false, err
	}
	dir, remove, err := workDir("kuberay-e2e-node-rootfs-")
	if err != nil {
		return "", false, err
	}
	defer func() {
		if rerr := remove(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove %s: %w", dir, rerr))
		}
	}()
	// kube-proxy's own root (iptables, conntrack) is made beside the node's.
	proxyDir, removeProxy, err := workDir("kuberay-e2e-kube-proxy-rootfs-")
	if err != nil {
		return "", false, err
	}
	defer func() {
		if rerr := removeProxy(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove %s: %w", proxyDir, rerr))
		}
	}()
	t := time.Now()
	proxyDone := make(chan error, 1)
	go func() {
		err := Debootstrap(ctx, log, proxyDir, versions.DebianSuite, kubeProxyPackages)
		if err == nil {
			err = Chroot(ctx, log, proxyDir, "apt-get clean\nrm -rf /var/lib/apt/lists/*\n: > /etc/resolv.conf\n: > /etc/hostname\n")
		}
		proxyDone <- err
	}()
	if err := Debootstrap(ctx, log, dir, versions.DebianSuite, nodePackages); err != nil {
		<-proxyDone
		return "", false, err
	}
	if err := <-proxyDone; err != nil {
		return "", false, fmt.Errorf("kube-proxy's root: %w", err)
	}
	logf("debootstrap %s (node and kube-proxy): %s", versions.DebianSuite, time.Since(t).Round(time.Second))

	t = time.Now()
	if err := n.installKindFiles(dir); err != nil {
		return "", false, err
	}
	for b, to := range map[string]string{"kubelet": "usr/bin", "kubeadm": "usr/bin", "kubectl": "usr/bin", "crictl": "usr/local/bin"} {
		if err := copyFileMode(n.Bins[b], filepath.Join(dir, to, b), 0o755); err != nil {
			return "", false, err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "kind", "images"), 0o755); err != nil {
		return "", false, err
	}
	if err := writeFile(dir, "kind/manifests/default-cni.yaml", CNIManifest(n.K), 0o644); err != nil {
		return "", false, err
	}
	if err := writeFile(dir, "kind/version", n.K.Version, 0o644); err != nil {
		return "", false, err
	}
	if err := writeFile(dir, "usr/local/bin/kuberay-e2e-containerd-caps", containerdCapsScript, 0o755); err != nil {
		return "", false, err
	}
	if err := writeFile(dir, "etc/systemd/system/containerd.service.d/10-kuberay-e2e-caps.conf",
		"[Service]\nExecStartPre=/usr/local/bin/kuberay-e2e-containerd-caps\n", 0o644); err != nil {
		return "", false, err
	}
	if err := writeFile(dir, "etc/systemd/system/kuberay-e2e-images.service", imagesUnit, 0o644); err != nil {
		return "", false, err
	}
	for _, c := range append(n.Components, KubeProxy(n.K, n.Bins, proxyDir)) {
		f, err := os.Create(filepath.Join(dir, "kind", "images", archiveName(c.Name)))
		if err != nil {
			return "", false, err
		}
		err = WriteDockerArchive(f, c.Name, c.Root, c.Files, c.Config)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", false, fmt.Errorf("image %s: %w", c.Name, err)
		}
	}
	if err := Chroot(ctx, log, dir, nodeScript); err != nil {
		return "", false, err
	}
	spec, err := chrootOutput(ctx, dir, "ctr", "oci", "spec")
	if err != nil {
		return "", false, err
	}
	base, err := criBaseSpec(spec)
	if err != nil {
		return "", false, err
	}
	if err := writeFile(dir, "etc/containerd/cri-base.json", string(base), 0o644); err != nil {
		return "", false, err
	}
	logf("kind files, binaries, systemd units: %s", time.Since(t).Round(time.Second))

	t = time.Now()
	if err := Tar(ctx, log, dir, tarball); err != nil {
		return "", false, err
	}
	logf("tarball %s: %s", tarball, time.Since(t).Round(time.Second))
	return tarball, false, nil
}

// nodeConfig is the node image's configuration: kind's entrypoint in front
// of systemd, and container=docker. kind's base image also sets STOPSIGNAL
// SIGRTMIN+3, which `docker import --change` refuses (Docker 20.10); kind
// removes nodes with `docker rm -f`, so only a plain `docker stop` of a
// node misses it (systemd ignores SIGTERM and is killed after the grace).
var nodeConfig = []string{
	`ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]`,
	"ENV container=docker",
}

// ImportArgs turn the tarball into the node image.
func (n Node) ImportArgs(tarball string) []string {
	return importArgs(tarball, n.Name, n.Key(), nodeConfig...)
}

func chrootOutput(ctx context.Context, dir string, argv ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "chroot", append([]string{dir}, argv...)...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("chroot %s: %v: %s", strings.Join(argv, " "), err, stderr.String())
	}
	return out, nil
}

func writeFile(root, rel, text string, mode os.FileMode) error {
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

func copyFileMode(src, dst string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := files.Copy(src, dst); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}
