package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

func TestReadmeLayoutMatchesTheTree(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var packages []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			// Other modules (tools/), generated output and test data are
			// not packages of this module.
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata" || rel == "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		if dir := filepath.ToSlash(filepath.Dir(rel)); strings.HasSuffix(p, ".go") && dir != "." && (len(packages) == 0 || packages[len(packages)-1] != dir) {
			packages = append(packages, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(packages) < 30 {
		t.Fatalf("found only %d package directories: the walk is broken", len(packages))
	}
	exists := func(p string) bool { _, err := os.Stat(filepath.Join(root, p)); return err == nil }
	for _, p := range LayoutProblems(string(readme), packages, exists) {
		t.Error(p)
	}
}

func TestLayoutProblemsFindBothWays(t *testing.T) {
	readme := "# x\n\n## Layout\n\n```\ncluster/       providers\noffline/       the tier: daemon (dockerns),\n               images (images)\ngone/          was here\n```\n"
	exists := func(p string) bool { return p != "gone" }
	got := strings.Join(LayoutProblems(readme, []string{"cluster", "offline/dockerns", "offline/images", "offline/mounts", "cluster/kind"}, exists), "\n")
	for _, want := range []string{"lists gone/, which is not in the tree", "package offline/mounts/ is not in README's Layout", "package cluster/kind/ is not in README's Layout"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	for _, quiet := range []string{"offline/dockerns/", "offline/images/", "package cluster/ "} {
		if strings.Contains(got, quiet) {
			t.Errorf("problems name %s, which the layout covers:\n%s", quiet, got)
		}
	}
	if got := LayoutProblems("no layout", nil, exists); len(got) != 1 || !strings.Contains(got[0], "## Layout") {
		t.Errorf("a README without the section: %q", got)
	}
}
