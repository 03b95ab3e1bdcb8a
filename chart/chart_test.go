package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestStandInCarriesKubeRayCRDs(t *testing.T) {
	c, err := Load(StandIn, t.TempDir())
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
	if len(crds) != 3 {
		t.Fatalf("Helm sees %d CRDs in the stand-in chart, want rayclusters, rayjobs, rayservices: %v", len(crds), crds)
	}
	for _, want := range []string{"rayclusters", "rayjobs", "rayservices"} {
		if !strings.Contains(strings.Join(crds, " "), want) {
			t.Errorf("no %s CRD in %v", want, crds)
		}
	}
	if !strings.Contains(Describe(StandIn), "stand-in") || !strings.Contains(Describe(Repo), versions.KubeRayChartRepo) {
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
	if _, err := Load(t.TempDir(), t.TempDir()); err == nil {
		t.Error("an empty directory is no chart")
	}
}
