// Package settings reads the suite's configuration from the environment, so
// that `go test ./e2e` needs no flags and CI, Make and users set the same
// variables. It is the only package that reads an E2E_ variable: the suite
// takes them all through FromEnv, and the programs beside it (local-cluster,
// offline-images, the image builds) and package upstream through the
// functions at the end. Every
// variable is listed in Describe and docs/settings.md (a test scans the code).
package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Providers the suite knows.
var Providers = []string{"local", "kind", "existing"}

// Settings is one run's configuration.
type Settings struct {
	Provider   string // E2E_PROVIDER
	Kubernetes string // E2E_KUBERNETES_VERSION, resolved to a pinned version
	// KubeRay (E2E_KUBERAY_VERSION) is the pinned KubeRay release the run
	// installs: its operator, CRDs, samples, chart and image.
	KubeRay versions.KubeRayRelease
	// Ray (E2E_RAY_VERSION) is the pinned Ray release of the fixture's
	// RayCluster: its rayVersion, image and XGBoost pin.
	Ray       versions.RayRelease
	Keep      bool   // E2E_KEEP: keep the cluster (and its run directory)
	Chart     string // E2E_CHART: standin, repo, or a chart path; "" = provider default
	OutputDir string // E2E_OUTPUT_DIR: the run's evidence directory
	// Page (E2E_PAGE) is the tutorial page whose blocks the steps run, as
	// an absolute path: docs/pod-security.md unless a copy is named.
	Page      string
	Artifacts string // E2E_ARTIFACTS: on-failure (default) or always
	// Timeout is the base wait for objects to reach a state (E2E_TIMEOUT);
	// longer operations scale it.
	Timeout time.Duration
	// Hold is how long "nothing happens" is watched (E2E_HOLD), e.g. no Ray
	// pod appearing after a rejected RayCluster.
	Hold time.Duration
	// ClusterName, for providers that name clusters (E2E_CLUSTER_NAME).
	ClusterName string
	// KindNodeImage is E2E_KIND_NODE_IMAGE: a Kubernetes version with a
	// pinned kind node image ("1.29") or a full image@sha256 reference.
	KindNodeImage string
	// KindReuse (E2E_KIND_REUSE) runs on the existing Kind cluster
	// E2E_CLUSTER_NAME instead of creating one.
	KindReuse bool
	// KindPreload (E2E_KIND_PRELOAD) copies the tutorial's images from the
	// host's Docker or Podman into the Kind nodes.
	KindPreload bool
	// Offline (E2E_OFFLINE) runs the kind tier with nothing pulled: the
	// node, Ray, operator and probe images built by scripts/offline-images,
	// preloaded from the private Docker daemon, the stand-in chart, and a
	// local package index for pip. The suite must run inside the daemon's
	// network namespace (scripts/e2e-kind-offline does it).
	Offline bool
	// The images the steps run (E2E_RAY_IMAGE, E2E_OPERATOR_IMAGE,
	// E2E_PROBE_IMAGE): the pins, or the offline images with E2E_OFFLINE.
	RayImage, OperatorImage, ProbeImage string
	// The cluster of E2E_PROVIDER=existing: KUBECONFIG, E2E_KUBE_CONTEXT,
	// and E2E_AUDIT_LOG (the API server's audit log as it is written).
	Kubeconfig, KubeContext, AuditLog string
	// LocalStartTimeout (E2E_LOCAL_START_TIMEOUT) bounds how long one local
	// component may take to become ready.
	LocalStartTimeout time.Duration
	// Require (E2E_REQUIRE) lists the capabilities the run must prove
	// rather than skip: a provider that lacks one is refused at start-up,
	// and a check that would be skipped for it fails instead. Default: both
	// on the kind tier, none elsewhere.
	Require []string
}

// Capabilities a run can require (E2E_REQUIRE): running containers (the
// XGBoost job, the dashboard, pip) and a readable audit log (steps 1 and 2,
// and the audit checks of 3 to 5.2).
const (
	Containers = "containers"
	Audit      = "audit"
)

// Capabilities lists what E2E_REQUIRE accepts.
var Capabilities = []string{Containers, Audit}

// Requires says whether the run must prove capability c.
func (s Settings) Requires(c string) bool { return slices.Contains(s.Require, c) }

