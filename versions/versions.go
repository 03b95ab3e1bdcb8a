// Package versions holds every version this harness pins: Kubernetes, the Go
// toolchains that build it, etcd, KWOK, KubeRay, Ray and the Kind node images.
// Both tiers read them from here; nothing else in the repository names a
// version (tests check that the documentation, fixtures and go.mod agree).
package versions

import (
	"fmt"
	"strings"
)

// Kubernetes is one Kubernetes release the harness can run.
type Kubernetes struct {
	// Version is the k8s.io/kubernetes module version, e.g. "v1.24.17".
	Version string
	// GoToolchain is the Go release the version was built with upstream. The
	// go command fetches it through the module proxy (GOTOOLCHAIN), so old
	// releases build even though today's Go rejects some of their code.
	GoToolchain string
	// KindNodeImage is the kindest/node image of this minor release, pinned
	// by digest, or "" when the pinned kind publishes none. Its patch may
	// differ from Version (kind v0.33.0 publishes v1.37.0 for v1.37.2).
	KindNodeImage string
	// Kubeadm holds the tags of the images `kubeadm config images list
	// --kubernetes-version <Version>` names; the offline node image builds
	// its pause, etcd and CoreDNS images under them (a test checks them
	// against the built kubeadm).
	Kubeadm KubeadmImages
}

// KubeadmImages are the component image tags kubeadm expects besides the
// control plane's own (which carry Version).
type KubeadmImages struct {
	Pause, Etcd, CoreDNS string
}

const (
	// DefaultKubernetes is the tutorial's Kubernetes version.
	DefaultKubernetes = "v1.24.17"

	// Etcd serves every Kubernetes version above; 3.6 is what v1.34 ships with
	// and v1.24's storage layer speaks the same v3 API.
	Etcd = "v3.6.16"
	// KWOK provides fake nodes and moves scheduled pods to Running on the local tier.
	KWOK = "v0.7.0"
	// KubeRay is the default KubeRay release (KubeRayReleases lists them
	// all): the newest, which the tutorial's documents use. It is a Go module
	// version of github.com/ray-project/kuberay/ray-operator and the image
	// and chart tag.
	KubeRay = "v1.6.2"
	// KubeRayOperatorImage is the operator image of the default release.
	KubeRayOperatorImage = kubeRayOperatorRepository + ":" + KubeRay
	// KubeRayChartRepo and KubeRayChartVersion locate the published Helm chart
	// of the default release, which the kind tier installs.
	KubeRayChartRepo    = "https://ray-project.github.io/kuberay-helm/"
	KubeRayChartVersion = "1.6.2"

	kubeRayOperatorRepository = "quay.io/kuberay/operator"

	// PauseImage runs the probe pods of step 3: tiny, and its user is the
	// numeric 65535, which satisfies runAsNonRoot.
	PauseImage = "registry.k8s.io/pause:" + pauseTag
	pauseTag   = "3.9"

	// Ray is the Ray release of the fixture cluster; RayImage is its image.
	Ray      = "2.46.0"
	RayImage = rayRepository + ":" + Ray
	// XGBoost is what the fixture's script asks Ray's runtime_env to install
	// (as xgboost-cpu: the plain wheel drags in GPU libraries). 2.1 is the last
	// line that supports the Python 3.9 of rayproject/ray:2.46.0.
	XGBoost = "2.1.4"
)

