package images

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

//go:embed pip-index.lock
var pipIndexLock string

// PipIndex is the recipe of the offline tier's package index: the wheels of
// pip-index.lock under wheels/, and a PEP 503 "simple" index over them under
// simple/, as static files any HTTP file server can serve.
type PipIndex struct{}

// Key changes with the lock and with the layout written here.
func (PipIndex) Key() string { return key("pip-index/1", pipIndexLock) }

// Dir is where the index tree is cached.
func (p PipIndex) Dir(cache string) string {
	return filepath.Join(cache, "pip-index", p.Key())
}

// Pins are the lock's name==version lines.
func (PipIndex) Pins() []string {
	var out []string
	for _, l := range strings.Split(pipIndexLock, "\n") {
		l = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "\\"))
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "--") {
			out = append(out, l)
		}
	}
	return out
}

// Find returns the cached tree, or an error that says how to build it.
func (p PipIndex) Find(cache string) (string, error) {
	dir := p.Dir(cache)
	if !fileExists(filepath.Join(dir, ".complete")) {
		return "", fmt.Errorf("the offline package index is not built (%s is missing; fix: scripts/offline-images pip-index)", dir)
	}
	return dir, nil
}

// Build downloads the wheels with the host's pip, checked against the
// lock's hashes, and writes the index, unless the cache has it.
func (p PipIndex) Build(ctx context.Context, cache string, log io.Writer) (dir string, cached bool, err error) {
	dir = p.Dir(cache)
	cached, err = pipDownload(ctx, log, pipDownloadSpec{
		dir: dir, sub: "wheels", lock: pipIndexLock, what: "the package index's wheels",
		args: []string{"--require-hashes"}, finish: WriteSimpleIndex,
	})
	if err != nil {
		return "", false, err
	}
	return dir, cached, nil
}

// WriteSimpleIndex writes root/simple/index.html and one page per project
// (PEP 503: normalized names, links with the file's sha256) for the wheels
// in root/wheels.
func WriteSimpleIndex(root string) error {
	ents, err := os.ReadDir(filepath.Join(root, "wheels"))
	if err != nil {
		return err
	}
	projects := map[string][]string{}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".whl") {
			continue
		}
		// A wheel's file name starts with its distribution name, where any
		// '-' is written as '_' (PEP 427).
		dist, _, ok := strings.Cut(name, "-")
		if !ok {
			return fmt.Errorf("%s is not a wheel file name", name)
		}
		p := PEP503Name(dist)
		projects[p] = append(projects[p], name)
	}
	if len(projects) == 0 {
		return fmt.Errorf("no wheels in %s", filepath.Join(root, "wheels"))
	}
	var names []string
	for p := range projects {
		names = append(names, p)
	}
	sort.Strings(names)
	var top strings.Builder
	top.WriteString("<!DOCTYPE html>\n<html><body>\n")
	for _, p := range names {
		fmt.Fprintf(&top, "<a href=\"%s/\">%s</a>\n", p, html.EscapeString(p))
		var page strings.Builder
		page.WriteString("<!DOCTYPE html>\n<html><body>\n")
		sort.Strings(projects[p])
		for _, f := range projects[p] {
			sum, err := fileSHA256(filepath.Join(root, "wheels", f))
			if err != nil {
				return err
			}
			fmt.Fprintf(&page, "<a href=\"../../wheels/%s#sha256=%s\">%s</a>\n", f, sum, html.EscapeString(f))
		}
		page.WriteString("</body></html>\n")
		if err := os.MkdirAll(filepath.Join(root, "simple", p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, "simple", p, "index.html"), []byte(page.String()), 0o644); err != nil {
			return err
		}
	}
	top.WriteString("</body></html>\n")
	return os.WriteFile(filepath.Join(root, "simple", "index.html"), []byte(top.String()), 0o644)
}

var pep503Runs = regexp.MustCompile(`[-_.]+`)

// PEP503Name is a project's normalized name.
func PEP503Name(name string) string {
	return strings.ToLower(pep503Runs.ReplaceAllString(name, "-"))
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
