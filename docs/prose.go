// The rules over the document's lines outside the blocks (local URLs inside
// them too): test names, paths, links, object names and settings. Images are
// package rules' (every line, shared with every copy).

package docs

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/rules"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var (
	// Paths of this repository, by their shape.
	repoPathRE = regexp.MustCompile(`^(?:[\w.-]+/)*[\w.-]+\.(?:ya?ml|go|md|py|log)$|^(?:fixtures|e2e|docs|cmd|tutorial|drift|audit)/[\w./-]*$`)
	envRE      = regexp.MustCompile(`\bE2E_[A-Z0-9_]+(?:=[\w.,/-]+)?`)
	// A list of versions in parentheses, as the prose names releases:
	// "(v1.5.1, v1.6.2)", in Chinese "（v1.5.1、v1.6.2）".
	versionListRE = regexp.MustCompile(`[(（](v\d+\.\d+\.\d+(?:\s*[,、]\s*v\d+\.\d+\.\d+)+)[)）]`)
	versionRE     = regexp.MustCompile(`v\d+\.\d+\.\d+`)
	// A Helm release the prose says the page was run with.
	helmVersionRE = regexp.MustCompile(`\bHelm (v\d+\.\d+\.\d+)`)
)

// prose checks facts anywhere in the document: test names, paths, links,
// pinned releases and settings.
func (c *checker) prose(docDir string) {
	for _, s := range c.doc.Spans {
		c.inlineCode(s.Line, s.Text)
	}
	for _, l := range c.doc.Links {
		target, _, _ := strings.Cut(l.Text, "#")
		if u, err := url.Parse(target); err == nil && u.Scheme == "" && target != "" {
			if _, err := os.Stat(filepath.Join(docDir, filepath.FromSlash(target))); err != nil {
				c.addf(l.Line, "link %s: no such file next to the document", target)
			}
		}
	}
	for i, line := range c.doc.Lines {
		n := i + 1
		if c.doc.InBlock[n] {
			continue
		}
		for _, m := range versionListRE.FindAllStringSubmatch(line, -1) {
			c.kubeRayReleases(n, m[1])
		}
		for _, m := range helmVersionRE.FindAllStringSubmatch(line, -1) {
			if m[1] != versions.Helm {
				c.addf(n, "Helm %s: the page's helm lines run with Helm %s (versions.Helm)", m[1], versions.Helm)
			}
		}
		for _, m := range envRE.FindAllString(line, -1) {
			if strings.Contains(m, "=") {
				c.envVar(n, strings.TrimRight(m, "`),.;"))
			} else {
				c.envVar(n, m+"=")
			}
		}
	}
}

func (c *checker) inlineCode(n int, code string) {
	switch {
	case strings.HasPrefix(code, facts.SuiteTest+"/"):
		for _, s := range facts.Steps {
			if code == s.TestName() {
				return
			}
		}
		c.addf(n, "%s is not a step's test; the steps' tests are %s/<step>, e.g. %s", code, facts.SuiteTest, facts.Steps[0].TestName())
	case strings.HasPrefix(code, "/") || strings.HasPrefix(code, "~/") || strings.Contains(code, " "):
		// Paths inside the cluster: the page's blocks that use them run.
	case code == facts.CompleteSample:
		src := rules.Source{Name: "KubeRay " + versions.KubeRay, OperatorDir: c.f.KubeRayDir}
		c.shared(rules.KubeRayPath(n, facts.CompleteSampleRepoPath, src))
	case strings.HasPrefix(code, "ray-operator/"):
		// KubeRay's source: package rules (KubeRayRefs) checks it in the
		// pinned module, on every line.
	case code == fixtures.ScriptKey:
	case repoPathRE.MatchString(code):
		c.repoPath(n, code)
	}
}

// kubeRayReleases checks a list of versions that names a pinned KubeRay
// release: such a list says which releases behave as the text claims, and
// the suite proves it for every pinned one, so the list is exactly the pins.
func (c *checker) kubeRayReleases(line int, list string) {
	got := versionRE.FindAllString(list, -1)
	var pins []string
	named := false
	for _, r := range versions.KubeRayReleases {
		pins = append(pins, r.Version)
		named = named || slices.Contains(got, r.Version)
	}
	if named && !slices.Equal(got, pins) {
		c.addf(line, "KubeRay releases (%s): the suite pins and checks %s; list exactly those", strings.Join(got, ", "), strings.Join(pins, ", "))
	}
}
