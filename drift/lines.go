// The rules that read any line: KubeRay URLs and paths, unpinned branches,
// images, Ray imports, refusal messages and object names outside commands.

package drift

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/rules"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var (
	kubeRayURLRE = regexp.MustCompile(`https?://(?:github\.com/ray-project/kuberay/(?:blob|tree|raw)|raw\.githubusercontent\.com/ray-project/kuberay)/([^/\s)]+)/([^\s)"'` + "`" + `#?]+)`)
	// KubeRay paths written without a URL.
	kubeRayPathRE = regexp.MustCompile(`(?:^|[\s` + "`" + `'"(=:])((?:kuberay/)?(?:ray-operator|helm-chart)/[\w./-]*[\w])`)
	unpinnedRE    = regexp.MustCompile(`(?i)(check\s*out|checkout|switch to|use)\W+(?:the\s+)?` + "`?" + `(master|main)` + "`?" + `\s+branch|git\s+(?:checkout|switch)\s+(master|main)\b|` + "`?" + `(master|main)` + "`?" + `\s*分支`)
	cmOutputRE    = regexp.MustCompile("(?i)\\bconfig\\s?maps?\\b(?:/|\\s+\"|\\s+`|\\s+)([a-z0-9]+(?:-[a-z0-9]+)+)")
	rcOutputRE    = regexp.MustCompile("(?i)\\brayclusters?(?:\\.ray\\.io)?\\b(?:/|\\s+\"|\\s+`)([a-z0-9]+(?:-[a-z0-9]+)+)")
	svcRefRE      = regexp.MustCompile(`\b(?:svc|service|services)/([a-z0-9]+(?:-[a-z0-9]+)+)`)
)

// line applies the checks that read any line: URLs and paths of KubeRay,
// unpinned branches, images, Ray imports, refusal messages and object names
// outside commands.
func (c *checker) line(n int, line string) {
	rest := line
	for _, m := range kubeRayURLRE.FindAllStringSubmatch(line, -1) {
		// Sentence punctuation after a URL is not part of it.
		m[2] = strings.TrimRight(m[2], ".,;:!")
		if m[1] != versions.KubeRay {
			c.find(n, "ref", fmt.Sprintf("links KubeRay at %s, which changes under the tutorial", m[1]), "the tutorial is pinned to KubeRay "+versions.KubeRay+": use "+versions.KubeRay+" in the URL")
		}
		c.kubeRayPath(n, m[2])
		rest = strings.Replace(rest, m[0], "", 1)
	}
	for _, m := range kubeRayPathRE.FindAllStringSubmatch(rest, -1) {
		c.kubeRayPath(n, m[1])
	}
	if m := unpinnedRE.FindString(line); m != "" {
		c.find(n, "ref", fmt.Sprintf("%q: a branch moves, and KubeRay deleted this tutorial's files from it in 2025", strings.TrimSpace(m)), "use KubeRay "+versions.KubeRay+" (git checkout "+versions.KubeRay+") and this repository's files")
	}
	c.shared(rules.Line(n, line))
	if !c.isCommandLine(n) {
		for _, m := range cmOutputRE.FindAllStringSubmatch(line, -1) {
			c.configMapRef(n, m[1])
		}
		for _, m := range rcOutputRE.FindAllStringSubmatch(line, -1) {
			c.rayClusterRef(n, m[1])
		}
		for _, m := range svcRefRE.FindAllStringSubmatch(line, -1) {
			c.serviceRef(n, m[1])
		}
	}
}

// replacements are this repository's files for KubeRay's deleted ones.
var replacements = map[string]string{
	"ray-operator/config/security":                               "this repository's " + facts.KindConfigFile + ", " + facts.AuditPolicyFile + " and " + facts.PodSecurityClusterFile,
	"ray-operator/config/security/kind-config.yaml":              facts.KindConfigFile + " in this repository",
	"ray-operator/config/security/audit-policy.yaml":             facts.AuditPolicyFile + " in this repository",
	"ray-operator/config/security/ray-cluster.pod-security.yaml": facts.PodSecurityClusterFile + " in this repository",
}

func (c *checker) kubeRayPath(n int, p string) {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "kuberay/"), "/")
	exists, checked := c.ref.kubeRayPath(p)
	switch {
	case !checked:
		c.note(n, p+": "+c.ref.KubeRay+" here is the ray-operator Go module only; pass --kuberay with a checkout to check paths outside ray-operator/")
	case !exists:
		truth, ok := replacements[p]
		if !ok {
			truth = "it is not in " + c.ref.KubeRay
			if r, found := replacements[path.Dir(p)]; found {
				truth = "its directory is gone; use " + r
			}
		}
		c.find(n, "path", p+" does not exist in "+c.ref.KubeRay, truth)
	}
}

// isCommandLine reports whether line n holds a command (not a comment or
// output) of a shell block; commands are checked word by word instead.
func (c *checker) isCommandLine(n int) bool {
	for _, b := range c.doc.Blocks {
		if n <= b.Open || n >= b.Close || !b.IsShell() {
			continue
		}
		t := strings.TrimSpace(c.doc.Line(n))
		if b.Info == "console" {
			return strings.HasPrefix(t, "$")
		}
		return t != "" && !strings.HasPrefix(t, "#")
	}
	return false
}
