package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestStandInCarriesKubeRayCRDs(t *testing.T) {
	c, err := Load(StandIn, t.TempDir(), versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.Name != ReleaseName || c.Metadata.Version != versions.KubeRayChartVersion {
		t.Errorf("chart %s %s", c.Metadata.Name, c.Metadata.Version)
	}
	var crds []string
	for _, crd := range c.CRDObjects() {
		crds = append(crds, crd.Name)
	}
	// The default release ships RayCronJob's CRD besides the three every
	// pinned release has.
	if len(crds) != 4 {
		t.Fatalf("Helm sees %d CRDs in the stand-in chart, want rayclusters, rayjobs, rayservices, raycronjobs: %v", len(crds), crds)
	}
	for _, want := range []string{"rayclusters", "rayjobs", "rayservices", "raycronjobs"} {
		if !strings.Contains(strings.Join(crds, " "), want) {
			t.Errorf("no %s CRD in %v", want, crds)
		}
	}
	if !strings.Contains(Describe(StandIn, versions.DefaultKubeRay()), "stand-in") || !strings.Contains(Describe(Repo, versions.DefaultKubeRay()), versions.KubeRayChartRepo) {
		t.Error("Describe must say plainly which chart is used")
	}
}

func TestCheckSource(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "kuberay-operator-1.5.1.tgz")
	os.WriteFile(tgz, []byte("x"), 0o600)
	plain := filepath.Join(dir, "values.yaml")
	os.WriteFile(plain, []byte("x"), 0o600)
	for src, wantErr := range map[string]string{
		StandIn:                 "",
		Repo:                    "",
		dir:                     "",
		tgz:                     "",
		filepath.Join(dir, "x"): "no such file or directory; use \"standin\", \"repo\"",
		plain:                   "neither a chart directory nor a .tgz archive",
	} {
		err := CheckSource(src)
		if (err == nil) != (wantErr == "") || (err != nil && !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("CheckSource(%s) = %v, want %q", src, err, wantErr)
		}
	}
}

func TestLoadLocalChartThatIsNoChart(t *testing.T) {
	if _, err := Load(t.TempDir(), t.TempDir(), versions.DefaultKubeRay()); err == nil {
		t.Error("an empty directory is no chart")
	}
}

// The stand-in chart takes each release's version, app version and image.
func TestStandInFollowsTheKubeRayRelease(t *testing.T) {
	for _, r := range versions.KubeRayReleases {
		c, err := Load(StandIn, t.TempDir(), r)
		if err != nil {
			t.Fatal(err)
		}
		image, _ := c.Values["image"].(map[string]any)
		if c.Metadata.Version != r.ChartVersion() || c.Metadata.AppVersion != r.Version || image["tag"] != r.Version {
			t.Errorf("KubeRay %s: chart %s, app %s, image tag %v", r.Version, c.Metadata.Version, c.Metadata.AppVersion, image["tag"])
		}
		if d := Describe(StandIn, r); !strings.Contains(d, r.Version+"'s CRDs") {
			t.Errorf("Describe: %s", d)
		}
	}
}
