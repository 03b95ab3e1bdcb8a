package binaries

import (
	"path/filepath"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Target is one go build or go install producing one or more binaries.
type Target struct {
	// Name and Version name the cache directory.
	Name, Version string
	// Binaries are the output names.
	Binaries []string
	// ModuleDir, when set, is a wrapper module under tools/ to build in;
	// Packages are then import paths within its build list. Without it,
	// Packages are `go install pkg@version` arguments.
	ModuleDir string
	Packages  []string
	// Toolchain is the GOTOOLCHAIN value; "auto" uses the local go when new enough.
	Toolchain string
	LDFlags   string
}

// Targets lists what the local tier needs for Kubernetes release k and
// KubeRay release r, longest build first: builds start in this order, two
// at a time, so the longest (Kubernetes, about half of a cold first run on
// 2 cores) starts at once and the others share the second slot.
func Targets(k versions.Kubernetes, r versions.KubeRayRelease) []Target {
	return []Target{
		{
			Name: "kubernetes", Version: k.Version,
			Binaries:  []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"},
			ModuleDir: filepath.Join("tools", "kubernetes", k.Version),
			Packages: []string{
				"k8s.io/kubernetes/cmd/kube-apiserver",
				"k8s.io/kubernetes/cmd/kube-controller-manager",
				"k8s.io/kubernetes/cmd/kube-scheduler",
			},
			Toolchain: k.GoToolchain,
			LDFlags:   stamp(k),
		},
		{
			Name: "ray-operator", Version: r.Version, Binaries: []string{"ray-operator"},
			Packages:  []string{"github.com/ray-project/kuberay/ray-operator@" + r.Version},
			Toolchain: "auto",
		},
		{
			Name: "kwok", Version: versions.KWOK, Binaries: []string{"kwok"},
			Packages:  []string{"sigs.k8s.io/kwok/cmd/kwok@" + versions.KWOK},
			Toolchain: "auto",
		},
		{
			Name: "etcd", Version: versions.Etcd, Binaries: []string{"etcd"},
			ModuleDir: filepath.Join("tools", "etcd"), Packages: []string{"."},
			Toolchain: "auto",
		},
	}
}

// stamp is the -ldflags that give Kubernetes binaries their version.
// Unstamped binaries report v0.0.0-master, which breaks version checks in
// clients and Helm charts, and which kubeadm refuses.
func stamp(k versions.Kubernetes) string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(k.Minor(), "v"), ".")
	var ld []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ld = append(ld,
			"-X "+pkg+".gitVersion="+k.Version,
			"-X "+pkg+".gitMajor="+major,
			"-X "+pkg+".gitMinor="+minor,
			"-X "+pkg+".gitTreeState=clean",
		)
	}
	return strings.Join(ld, " ")
}

// NodeTarget is the Kind node's Kubernetes binaries (kubelet, kubeadm,
// kubectl, kube-proxy), built from the same wrapper module and stamped like
// the control plane. It is not one of Targets: the local tier needs none.
func NodeTarget(k versions.Kubernetes) Target {
	return Target{
		Name: "kubernetes-node", Version: k.Version,
		Binaries:  []string{"kubelet", "kubeadm", "kubectl", "kube-proxy"},
		ModuleDir: filepath.Join("tools", "kubernetes", k.Version),
		Packages: []string{
			"k8s.io/kubernetes/cmd/kubelet",
			"k8s.io/kubernetes/cmd/kubeadm",
			"k8s.io/kubernetes/cmd/kubectl",
			"k8s.io/kubernetes/cmd/kube-proxy",
		},
		Toolchain: k.GoToolchain,
		LDFlags:   stamp(k),
	}
}

// NodeTargets are what the offline Kind node image needs built besides the
// control plane: the node binaries, crictl, and CoreDNS at the version
// kubeadm expects for k (built with k's Go toolchain, of the same era).
func NodeTargets(k versions.Kubernetes) []Target {
	return []Target{
		NodeTarget(k),
		{
			Name: "crictl", Version: versions.CriTools, Binaries: []string{"crictl"},
			Packages:  []string{"sigs.k8s.io/cri-tools/cmd/crictl@" + versions.CriTools},
			Toolchain: "auto",
			LDFlags:   "-X sigs.k8s.io/cri-tools/pkg/version.Version=" + versions.CriTools,
		},
		{
			Name: "coredns", Version: k.Kubeadm.CoreDNS, Binaries: []string{"coredns"},
			Packages:  []string{"github.com/coredns/coredns@" + k.Kubeadm.CoreDNS},
			Toolchain: k.GoToolchain,
		},
		{
			// The etcd kubeadm's image tag names (3.5.6-0 is etcd v3.5.6), from a
			// wrapper module per version, tools/etcd-v3.5.6.
			Name: "etcd-node", Version: EtcdForKubeadm(k), Binaries: []string{"etcd"},
			ModuleDir: filepath.Join("tools", "etcd-"+EtcdForKubeadm(k)), Packages: []string{"."},
			Toolchain: k.GoToolchain,
		},
	}
}

// EtcdForKubeadm is the etcd release of kubeadm's etcd image tag for k
// ("3.5.6-0" is v3.5.6).
func EtcdForKubeadm(k versions.Kubernetes) string {
	v, _, _ := strings.Cut(k.Kubeadm.Etcd, "-")
	return "v" + v
}

// Tools are the command-line tools a reader of the tutorial types, built
// from pinned modules: what the page's lines run with.
type Tools struct {
	// Kubectl is kubectl of the cluster's Kubernetes release, from the same
	// wrapper module as the control plane, so it is within the skew the
	// page asks for.
	Kubectl string
	// Helm is the helm command of versions.Helm.
	Helm string
}

// ToolTargets are the builds of Tools for Kubernetes release k.
func ToolTargets(k versions.Kubernetes) []Target {
	return []Target{
		{
			Name: "kubectl", Version: k.Version, Binaries: []string{"kubectl"},
			ModuleDir: filepath.Join("tools", "kubernetes", k.Version),
			Packages:  []string{"k8s.io/kubernetes/cmd/kubectl"},
			Toolchain: k.GoToolchain,
			LDFlags:   stamp(k),
		},
		{
			// Built in this repository's own module, whose go.mod names
			// cmd/helm as a tool: the CLI is made of exactly the modules
			// the suite's Helm SDK is, and a change of go.mod rebuilds it.
			Name: "helm", Version: versions.Helm, Binaries: []string{"helm"},
			ModuleDir: ".",
			Packages:  []string{"helm.sh/helm/v4/cmd/helm"},
			Toolchain: "auto",
			// `helm version` says what a release build says.
			LDFlags: "-X helm.sh/helm/v4/internal/version.version=" + versions.Helm + " -X helm.sh/helm/v4/internal/version.gitTreeState=clean",
		},
	}
}
