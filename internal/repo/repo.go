// Package repo locates this repository's own files (audit-policy.yaml,
// kind-config.yaml, the tools/ wrapper modules) from wherever the code runs:
// `go test` starts in the package directory, a user's binary anywhere.
package repo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

// Module is this repository's Go module path.
const Module = "github.com/kuberay-docs/pod-security-e2e"

var (
	once    sync.Once
	rootDir string
	rootErr error
)

// Root returns the repository's top directory: $E2E_REPO_DIR when set,
// otherwise the nearest parent of the working directory whose go.mod declares
// this module.
func Root() (string, error) {
	once.Do(func() { rootDir, rootErr = findRoot() })
	return rootDir, rootErr
}

// Path joins elements onto the repository root.
func Path(elem ...string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{root}, elem...)...), nil
}

func findRoot() (string, error) {
	if dir := settings.RepoDir(); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		if !declaresModule(filepath.Join(abs, "go.mod")) {
			return "", fmt.Errorf("E2E_REPO_DIR=%s is not a checkout of %s (no go.mod declaring it); unset it or point it at the repository", dir, Module)
		}
		return abs, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no checkout of %s above %s: run from inside the repository or set E2E_REPO_DIR", Module, wd)
		}
	}
}

func declaresModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if strings.HasPrefix(line, "module ") {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "module")), `"`) == Module
		}
	}
	return false
}
