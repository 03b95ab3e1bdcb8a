package chart

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	helmchart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/provenance"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Repository serves charts as a Helm chart repository at repoURL serves
// them: its index.yaml, and each chart's archive beside it, so that the
// page's `helm repo add NAME repoURL` and `helm install NAME/CHART
// --version V` take these charts. The index names the archives by relative
// URLs, which Helm resolves against repoURL: the repository's host is the
// only one a client needs.
type Repository struct {
	// Host is repoURL's host, which a stand-in for it must answer.
	Host  string
	base  string
	files map[string]string // path under base -> file
}

// NewRepository packages charts into dir (the caller's to remove) and
// indexes them.
func NewRepository(repoURL, dir string, charts ...*helmchart.Chart) (*Repository, error) {
	u, err := url.Parse(repoURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("chart repository %q: want an https URL such as %s", repoURL, "https://example.org/charts/")
	}
	r := &Repository{Host: u.Hostname(), base: strings.TrimSuffix(u.Path, "/") + "/", files: map[string]string{}}
	idx := repo.NewIndexFile()
	for _, c := range charts {
		archive, err := chartutil.Save(c, dir)
		if err != nil {
			return nil, fmt.Errorf("package chart %s %s: %w", c.Name(), c.Metadata.Version, err)
		}
		digest, err := provenance.DigestFile(archive)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(archive)
		if err := idx.MustAdd(c.Metadata, name, "", digest); err != nil {
			return nil, fmt.Errorf("index chart %s %s: %w", c.Name(), c.Metadata.Version, err)
		}
		r.files[name] = archive
	}
	index := filepath.Join(dir, "index.yaml")
	if err := idx.WriteFile(index, 0o644); err != nil {
		return nil, err
	}
	r.files["index.yaml"] = index
	return r, nil
}

// ServeHTTP answers GET and HEAD for the index and the archives.
func (r *Repository) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	name, ok := strings.CutPrefix(path.Clean(req.URL.Path), r.base)
	file := r.files[name]
	if !ok || file == "" {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, err := os.Open(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, req, name, info.ModTime(), f)
}
