package chart

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestRepositoryServesTheChartAsTheRepoDoes(t *testing.T) {
	c, err := LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRepository(versions.KubeRayChartRepo, t.TempDir(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Host != "ray-project.github.io" {
		t.Errorf("Host %q, want the repository URL's host", r.Host)
	}
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "https://ray-project.github.io"+path, nil))
		return w
	}

	w := get("/kuberay-helm/index.yaml")
	if w.Code != http.StatusOK {
		t.Fatalf("index.yaml: %d", w.Code)
	}
	indexFile := filepath.Join(t.TempDir(), "index.yaml")
	if err := os.WriteFile(indexFile, w.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, err := repo.LoadIndexFile(indexFile)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := idx.Get(ReleaseName, versions.KubeRayChartVersion)
	if err != nil {
		t.Fatalf("the index has no %s %s: %v", ReleaseName, versions.KubeRayChartVersion, err)
	}
	want := ReleaseName + "-" + versions.KubeRayChartVersion + ".tgz"
	if len(cv.URLs) != 1 || cv.URLs[0] != want || cv.Digest == "" {
		t.Errorf("index entry URLs %v digest %q; want the relative %s and a digest", cv.URLs, cv.Digest, want)
	}

	w = get("/kuberay-helm/" + want)
	if w.Code != http.StatusOK {
		t.Fatalf("%s: %d", want, w.Code)
	}
	got, err := loader.LoadArchive(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata.Version != versions.KubeRayChartVersion || len(got.Templates) != len(c.Templates) {
		t.Errorf("served chart %s with %d templates, want %s with %d", got.Metadata.Version, len(got.Templates), versions.KubeRayChartVersion, len(c.Templates))
	}
	for _, p := range []string{"/index.yaml", "/kuberay-helm/../secret", "/kuberay-helm/other.tgz"} {
		if w := get(p); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
}

func TestNewRepositoryRefusesAPlainURL(t *testing.T) {
	for _, u := range []string{"http://ray-project.github.io/kuberay-helm/", "kuberay-helm", ""} {
		if _, err := NewRepository(u, t.TempDir()); err == nil {
			t.Errorf("NewRepository(%q) succeeded; want an error asking for an https URL", u)
		}
	}
}

func TestLabelSaysTheStandInIsOne(t *testing.T) {
	if got := Label(StandIn, "kuberay-operator", "1.6.2"); got != "this project's stand-in chart (as kuberay-operator 1.6.2)" {
		t.Errorf("stand-in: %q", got)
	}
	for _, source := range []string{Repo, "/src/kuberay/helm-chart/kuberay-operator"} {
		if got := Label(source, "kuberay-operator", "1.6.2"); got != "kuberay-operator 1.6.2" {
			t.Errorf("%s: %q", source, got)
		}
	}
}