// Describe lists the variables, for --help-like messages and docs/settings.md.
const Describe = `E2E_PROVIDER            local (default), kind, or existing (the cluster in KUBECONFIG)
E2E_KUBERNETES_VERSION  pinned Kubernetes version: 1.24 (default), 1.29, 1.34 or 1.37
E2E_KUBERAY_VERSION     pinned KubeRay release: ` + kubeRayChoices + `
E2E_RAY_VERSION         pinned Ray release of the RayCluster: ` + rayChoices + `; its image and XGBoost follow
E2E_CHART               kuberay-operator chart: standin, repo, or a chart directory/.tgz
E2E_PAGE                the tutorial page whose blocks the steps run (default docs/pod-security.md)
E2E_KEEP                1 keeps the cluster and its run directory for debugging
E2E_OUTPUT_DIR          where the run's evidence goes (default _output/runs/<time>-<provider>)
E2E_ARTIFACTS           on-failure (default) or always: when to save logs, events, YAML
E2E_TIMEOUT             base wait for a state, e.g. 90s (default: 60s local, 5m otherwise)
E2E_HOLD                how long an absence is watched, e.g. 5s (default 5s)
E2E_CACHE_DIR           where built binaries are cached (default ~/.cache/kuberay-pod-security-e2e)
E2E_LOCAL_START_TIMEOUT how long one local component may take to become ready (default 60s)
E2E_KUBERAY_DIR         a KubeRay checkout to read samples and CRDs from instead of the pinned module
E2E_CLUSTER_NAME        kind: name of the cluster (default: a new name per run)
E2E_KIND_NODE_IMAGE     kind: node image, 1.24 (default) or 1.29, or kindest/node:<tag>@sha256:<digest> (offline: a local repository:tag)
E2E_KIND_REUSE          kind: 1 runs on the existing cluster E2E_CLUSTER_NAME (never deleted)
E2E_KIND_PRELOAD        kind: 1 copies the operator, Ray and pause images from the host's engine into the node
E2E_OFFLINE             kind: 1 runs on the images scripts/offline-images builds, inside the private daemon's namespace
E2E_RAY_IMAGE           the RayCluster's image (default rayproject/ray:<E2E_RAY_VERSION>; offline kuberay-e2e/ray:<E2E_RAY_VERSION>)
E2E_OPERATOR_IMAGE      the operator image the chart deploys (default quay.io/kuberay/operator:<E2E_KUBERAY_VERSION>; offline kuberay-e2e/kuberay-operator:<E2E_KUBERAY_VERSION>)
E2E_PROBE_IMAGE         step 3's probe pods' image, uid 65535 (default ` + versions.PauseImage + `)
E2E_REQUIRE             what the run must prove, not skip: containers,audit (default on kind), none (default elsewhere)
E2E_KUBE_CONTEXT        existing: the kubeconfig context (default: the current one)
E2E_AUDIT_LOG           existing: the API server's audit log as it is written (a live file or a copy kept in sync; default: none, audit checks skipped)
E2E_REPO_DIR            this repository's root, when the suite runs from a compiled binary elsewhere (default: found from the working directory)
E2E_DEBIAN_MIRROR       offline images: the Debian archive to build from (default: the one the host's apt uses)
E2E_DOCKER_NETNS        offline tier: the private Docker daemon's network namespace (default kuberay-e2e; scripts/e2e-kind-offline: kuberay-e2e-tutorial)
E2E_DOCKER_RUN_DIR      offline tier: the private Docker daemon's run directory (default /tmp/<E2E_DOCKER_NETNS>.docker)`

// kubeRayChoices lists the pinned KubeRay releases for Describe, the
// default first.
const kubeRayChoices = versions.KubeRay + " (default) or v1.5.1"

// rayChoices lists the pinned Ray releases for Describe, the default first.
const rayChoices = versions.Ray + " (default) or 2.60.0"

