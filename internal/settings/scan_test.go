package settings_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

// Only package settings reads E2E_ variables, and every one it reads is
// listed in Describe (printed with every settings error) and in README's
// settings table. (An external test package: repo imports settings.)
func TestSettingsAloneReadTheVariablesAndListThemAll(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	read := regexp.MustCompile(`(?:Getenv|LookupEnv)\("(E2E_[A-Z0-9_]+)"\)`)
	seen := 0
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && rel != "." && (rel == "tools" || rel == "_output" || strings.HasPrefix(rel, ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range read.FindAllStringSubmatch(string(src), -1) {
			seen++
			v := m[1]
			if filepath.Dir(rel) != filepath.Join("internal", "settings") {
				t.Errorf("%s reads %s: only internal/settings reads E2E_ variables; add a field or function there and pass the value in", rel, v)
			}
			if !strings.Contains(settings.Describe, v+" ") {
				t.Errorf("%s reads %s, which settings.Describe does not list", rel, v)
			}
			if !strings.Contains(string(readme), "\n| `"+v+"` |") {
				t.Errorf("%s reads %s, which README's settings table does not list", rel, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 15 {
		t.Fatalf("found only %d reads of E2E_ variables: the scan is broken", seen)
	}
}
