// The rules over the document's shape: every block carries a step marker
// that names a step, and the steps come in the tutorial's order (that each
// step has blocks, its test shows by running them); in docs/automation.md
// each step has a way to run it alone and the name of the test that proves
// it.

package docs

import (
	"slices"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
)

// Markers that are not steps: blocks about what to have before step 1,
// about ways to run the tutorial and about cleaning up.
var sectionMarkers = []string{"before", "local", "offline", "clean-up"}

// structure: every block names its step and steps come in order; in
// docs/automation.md (whose unmarked blocks are not the steps') every step
// has a test named in its text and a way to run it alone.
func (c *checker) structure() {
	last := -1
	hasRun := map[string]bool{}
	sections := map[string]map[int]bool{}
	for _, b := range c.doc.Blocks {
		if b.Marker == "" {
			if c.automation {
				continue
			}
			c.addf(b.Open, "code block without a step marker: put <!-- step: ID --> on the line before it (ID one of %s, or %s)", facts.StepList(), strings.Join(sectionMarkers, ", "))
			continue
		}
		idx := facts.StepIndex(b.Marker)
		if idx < 0 {
			if !slices.Contains(sectionMarkers, b.Marker) {
				c.addf(b.MarkerLine, "step marker %q names no step: use one of %s, or %s", b.Marker, facts.StepList(), strings.Join(sectionMarkers, ", "))
			}
			continue
		}
		if idx < last {
			c.addf(b.MarkerLine, "a block of step %s comes after a block of step %s: keep the steps in the tutorial's order", b.Marker, facts.Steps[last].ID)
		}
		last = max(last, idx)
		if sections[b.Marker] == nil {
			sections[b.Marker] = map[int]bool{}
		}
		sections[b.Marker][b.Section] = true
		for _, cmd := range b.Commands() {
			if len(cmd.Words) >= 2 && cmd.Words[0] == "go" && cmd.Words[1] == "test" {
				hasRun[b.Marker] = true
			}
		}
	}
	for _, s := range facts.Steps {
		if !c.automation {
			break
		}
		if !hasRun[s.ID] {
			c.addf(1, "step %s does not say how to run it alone: add a block marked <!-- step: %s --> with go test ./e2e -v -run '%s'", s.ID, s.ID, s.RunPattern())
		}
		named := false
		for sec := range sections[s.ID] {
			for _, l := range c.doc.SectionText(sec) {
				if !c.doc.InBlock[l.N] && strings.Contains(l.Text, s.TestName()) {
					named = true
				}
			}
		}
		if len(sections[s.ID]) > 0 && !named {
			c.addf(1, "step %s does not name the test that proves it: write `%s` in the step's text", s.ID, s.TestName())
		}
	}
}

// stepIDs lists the steps' IDs for messages.
