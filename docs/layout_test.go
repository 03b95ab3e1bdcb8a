package docs

import (
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

func TestReadmeLayoutMatchesTheTree(t *testing.T) {
	readme, err := repo.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := repo.GoFiles()
	if err != nil {
		t.Fatal(err)
	}
	var packages []string
	for _, f := range files {
		if dir := path.Dir(f); dir != "." && !slices.Contains(packages, dir) {
			packages = append(packages, dir)
		}
	}
	if len(packages) < 30 {
		t.Fatalf("found only %d package directories: the walk is broken", len(packages))
	}
	exists := func(p string) bool {
		full, err := repo.Path(p)
		_, serr := os.Stat(full)
		return err == nil && serr == nil
	}
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
