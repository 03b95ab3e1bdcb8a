package versions_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The pins live in versions.go; files that must repeat a version (YAML that
// people read, go.mod files that the go command reads) are checked here.
func TestFilesAgreeWithThePins(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	fixture := read("fixtures/ray-cluster.pod-security.yaml")
	if !strings.Contains(fixture, `"xgboost-cpu==`+versions.XGBoost+`"`) {
		t.Errorf("the fixture's script does not install xgboost-cpu==%s", versions.XGBoost)
	}
	images := regexp.MustCompile(`image:\s*(\S+)`).FindAllStringSubmatch(fixture, -1)
	if len(images) == 0 {
		t.Fatal("the fixture names no image")
	}
	for _, m := range images {
		if m[1] != versions.RayImage {
			t.Errorf("fixture image %s, pin %s", m[1], versions.RayImage)
		}
	}
	chart := read("fixtures/charts/kuberay-operator/Chart.yaml")
	if !regexp.MustCompile(`(?m)^version:\s*"?` + regexp.QuoteMeta(versions.KubeRayChartVersion) + `"?\s*$`).MatchString(chart) {
		t.Errorf("stand-in chart version differs from KubeRayChartVersion %s", versions.KubeRayChartVersion)
	}
	if !strings.HasSuffix(versions.KubeRayOperatorImage, ":"+versions.KubeRay) {
		t.Errorf("operator image %s is not KubeRay %s", versions.KubeRayOperatorImage, versions.KubeRay)
	}
	if "v"+versions.KubeRayChartVersion != versions.KubeRay {
		t.Errorf("chart %s and operator %s are different KubeRay releases", versions.KubeRayChartVersion, versions.KubeRay)
	}
}

func TestKindNodeImagesArePinnedByDigest(t *testing.T) {
	for _, k := range versions.KubernetesReleases {
		if k.KindNodeImage == "" {
			continue
		}
		if !regexp.MustCompile(`^kindest/node:` + regexp.QuoteMeta(k.Version) + `@sha256:[0-9a-f]{64}$`).MatchString(k.KindNodeImage) {
			t.Errorf("%s: node image %q is not kindest/node:%s@sha256:<digest>", k.Version, k.KindNodeImage, k.Version)
		}
	}
}

func TestLookupKubernetes(t *testing.T) {
	for in, want := range map[string]string{"": versions.DefaultKubernetes, "1.24": "v1.24.17", "v1.24.17": "v1.24.17", "1.34": "v1.34.4"} {
		k, err := versions.LookupKubernetes(in)
		if err != nil || k.Version != want {
			t.Errorf("LookupKubernetes(%q) = %s, %v; want %s", in, k.Version, err, want)
		}
	}
	if _, err := versions.LookupKubernetes("1.2"); err == nil {
		t.Error("1.2 must not match 1.24")
	}
}
