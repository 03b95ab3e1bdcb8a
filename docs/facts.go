// Package docs keeps the tutorial documents in this directory true: Check
// reads a document's fenced blocks and holds every fact in them (namespace,
// labels, paths, object names, ports, images, Helm values keys, refusal
// messages, test names) against what the e2e suite, the fixtures and the
// pinned releases say, and Compare checks that two translations carry the
// same commands. `go test ./docs` runs both on pod-security.md and
// pod-security.zh.md.
package docs

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Facts is what a document is checked against: what running the page
// cannot show. LoadFacts gathers it from the repository, the fixtures and
// the pinned KubeRay release.
type Facts struct {
	// RepoRoot is this repository's top directory; relative paths in a
	// document are relative to it.
	RepoRoot string
	// KubeRayDir is KubeRay's ray-operator directory at versions.KubeRay.
	KubeRayDir string

	// MakeTargets are the Makefile's targets.
	MakeTargets map[string]bool
}

// LoadFacts gathers the facts. It needs the pinned KubeRay module (see
// upstream.Dir), which the tests of fixtures, chart and upstream need as well.
func LoadFacts() (*Facts, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	f := &Facts{RepoRoot: root, MakeTargets: map[string]bool{}}
	if f.KubeRayDir, err = upstream.Dir(versions.DefaultKubeRay()); err != nil {
		return nil, err
	}
	if err := f.loadMakeTargets(); err != nil {
		return nil, err
	}
	return f, nil
}

func nested(m map[string]interface{}, keys ...string) interface{} {
	var cur interface{} = m
	for _, k := range keys {
		mm, ok := cur.(map[string]interface{})
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

var targetRE = regexp.MustCompile(`^([A-Za-z0-9][\w.-]*):`)

func (f *Facts) loadMakeTargets() error {
	file, err := os.Open(filepath.Join(f.RepoRoot, "Makefile"))
	if err != nil {
		return err
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	for s.Scan() {
		if m := targetRE.FindStringSubmatch(s.Text()); m != nil && !strings.Contains(s.Text(), ":=") {
			f.MakeTargets[m[1]] = true
		}
	}
	return s.Err()
}

// exists reports whether a path relative to the repository exists.
func (f *Facts) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(f.RepoRoot, filepath.FromSlash(rel)))
	return err == nil
}