// FromEnv reads and validates the settings.
func FromEnv(repoRoot string, now time.Time) (Settings, error) {
	s := Settings{
		Provider:    strings.TrimSpace(os.Getenv("E2E_PROVIDER")),
		Chart:       strings.TrimSpace(os.Getenv("E2E_CHART")),
		OutputDir:   os.Getenv("E2E_OUTPUT_DIR"),
		Page:        strings.TrimSpace(os.Getenv("E2E_PAGE")),
		Artifacts:   strings.TrimSpace(os.Getenv("E2E_ARTIFACTS")),
		ClusterName: strings.TrimSpace(os.Getenv("E2E_CLUSTER_NAME")),

		KindNodeImage: strings.TrimSpace(os.Getenv("E2E_KIND_NODE_IMAGE")),

		Kubeconfig:  os.Getenv("KUBECONFIG"),
		KubeContext: strings.TrimSpace(os.Getenv("E2E_KUBE_CONTEXT")),
		AuditLog:    strings.TrimSpace(os.Getenv("E2E_AUDIT_LOG")),
	}
	if s.Provider == "" {
		s.Provider = "local"
	}
	known := false
	for _, p := range Providers {
		known = known || p == s.Provider
	}
	if !known {
		return s, fmt.Errorf("E2E_PROVIDER=%q is not a provider; choose one of %s", s.Provider, strings.Join(Providers, ", "))
	}
	k, err := KubernetesRelease()
	if err != nil {
		return s, err
	}
	s.Kubernetes = k.Version
	if s.KubeRay, err = KubeRayRelease(); err != nil {
		return s, err
	}
	if s.Ray, err = RayRelease(); err != nil {
		return s, err
	}
	if s.LocalStartTimeout, err = LocalStartTimeout(); err != nil {
		return s, err
	}
	if s.Keep, err = parseBool("E2E_KEEP"); err != nil {
		return s, err
	}
	if s.KindReuse, err = parseBool("E2E_KIND_REUSE"); err != nil {
		return s, err
	}
	if s.KindPreload, err = parseBool("E2E_KIND_PRELOAD"); err != nil {
		return s, err
	}
	if s.Offline, err = parseBool("E2E_OFFLINE"); err != nil {
		return s, err
	}
	if s.Offline && s.Chart == "repo" {
		return s, fmt.Errorf("E2E_OFFLINE=1 with E2E_CHART=repo: the published chart is on the internet; unset E2E_CHART (the stand-in chart) or name a local chart directory or .tgz")
	}
	if s.Offline && s.Provider != "kind" {
		return s, fmt.Errorf("E2E_OFFLINE=1 is for E2E_PROVIDER=kind (the local tier pulls nothing anyway); set E2E_PROVIDER=kind or unset E2E_OFFLINE")
	}
	if s.Offline {
		// The offline images carry the pins' versions; the kind provider
		// preloads them, since the node can pull nothing.
		s.KindPreload = true
	}
	images := []struct {
		env             string
		dst             *string
		online, offline string
	}{
		{"E2E_RAY_IMAGE", &s.RayImage, s.Ray.Image(), s.Ray.OfflineImage()},
		{"E2E_OPERATOR_IMAGE", &s.OperatorImage, s.KubeRay.OperatorImage(), s.KubeRay.OfflineOperatorImage()},
		{"E2E_PROBE_IMAGE", &s.ProbeImage, versions.PauseImage, versions.OfflinePauseImage},
	}
	for _, im := range images {
		v := strings.TrimSpace(os.Getenv(im.env))
		switch {
		case v != "":
			if err := checkImage(v, im.env == "E2E_OPERATOR_IMAGE"); err != nil {
				return s, fmt.Errorf("%s=%q: %v", im.env, v, err)
			}
		case s.Offline:
			v = im.offline
		default:
			v = im.online
		}
		*im.dst = v
	}
	if s.Require, err = parseRequire(s.Provider); err != nil {
		return s, err
	}
	switch s.Artifacts {
	case "":
		s.Artifacts = "on-failure"
	case "on-failure", "always":
	default:
		return s, fmt.Errorf("E2E_ARTIFACTS=%q: use on-failure or always", s.Artifacts)
	}
	defTimeout := 5 * time.Minute
	if s.Provider == "local" {
		defTimeout = 60 * time.Second
	}
	if s.Timeout, err = parseDuration("E2E_TIMEOUT", defTimeout); err != nil {
		return s, err
	}
	if s.Hold, err = parseDuration("E2E_HOLD", 5*time.Second); err != nil {
		return s, err
	}
	if s.Page == "" {
		s.Page = filepath.Join(repoRoot, "docs", "pod-security.md")
	} else {
		if s.Page, err = filepath.Abs(s.Page); err != nil {
			return s, err
		}
		if info, err := os.Stat(s.Page); err != nil || info.IsDir() {
			return s, fmt.Errorf("E2E_PAGE=%s is not a file: name a copy of the tutorial page (a Markdown file), or unset it for docs/pod-security.md", s.Page)
		}
	}
	if s.OutputDir == "" {
		s.OutputDir = filepath.Join(repoRoot, "_output", "runs", now.Format("20060102-150405")+"-"+s.Provider)
	}
	if s.OutputDir, err = filepath.Abs(s.OutputDir); err != nil {
		return s, err
	}
	return s, nil
}

// checkImage accepts a reference the kubelet can pull or find: it must
// name a tag or a digest, since a bare name means :latest, which changes.
// tagOnly is for the operator image, which the chart writes as
// repository:tag.
func checkImage(ref string, tagOnly bool) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Errorf("%v; write it as repository:tag", err)
	}
	_, tagged := named.(reference.Tagged)
	_, digested := named.(reference.Digested)
	switch {
	case tagOnly && (!tagged || digested):
		return fmt.Errorf("the chart takes repository:tag, with no digest")
	case !tagged && !digested:
		return fmt.Errorf("no tag or digest (a bare name means :latest, which changes); write it as repository:tag or repository@sha256:<digest>")
	}
	return nil
}

