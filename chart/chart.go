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
	"os"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
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
	cfg := new(action.Configuration)
	logf := func(format string, v ...interface{}) { fmt.Fprintf(log, "helm: "+format+"\n", v...) }
	if err := cfg.Init(flags, namespace, "secret", logf); err != nil {
		return nil, fmt.Errorf("set up Helm for namespace %s: %w", namespace, err)
	}
	return &Installer{cfg: cfg, namespace: namespace, log: log}, nil
}

// Install installs c with values and waits until its workloads are ready.
func (in *Installer) Install(ctx context.Context, c *helmchart.Chart, values map[string]interface{}, timeout time.Duration) (*release.Release, error) {
	inst := action.NewInstall(in.cfg)
	inst.ReleaseName = ReleaseName
	inst.Namespace = in.namespace
	inst.Wait = true
	inst.Timeout = timeout
	rel, err := inst.RunWithContext(ctx, c, values)
	if err != nil {
		return rel, fmt.Errorf("helm install %s into %s: %w", ReleaseName, in.namespace, err)
	}
	return rel, nil
}

// Status returns the deployed release, or an error when there is none.
func (in *Installer) Status() (*release.Release, error) {
	return action.NewStatus(in.cfg).Run(ReleaseName)
}

// Uninstall removes the release if it exists. CRDs stay, as with helm uninstall.
func (in *Installer) Uninstall(timeout time.Duration) error {
	un := action.NewUninstall(in.cfg)
	un.Wait = true
	un.Timeout = timeout
	_, err := un.Run(ReleaseName)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil
	}
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