// The offline Kind tier builds its images itself, from Debian packages and
// PyPI wheels, because no image can be pulled there (package offline/images).
const (
	// DebianSuite is the Debian release the offline images are made from
	// (debootstrap). Its python3 is 3.11: the offline Ray image runs Ray on
	// 3.11, where rayproject/ray:2.46.0 has 3.9. xgboost-cpu 2.1.4 has
	// wheels for both, so the fixture's pin installs unchanged.
	DebianSuite = "bookworm"
	// OfflineRayImage is the offline tier's Ray image: Ray with the Train
	// extras, xgboost-cpu, bash and wget, user ray (uid 1000). Its own name:
	// the suite uses it through the image setting a user would use, never
	// by calling it rayproject/ray.
	OfflineRayImage = offlineRayRepository + ":" + Ray
	// OfflineOperatorImage is the KubeRay operator image of the offline tier:
	// the operator binary built from the pinned module (package binaries) as
	// /manager, run as uid 65532 like the published image.
	OfflineOperatorImage      = offlineOperatorRepository + ":" + KubeRay
	offlineOperatorRepository = "kuberay-e2e/kuberay-operator"
	// OfflinePauseImage runs step 3's probe pods on the offline tier: this
	// project's cmd/pause as uid 65535, the user registry.k8s.io/pause has.
	OfflinePauseImage = "kuberay-e2e/pause:" + pauseTag
	// PipIndexPackages are what the offline tier's local package index
	// serves for step 5.2's `pip3 install jsonpatch==1.32`: jsonpatch and its one
	// dependency, pinned with their wheels' sha256 in
	// offline/images/pip-index.lock.
	PipIndexPackages = "jsonpatch==1.32 jsonpointer==3.0.0"
	// OfflinePipIndexHost is the name the kind tier gives the package
	// index's container on the nodes' network, which pods resolve through
	// the node; the offline Ray image's /etc/pip.conf names it
	// (OfflinePipIndexURL), so that the page's pip3 line needs no option.
	OfflinePipIndexHost = "pip-index"
	OfflinePipIndexURL  = "http://" + OfflinePipIndexHost + ":8080/simple/"
	// OfflineNodeImageRepository names the offline tier's Kind node images,
	// tagged with their Kubernetes version (OfflineNodeImage).
	OfflineNodeImageRepository = "kuberay-e2e/node"
	// RayImageLockDate bounds offline/images/ray-requirements.lock: no
	// package newer than the day Ray 2.46.0 was published (uv --exclude-newer).
	RayImageLockDate = "2025-05-08T00:00:00Z"
	// CriTools is the crictl of the offline node image
	// (sigs.k8s.io/cri-tools/cmd/crictl). kind v0.22.0 ships v1.28.0, which
	// the Go module proxy reachable here does not serve; crictl speaks the
	// CRI v1 API that containerd serves to kubelet 1.24 and 1.34 alike.
	CriTools = "v1.34.0"
)

// KindLibrary is the sigs.k8s.io/kind release the kind tier uses as a Go
// library; go.mod requires exactly this version (versions_test checks).
//
// kind supports a node image together with the release whose notes list its
// digest. v0.33.0 publishes Kubernetes v1.34 to v1.37 images; the newest,
// v1.37.0, is its default (KindNodeImage137). It writes kubeadm's v1beta3
// configuration up to Kubernetes 1.35 and v1beta4 from 1.36, which kubeadm
// 1.37 needs. No kind release after v0.22.0 publishes a Kubernetes 1.24
// image, so the tutorial's image (KindNodeImage124) stays the one v0.22.0
// built; the nightly job and the offline tier (a node image built here from
// v0.33.0's base files) run it with this library. Nodes still run with
// --cgroupns=private (Docker 20.10 or newer). kind v0.33.0 only warns on a
// cgroup v1 host; kubelet 1.35 and later refuse one unless told not to,
// which the kind tier does (cluster/kind, failCgroupV1).
const KindLibrary = "v0.33.0"

// Helm is the Helm release of helm.sh/helm/v4: the SDK that installs the
// operator's chart (go.mod requires exactly this version, versions_test
// checks) and the `helm` command the tutorial's lines run with, built from
// the same module (package binaries). Helm 3 gets security fixes until
// 10 February 2027 (HelmThreeSecurityEnd); the tutorial names it as the
// older choice.
const Helm = "v4.3.2"

// HelmThreeSecurityEnd is the day Helm 3's security fixes end, as Helm's
// "Helm 3 End of Life" post gives it; its last release, v3.22.0, came out
// on 9 September 2026.
const HelmThreeSecurityEnd = "2027-02-10"

// Node images pinned by digest (a tag is rebuilt for every kind release; the
// digest names one build).
const (
	// KindNodeImage124 is the tutorial's Kubernetes and the kind tier's
	// default: the image kind v0.22.0 built and published.
	KindNodeImage124 = "kindest/node:v1.24.17@sha256:bad10f9b98d54586cba05a7eaa1b61c6b90bfc4ee174fdc43a7b75ca75c95e51"
	// KindNodeImage137 is the newest image kind v0.33.0 publishes (its
	// default image). kind publishes v1.37.0; the pinned Kubernetes of that
	// minor is v1.37.2 (KubernetesReleases), which the local tier and the
	// offline node image run.
	KindNodeImage137 = "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
)

// KindNodeImages are the node images the kind tier can run, oldest first.
// They are kept apart from KubernetesReleases: every entry there must also
// be buildable by the local tier (tools/kubernetes/<version>), and kind
// publishes its own patch releases.
var KindNodeImages = []string{KindNodeImage124, KindNodeImage137}