// parseRequire reads E2E_REQUIRE: a comma-separated list of Capabilities,
// or "none". Unset, the kind tier requires both (it has both, so a skip
// there would hide a broken cluster) and the other providers nothing.
func parseRequire(provider string) ([]string, error) {
	v := strings.TrimSpace(os.Getenv("E2E_REQUIRE"))
	switch {
	case v == "" && provider == "kind":
		return slices.Clone(Capabilities), nil
	case v == "" || v == "none":
		return nil, nil
	}
	var out []string
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		if !slices.Contains(Capabilities, c) {
			return nil, fmt.Errorf("E2E_REQUIRE=%q: %q is not a capability; list some of %s, comma-separated, or write none", v, c, strings.Join(Capabilities, ", "))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func parseBool(name string) (bool, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: use 1 or 0 (true/false)", name, v)
	}
	return b, nil
}

func parseDuration(name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: use a positive duration such as 90s or 5m", name, v)
	}
	return d, nil
}

// The variables that programs other than the suite read too.

// KubeRayVersion is E2E_KUBERAY_VERSION as written; "" picks the default
// (versions.LookupKubeRay resolves it).
func KubeRayVersion() string { return strings.TrimSpace(os.Getenv("E2E_KUBERAY_VERSION")) }

// KubernetesRelease is the pin E2E_KUBERNETES_VERSION names, or the default.
func KubernetesRelease() (versions.Kubernetes, error) {
	return pinned("E2E_KUBERNETES_VERSION", KubernetesVersion(), versions.LookupKubernetes)
}

// KubeRayRelease is the pin E2E_KUBERAY_VERSION names, or the default.
func KubeRayRelease() (versions.KubeRayRelease, error) {
	return pinned("E2E_KUBERAY_VERSION", KubeRayVersion(), versions.LookupKubeRay)
}

// RayRelease is the pin E2E_RAY_VERSION names, or the default.
func RayRelease() (versions.RayRelease, error) {
	return pinned("E2E_RAY_VERSION", RayVersion(), versions.LookupRay)
}

// pinned looks value up and, when it is not pinned, says which setting
// holds it: the lookup's error names the pins, this the place to fix.
func pinned[T any](name, value string, lookup func(string) (T, error)) (T, error) {
	t, err := lookup(value)
	if err != nil {
		return t, fmt.Errorf("%s=%s: %w", name, value, err)
	}
	return t, nil
}

// RayVersion is E2E_RAY_VERSION as written; "" picks the default
// (versions.LookupRay resolves it).
func RayVersion() string { return strings.TrimSpace(os.Getenv("E2E_RAY_VERSION")) }

// KubernetesVersion is E2E_KUBERNETES_VERSION as written; "" picks the
// default (versions.LookupKubernetes resolves it).
func KubernetesVersion() string { return strings.TrimSpace(os.Getenv("E2E_KUBERNETES_VERSION")) }

// CacheDir is where built binaries and images are cached: E2E_CACHE_DIR made
// absolute, or kuberay-pod-security-e2e under the user cache directory
// (~/.cache on Linux).
func CacheDir() (string, error) {
	if dir := os.Getenv("E2E_CACHE_DIR"); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for built binaries (%v): set E2E_CACHE_DIR", err)
	}
	return filepath.Join(base, "kuberay-pod-security-e2e"), nil
}

// RepoDir is E2E_REPO_DIR: this repository's root for a compiled suite run
// from elsewhere; "" to find it from the working directory.
func RepoDir() string { return os.Getenv("E2E_REPO_DIR") }

// KubeRayDir is E2E_KUBERAY_DIR: a KubeRay checkout (its root or its
// ray-operator directory) to read samples and CRDs from; "" for the pinned
// module (package upstream).
func KubeRayDir() string { return os.Getenv("E2E_KUBERAY_DIR") }

// LocalStartTimeout is E2E_LOCAL_START_TIMEOUT, how long one local component
// may take to become ready (default 60s; a healthy one takes a few seconds
// even on 2 loaded cores). A bad value is an error, not a silent default.
func LocalStartTimeout() (time.Duration, error) {
	return parseDuration("E2E_LOCAL_START_TIMEOUT", 60*time.Second)
}

// DebianMirror is E2E_DEBIAN_MIRROR, the Debian archive the offline images
// are built from; "" for the one the host's apt uses.
func DebianMirror() string { return strings.TrimSpace(os.Getenv("E2E_DEBIAN_MIRROR")) }

// DockerNetns names the private Docker daemon of scripts/docker-netns: its
// network namespace (E2E_DOCKER_NETNS, default kuberay-e2e) and its run
// directory (E2E_DOCKER_RUN_DIR, default /tmp/<name>.docker).
func DockerNetns() (name, runDir string) {
	name = strings.TrimSpace(os.Getenv("E2E_DOCKER_NETNS"))
	if name == "" {
		name = "kuberay-e2e"
	}
	runDir = os.Getenv("E2E_DOCKER_RUN_DIR")
	if runDir == "" {
		runDir = "/tmp/" + name + ".docker"
	}
	return name, runDir
}
