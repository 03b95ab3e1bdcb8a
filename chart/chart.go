// Package chart installs the kuberay-operator Helm chart through the Helm SDK
// (no helm binary), from one of three sources: this project's offline
// stand-in (assembled here from its files in package fixtures and KubeRay's
// CRDs from package upstream), a local chart directory or archive (e.g. a
// KubeRay checkout's helm-chart/kuberay-operator), or KubeRay's published
// chart repository at the pinned version.
package chart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/action"
	helmchart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/kube"
	helmrelease "helm.sh/helm/v4/pkg/release"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Source names.
const (
	StandIn = "standin"
	Repo    = "repo"
)

// ReleaseName is the release the tutorial installs.
const ReleaseName = "kuberay-operator"

// Describe says in words where source takes release r's chart from, for
// logs.
func Describe(source string, r versions.KubeRayRelease) string {
	switch source {
	case StandIn:
		return "this project's offline stand-in chart (fixtures/charts/kuberay-operator) as " + r.ChartVersion() + ", with KubeRay " + r.Version + "'s CRDs"
	case Repo:
		return "kuberay-operator " + r.ChartVersion() + " from " + versions.KubeRayChartRepo
	default:
		return "local chart " + source
	}
}

// Label names the chart a release was installed from, for the run's
// record: the chart's name and version, and for this project's stand-in,
// that it is the stand-in, which only takes that name and version.
func Label(source, name, version string) string {
	if source == StandIn {
		return "this project's stand-in chart (as " + name + " " + version + ")"
	}
	return name + " " + version
}

// Load returns release r's chart from source. workDir receives downloads
// (repo source) and is the caller's to remove.
func Load(source, workDir string, r versions.KubeRayRelease) (*helmchart.Chart, error) {
	switch source {
	case StandIn:
		crds, err := upstream.CRDs(r)
		if err != nil {
			return nil, err
		}
		return LoadStandIn(crds, r)
	case Repo:
		settings := cli.New()
		// Keep Helm's caches and configuration inside the run: the user's
		// ~/.config/helm and ~/.cache/helm stay untouched.
		settings.RepositoryCache = filepath.Join(workDir, "helm-cache")
		settings.RepositoryConfig = filepath.Join(workDir, "helm-repositories.yaml")
		settings.RegistryConfig = filepath.Join(workDir, "helm-registry.json")
		opts := action.ChartPathOptions{RepoURL: versions.KubeRayChartRepo, Version: r.ChartVersion()}
		path, err := opts.LocateChart(ReleaseName, settings)
		if err != nil {
			return nil, fmt.Errorf("download chart %s %s from %s: %w (offline? set E2E_CHART=standin or to a local chart directory)", ReleaseName, r.ChartVersion(), versions.KubeRayChartRepo, err)
		}
		return loader.Load(path)
	default:
		return LoadLocal(source)
	}
}

// Installer installs and removes the release.
type Installer struct {
	cfg       *action.Configuration
	namespace string
	log       io.Writer
}

// NewInstaller talks to the cluster of kubeconfig; Helm keeps the release
// record (a Secret) in namespace.
func NewInstaller(kubeconfig, namespace string, log io.Writer) (*Installer, error) {
	if log == nil {
		log = io.Discard
	}
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &kubeconfig
	flags.Namespace = &namespace
	// Helm 4 logs through slog; without a handler of ours its debug lines
	// would go to the process's default logger, outside the step's log.
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.NewTextHandler(prefixWriter{log}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := cfg.Init(flags, namespace, "secret"); err != nil {
		return nil, fmt.Errorf("set up Helm for namespace %s: %w", namespace, err)
	}
	return &Installer{cfg: cfg, namespace: namespace, log: log}, nil
}

// Install installs c with values and waits until its workloads are ready.
func (in *Installer) Install(ctx context.Context, c *helmchart.Chart, values map[string]interface{}, timeout time.Duration) (*release.Release, error) {
	inst := action.NewInstall(in.cfg)
	inst.ReleaseName = ReleaseName
	inst.Namespace = in.namespace
	// Helm 3's Wait polled until the workloads were ready; Helm 4 makes the
	// strategy explicit (none set fails with "wait strategy not set"). The
	// watcher (kstatus, what a bare `helm install --wait` means in Helm 4)
	// waits for every object of the release to be current: for the
	// operator's Deployment that is at least the Available that the page's
	// `kubectl wait` asks for.
	inst.WaitStrategy = kube.StatusWatcherStrategy
	inst.Timeout = timeout
	// ServerSideApply stays at Helm 4's default (true), as the page's
	// `helm install` runs: the suite installs the way a reader does. No
	// RollbackOnFailure (Helm 3's Atomic): a failed install stays for the
	// evidence, and cleanup removes the namespace.
	rel, err := inst.RunWithContext(ctx, c, values)
	if err != nil {
		return nil, fmt.Errorf("helm install %s into %s: %w", ReleaseName, in.namespace, err)
	}
	return v1Release(rel)
}

// Status returns the deployed release, or an error when there is none.
func (in *Installer) Status() (*release.Release, error) {
	rel, err := action.NewStatus(in.cfg).Run(ReleaseName)
	if err != nil {
		return nil, err
	}
	return v1Release(rel)
}

// v1Release is the release record of an apiVersion v2 chart, the only kind
// this project installs; Helm 4's actions return it behind an interface.
func v1Release(r helmrelease.Releaser) (*release.Release, error) {
	switch r := r.(type) {
	case *release.Release:
		return r, nil
	case release.Release:
		return &r, nil
	}
	return nil, fmt.Errorf("helm returned a release of type %T, not a v1 release", r)
}

// prefixWriter marks each of Helm's log lines as Helm's in the step's log.
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := fmt.Fprintf(p.w, "helm: %s", b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Uninstall removes the release if it exists. CRDs stay, as with helm uninstall.
func (in *Installer) Uninstall(timeout time.Duration) error {
	un := action.NewUninstall(in.cfg)
	// Wait until the release's objects are gone, as Helm 3's Wait did, so
	// that cleanup's next steps find nothing of the operator left.
	un.WaitStrategy = kube.StatusWatcherStrategy
	un.Timeout = timeout
	// A run that failed before step 4 has no release to remove.
	un.IgnoreNotFound = true
	_, err := un.Run(ReleaseName)
	return err
}

// CheckSource validates a user's chart setting early, so a typo ends the run
// before any cluster starts.
func CheckSource(source string) error {
	switch source {
	case StandIn, Repo:
		return nil
	}
	fi, err := os.Stat(source)
	if err != nil {
		return fmt.Errorf("E2E_CHART=%s: %w; use %q, %q, or the path of a chart directory or .tgz (e.g. a KubeRay checkout's helm-chart/kuberay-operator)", source, errors.Unwrap(err), StandIn, Repo)
	}
	if !fi.IsDir() && !strings.HasSuffix(source, ".tgz") && !strings.HasSuffix(source, ".tar.gz") {
		return fmt.Errorf("E2E_CHART=%s is neither a chart directory nor a .tgz archive", source)
	}
	return nil
}