// KubernetesReleases lists the Kubernetes versions the harness supports.
var KubernetesReleases = []Kubernetes{
	{
		Version:       "v1.24.17",
		GoToolchain:   "go1.20.14",
		KindNodeImage: KindNodeImage124,
		Kubeadm:       KubeadmImages{Pause: "3.7", Etcd: "3.5.6-0", CoreDNS: "v1.8.6"},
	},
	{
		Version:       "v1.29.2",
		GoToolchain:   "go1.21.7",
		KindNodeImage: "", // published by kind v0.22.0 only
		Kubeadm:       KubeadmImages{Pause: "3.9", Etcd: "3.5.10-0", CoreDNS: "v1.11.1"},
	},
	{
		Version:       "v1.34.4",
		GoToolchain:   "go1.24.13",
		KindNodeImage: "",
		Kubeadm:       KubeadmImages{Pause: "3.10.1", Etcd: "3.6.5-0", CoreDNS: "v1.12.1"},
	},
	{
		// The newest Kubernetes the module proxy serves. Its kubelet
		// refuses cgroup v1 hosts by default (since 1.35); the local tier runs
		// no kubelet, and the kind tier tells a node on such a host to accept
		// it (cluster/kind).
		Version:       "v1.37.2",
		GoToolchain:   "go1.26.10",
		KindNodeImage: KindNodeImage137,
		Kubeadm:       KubeadmImages{Pause: "3.10.2", Etcd: "3.7.0-0", CoreDNS: "v1.14.6"},
	},
}

// LookupKubernetes finds a supported release. It accepts the full version
// ("v1.34.4"), the version without "v", or the minor ("1.34", "v1.34").
func LookupKubernetes(v string) (Kubernetes, error) {
	return lookup(KubernetesReleases, func(k Kubernetes) string { return k.Version }, v, DefaultKubernetes, "Kubernetes")
}

// SupportedKubernetes returns the pinned Kubernetes versions, oldest first.
func SupportedKubernetes() []string {
	return versionsOf(KubernetesReleases, func(k Kubernetes) string { return k.Version })
}

// lookup finds the pin of all whose version is v, with or without the "v",
// or whose version starts with v as a minor ("1.34" for "v1.34.4"); "" is
// def. what names the axis in the error, which names the pins; where v came
// from (a setting, a flag) is the caller's to say.
func lookup[T any](all []T, version func(T) string, v, def, what string) (T, error) {
	want := strings.TrimPrefix(strings.TrimSpace(v), "v")
	if want == "" {
		want = strings.TrimPrefix(def, "v")
	}
	for _, t := range all {
		full := strings.TrimPrefix(version(t), "v")
		if want == full || strings.HasPrefix(full, want+".") {
			return t, nil
		}
	}
	var none T
	return none, fmt.Errorf("%s version %q is not pinned; choose one of %s", what, v, strings.Join(versionsOf(all, version), ", "))
}

// versionsOf lists the versions of the pins, in their order (oldest first).
func versionsOf[T any](all []T, version func(T) string) []string {
	out := make([]string, len(all))
	for i, t := range all {
		out[i] = version(t)
	}
	return out
}

// Minor returns "1.24" for "v1.24.17".
func (k Kubernetes) Minor() string {
	parts := strings.SplitN(strings.TrimPrefix(k.Version, "v"), ".", 3)
	if len(parts) < 2 {
		return k.Version
	}
	return parts[0] + "." + parts[1]
}

// OfflineNodeImage is the offline tier's Kind node image of k, built by
// scripts/offline-images node.
func OfflineNodeImage(k Kubernetes) string { return OfflineNodeImageRepository + ":" + k.Version }

// KubeRayRelease is one KubeRay release the harness runs: the operator
// binary, its CRDs and samples (from the Go module of that version), its
// image and its chart all follow Version.
type KubeRayRelease struct {
	// Version is the ray-operator module version and the image tag, e.g.
	// "v1.6.2".
	Version string
}

// KubeRayReleases are the KubeRay releases the harness runs, oldest first;
// KubeRay names the default. v1.7.x is published upstream, but the module
// proxy here does not serve it.
var KubeRayReleases = []KubeRayRelease{{Version: "v1.5.1"}, {Version: "v1.6.2"}}

// LookupKubeRay finds a pinned KubeRay release by its version, with or
// without the "v" ("v1.5.1", "1.5.1", or the minor "1.5"); "" is the default.
func LookupKubeRay(v string) (KubeRayRelease, error) {
	return lookup(KubeRayReleases, func(r KubeRayRelease) string { return r.Version }, v, KubeRay, "KubeRay")
}

// SupportedKubeRay returns the pinned KubeRay versions, oldest first.
func SupportedKubeRay() []string {
	return versionsOf(KubeRayReleases, func(r KubeRayRelease) string { return r.Version })
}

// OperatorImage is the release's published operator image.
func (r KubeRayRelease) OperatorImage() string { return kubeRayOperatorRepository + ":" + r.Version }

// OfflineOperatorImage is the offline tier's operator image of the release,
// built from its module.
func (r KubeRayRelease) OfflineOperatorImage() string {
	return offlineOperatorRepository + ":" + r.Version
}

