// Package drift reports where a copy of the Pod Security tutorial has gone
// stale: KubeRay paths that no longer exist, object names its commands use
// but its YAML does not create, removed Ray imports, discontinued or
// unpinned images, servers bound to every interface, and instructions to
// edit chart values to what the chart already sets. The truth it compares
// with is this repository (fixtures, pins, the tutorial's facts) and a
// KubeRay release: the pinned Go module, or a checkout.
package drift

import (
	"fmt"
	"os"
	"path/filepath"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/rules"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Reference is what a document is compared with.
type Reference struct {
	// KubeRayDir is KubeRay's ray-operator directory.
	KubeRayDir string
	// KubeRayRoot is the checkout's top directory, or "" when only the
	// ray-operator module is at hand (then paths outside ray-operator/
	// cannot be checked).
	KubeRayRoot string
	// KubeRay describes the KubeRay source in findings, e.g. "KubeRay v1.5.1".
	KubeRay string
	// RepoRoot is this repository's top directory.
	RepoRoot string

	// Chart is what the operator's chart reads (the checkout's chart, or
	// the stand-in for the pinned one), and ChartSource where it comes from.
	Chart       rules.ChartValues
	ChartSource string

	// The fixture's objects: what a stale copy's names should be.
	fixtureConfigMaps  []string
	fixtureRayClusters []string
}

// NewReference builds the reference. kuberay is a KubeRay checkout (its top
// directory or its ray-operator directory); "" means the pinned module, or
// E2E_KUBERAY_DIR when set.
func NewReference(kuberay string) (*Reference, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	ref := &Reference{RepoRoot: root}
	if kuberay == "" {
		kuberay = settings.KubeRayDir()
	}
	if kuberay == "" {
		if ref.KubeRayDir, err = upstream.Dir(versions.DefaultKubeRay()); err != nil {
			return nil, err
		}
		ref.KubeRay = "KubeRay " + versions.KubeRay
	} else {
		if ref.KubeRayDir, ref.KubeRayRoot, err = checkout(kuberay); err != nil {
			return nil, err
		}
		ref.KubeRay = "the KubeRay checkout " + kuberay
	}

	if err := ref.loadChart(); err != nil {
		return nil, err
	}
	objs, err := fixtures.PodSecurityCluster()
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		switch o.GetKind() {
		case "ConfigMap":
			ref.fixtureConfigMaps = append(ref.fixtureConfigMaps, o.GetName())
		case "RayCluster":
			ref.fixtureRayClusters = append(ref.fixtureRayClusters, o.GetName())
		}
	}
	return ref, nil
}

// checkout finds the ray-operator directory and the top directory of a
// KubeRay checkout given as either.
func checkout(dir string) (operator, root string, err error) {
	info, err := os.Stat(dir)
	if err != nil {
		return "", "", fmt.Errorf("--kuberay %s: %w; pass a KubeRay checkout (its top directory or ray-operator), or leave it out to use %s@%s", dir, err, upstream.Module, versions.KubeRay)
	}
	if !info.IsDir() {
		return "", "", fmt.Errorf("--kuberay %s is a file; pass a KubeRay checkout's directory", dir)
	}
	if isDir(filepath.Join(dir, "ray-operator", "config")) {
		return filepath.Join(dir, "ray-operator"), dir, nil
	}
	if isDir(filepath.Join(dir, "config", "crd")) {
		parent := filepath.Dir(filepath.Clean(dir))
		if filepath.Base(filepath.Clean(dir)) == "ray-operator" && isDir(filepath.Join(parent, "helm-chart")) {
			return dir, parent, nil
		}
		return dir, "", nil
	}
	return "", "", fmt.Errorf("--kuberay %s is not a KubeRay checkout: it has neither ray-operator/config nor config/crd", dir)
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// loadChart takes the chart values from the checkout's chart when there is
// one (the real chart at that checkout), else from the stand-in, which
// carries the published 1.5.1 chart's defaults for the keys it has.
func (r *Reference) loadChart() error {
	if r.KubeRayRoot != "" {
		dir := filepath.Join(r.KubeRayRoot, "helm-chart", "kuberay-operator")
		if isDir(dir) {
			c, err := loader.Load(dir)
			if err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			r.Chart, r.ChartSource = rules.NewChartValues(c, true), filepath.Join(dir, chartutil.ValuesfileName)
			return nil
		}
	}
	c, err := chart.LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		return err
	}
	// The stand-in leaves keys out: one it lacks is unknown, not absent.
	r.Chart = rules.NewChartValues(c, false)
	r.ChartSource = "the kuberay-operator chart " + versions.KubeRayChartVersion + " (defaults as " + facts.StandInChartDir + "/values.yaml mirrors them)"
	return nil
}

// kubeRayPath reports whether a path of a KubeRay checkout exists, and
// whether it could be checked at all.
func (r *Reference) kubeRayPath(p string) (exists, checked bool) { return r.source().Path(p) }

// source is the KubeRay source on disk the reference reads.
func (r *Reference) source() rules.Source {
	return rules.Source{Name: r.KubeRay, OperatorDir: r.KubeRayDir, Root: r.KubeRayRoot}
}

// Describe names the KubeRay source, for package rules.
func (r *Reference) Describe() string { return r.KubeRay }

// Path says whether a path of a KubeRay checkout exists, for package rules.
func (r *Reference) Path(p string) (exists, checked bool) { return r.kubeRayPath(p) }

// repoPath reports whether a path of this repository exists.
func (r *Reference) repoPath(p string) bool {
	_, err := os.Stat(filepath.Join(r.RepoRoot, filepath.FromSlash(p)))
	return err == nil
}
