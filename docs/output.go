// The rules over text blocks: a line of expected output is a refusal the
// pinned API server writes or a line the fixture's script prints.

package docs

import (
	"fmt"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// output checks an expected-output block line by line.
func (c *checker) output(b markdown.Block) {
	for _, l := range b.Lines {
		t := strings.TrimSpace(l.Text)
		switch {
		case t == "":
		case strings.Contains(t, "violates PodSecurity"):
			c.refusal(l.N, t)
		case c.f.ScriptPrints[t]:
		default:
			c.addf(l.N, "output line %q is not one docs/output.go can check: quote a refusal message or a line the fixture's script prints", t)
		}
	}
}

// refusal: what the suite asserts, and what the pinned API server wrote.
func (c *checker) refusal(line int, t string) {
	var container, violation string
	switch c.block.Marker {
	case "3":
		container, violation = facts.ProbeContainer, facts.ProbeViolation
	case "5.1":
		container, violation = facts.HeadContainer, facts.HeadViolation
	default:
		c.addf(line, "a refusal message in step %s: only steps 3 and 5.1 show one", c.block.Marker)
		return
	}
	i := strings.Index(t, facts.RestrictedPrefix)
	if i < 0 {
		c.addf(line, "refusal %q: the API server's message starts with %s", t, facts.RestrictedPrefix)
		return
	}
	if head := t[:i]; head != "" {
		want := fmt.Sprintf("Error from server (Forbidden): pods %q is forbidden: ", container)
		if head != want {
			c.addf(line, "refusal prefix %q: kubectl prints %q for the Pod %s", head, want, container)
		}
	}
	msg := t[i:]
	if asserted := facts.RestrictedPrefix + ": " + violation; !strings.HasPrefix(msg, asserted) {
		c.addf(line, "refusal %q does not start with what the suite asserts: %q", msg, asserted)
	}
	if !c.f.Refusals[msg] {
		c.addf(line, "refusal %q is not what Kubernetes %s writes (%s); copy the message from there", msg, versions.DefaultKubernetes, c.f.RefusalsFile)
	}
}