// ChartVersion is the release's kuberay-operator chart version ("1.6.2").
func (r KubeRayRelease) ChartVersion() string { return strings.TrimPrefix(r.Version, "v") }

// IsDefault says whether r is the default release, the one the documents
// describe.
func (r KubeRayRelease) IsDefault() bool { return r.Version == KubeRay }

// DefaultKubeRay is the release KubeRay names.
func DefaultKubeRay() KubeRayRelease { return KubeRayRelease{Version: KubeRay} }

// AtLeast says whether r is release v ("v1.6.0") or newer.
func (r KubeRayRelease) AtLeast(v string) bool { return atLeast(r.Version, v) }

// atLeast says whether version have is want or newer; both are
// major.minor.patch, with or without "v".
func atLeast(have, want string) bool {
	parse := func(s string) (n [3]int) {
		for i, part := range strings.SplitN(strings.TrimPrefix(s, "v"), ".", 3) {
			fmt.Sscanf(part, "%d", &n[i])
		}
		return n
	}
	a, b := parse(have), parse(want)
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

// RayRelease is one Ray release the fixture's RayCluster can run: its
// rayVersion, its images and the XGBoost its script installs all follow
// Version, and the offline tier builds its image from a lock of its own
// (offline/images/ray-requirements-<Version>.lock).
type RayRelease struct {
	// Version is the Ray release, e.g. "2.46.0": the fixture's rayVersion
	// and the images' tag.
	Version string
	// XGBoost is the xgboost-cpu version the fixture's script asks the
	// job's runtime_env for; it must install on the Python of both the
	// published image and the offline one (3.11).
	XGBoost string
	// LockDate bounds the offline image's lock: nothing newer than the day
	// Version was published on PyPI (uv --exclude-newer), so the image gets
	// what a user installing Ray that day got.
	LockDate string
	// HeadMemory is the memory limit of the head's Ray container for the
	// release, or "" for the fixture's own (2Gi). Ray 2.60's head runs each
	// dashboard module in a process of its own and, under Train V2, the
	// run's controller and data actors beside the driver: measured on the
	// offline kind tier, 1.37 GB idle and past 2Gi during the XGBoost run,
	// where Ray's memory monitor (95% of the limit) killed the script's
	// task and Ray retried it without end.
	HeadMemory string
}

// RayReleases are the Ray releases the harness runs, oldest first; Ray
// names the default, the tutorial's. 2.60.0 is there for what changed
// since: Ray Train V2 is the default (since 2.51), and Ray has token
// authentication (2.52), which KubeRay turns on with authOptions.
//
// xgboost-cpu stays 2.1.4 on 2.60.0: rayproject/ray:2.60.0 runs Python
// 3.10 (the images' default since Ray 2.52), where 2.1.4 installs, Ray
// 2.60's XGBoost trainer accepts it (it needs 1.7 or newer), and the
// offline images of both releases then share the script unchanged.
var RayReleases = []RayRelease{
	{Version: Ray, XGBoost: XGBoost, LockDate: RayImageLockDate},
	{Version: "2.60.0", XGBoost: "2.1.4", LockDate: "2026-11-05T00:00:00Z", HeadMemory: "4Gi"},
}

// LookupRay finds a pinned Ray release by its version ("2.60.0", or the
// minor "2.60"); "" is the default.
func LookupRay(v string) (RayRelease, error) {
	return lookup(RayReleases, func(r RayRelease) string { return r.Version }, v, Ray, "Ray")
}

// SupportedRay returns the pinned Ray versions, oldest first.
func SupportedRay() []string {
	return versionsOf(RayReleases, func(r RayRelease) string { return r.Version })
}

// DefaultRay is the release Ray names, the one the fixture is written for.
func DefaultRay() RayRelease {
	r, _ := LookupRay(Ray)
	return r
}

// IsDefault says whether r is the default release.
func (r RayRelease) IsDefault() bool { return r.Version == Ray }

// Image is the release's published image.
func (r RayRelease) Image() string { return rayRepository + ":" + r.Version }

// OfflineImage is the offline tier's image of the release, built by
// scripts/offline-images ray.
func (r RayRelease) OfflineImage() string { return offlineRayRepository + ":" + r.Version }

// TokenAuth says whether KubeRay can turn on Ray's token authentication
// for the release (authOptions.mode token): the operator refuses it below
// Ray 2.52.0, the first release with token authentication.
func (r RayRelease) TokenAuth() bool { return atLeast(r.Version, rayTokenAuthSince) }

const (
	rayRepository        = "rayproject/ray"
	offlineRayRepository = "kuberay-e2e/ray"
	// rayTokenAuthSince is the minimum KubeRay's validation names for
	// authOptions.mode token (ray-operator/controllers/ray/utils/validation.go).
	rayTokenAuthSince = "2.52.0"
)
