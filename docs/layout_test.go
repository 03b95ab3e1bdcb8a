package docs

import (
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

func TestLayoutMatchesTheTree(t *testing.T) {
	readme, err := repo.ReadFile("docs/layout.md")
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
	for _, want := range []string{"lists gone/, which is not in the tree", "package offline/mounts/ is not in docs/layout.md's Layout", "package cluster/kind/ is not in docs/layout.md's Layout"} {
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

// goVersionRE is how README and the scripts name the Go a reader needs.
var goVersionRE = regexp.MustCompile(`Go (\d+\.\d+) or newer`)

// README and the scripts' error messages name the Go version go.mod needs.
func TestGoVersionIsGoMods(t *testing.T) {
	mod, err := repo.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	want := string(m[1])
	for _, f := range []string{"README.md", "scripts/offline-images", "scripts/e2e-kind-offline", "scripts/docker-netns"} {
		data, err := repo.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if problems := goVersionProblems(string(data), want); len(problems) > 0 || !goVersionRE.Match(data) {
			t.Errorf("%s: %v (go.mod says go %s; it must say \"Go %s or newer\")", f, problems, want, want)
		}
	}
	// Fires on a stale version, quiet on the right one.
	if p := goVersionProblems("install Go 1.25 or newer", "1.26"); len(p) != 1 {
		t.Errorf("a stale version passes: %v", p)
	}
	if p := goVersionProblems("install Go 1.26 or newer", "1.26"); len(p) != 0 {
		t.Errorf("the right version fails: %v", p)
	}
}

func goVersionProblems(text, want string) []string {
	var out []string
	for _, m := range goVersionRE.FindAllStringSubmatch(text, -1) {
		if m[1] != want {
			out = append(out, m[0])
		}
	}
	return out
}
