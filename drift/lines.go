// The rules that read any line: package rules' (KubeRay URLs, paths and
// branches, images, Ray imports, data, refusal messages), and object names
// outside commands.

package drift

import (
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/rules"
)

var (
	cmOutputRE = regexp.MustCompile("(?i)\\bconfig\\s?maps?\\b(?:/|\\s+\"|\\s+`|\\s+)([a-z0-9]+(?:-[a-z0-9]+)+)")
	rcOutputRE = regexp.MustCompile("(?i)\\brayclusters?(?:\\.ray\\.io)?\\b(?:/|\\s+\"|\\s+`)([a-z0-9]+(?:-[a-z0-9]+)+)")
	svcRefRE   = regexp.MustCompile(`\b(?:svc|service|services)/([a-z0-9]+(?:-[a-z0-9]+)+)`)
)

// line applies the checks that read any line.
func (c *checker) line(n int, line string) {
	c.shared(rules.KubeRayRefs(n, line, c.ref))
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
