// Check's entry point: the checker that collects a document's problems, and
// the dispatch of each fenced block to the rules for its info string. What
// a block does is the steps' to show by running it (package page); the rules
// here hold what running cannot show: structure.go (markers and steps),
// commands.go (the suite's and the reader's own commands), excerpt.go (yaml
// blocks), prose.go (everything outside the blocks), refs.go (references),
// and package rules (pins, images, bind addresses).

package docs

import (
	"fmt"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/rules"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Problem is one way a document is wrong.
type Problem struct {
	Doc  string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.Doc, p.Line, p.Msg) }

type checker struct {
	doc      *document.Document
	f        *Facts
	problems []Problem
	// block is the block being checked.
	block markdown.Block
	// claims127 is set when the document speaks of 127.0.0.1.
	claims127 bool
	// automation is set for docs/automation.md, which carries the steps'
	// go test blocks; the tutorial pages carry none.
	automation bool
}

// shared reports the findings of the rules every copy of the tutorial
// obeys (package rules). A pin that differs and a KubeRay path the pinned
// module cannot check are problems too: these documents follow the pins and
// name only what can be checked.
func (c *checker) shared(fs []rules.Finding) {
	for _, f := range fs {
		if f.Unchecked {
			c.addf(f.Line, "%s: refer to KubeRay's files under ray-operator/, which the pinned module holds", f.Problem)
			continue
		}
		c.addf(f.Line, "%s: %s", f.Problem, f.Truth)
	}
}

func (c *checker) addf(line int, format string, args ...interface{}) {
	c.problems = append(c.problems, Problem{Doc: c.doc.Name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Check returns every problem of one document, as package document read it. docDir is the directory the
// document is in, for its relative links.
func Check(doc *document.Document, docDir string, f *Facts) []Problem {
	c := &checker{doc: doc, f: f}
	c.shared(rules.Markdown(doc))
	c.shared(rules.Helm(doc))
	c.claims127 = doc.Speaks127()
	src := rules.Source{Name: "KubeRay " + versions.KubeRay, OperatorDir: f.KubeRayDir}
	for i, line := range doc.Lines {
		c.shared(rules.Line(i+1, line))
		c.shared(rules.KubeRayRefs(i+1, line, src))
	}
	// The objects the page names are drift's to check (drift.Check, with
	// the files the page applies), which TestDocumentsHaveNoDrift runs.
	c.structure()
	for i, b := range doc.Blocks {
		c.block = b
		switch {
		case b.IsShell():
			c.commands(i)
		case b.Info == "text":
			// An output: the steps hold it to what the commands print.
		case b.Info == "yaml":
			c.yamlExcerpt(b)
		default:
			c.addf(b.Open, "code block with info string %q: use sh for commands, text for their output or yaml for an excerpt of a file, so that the block is checked", b.Info)
		}
	}
	c.prose(docDir)
	return c.problems
}

// Automation is the page that holds the automation: how each step is
// checked and run alone, the ways to run the suite, the dry run and the
// drift report.
const Automation = "automation.md"

// CheckAutomation returns the problems of docs/automation.md's marked
// blocks: every step has a go test block whose -run pattern selects exactly
// that step, and names its test in its section; the commands of the marked
// blocks obey the same rules as in the tutorial, and so do the test names and
// paths in the steps' sections. The rest of the page is the suite's
// reference, not the tutorial's, and is not checked here.
func CheckAutomation(doc *document.Document, f *Facts) []Problem {
	c := &checker{doc: doc, f: f, automation: true}
	c.claims127 = doc.Speaks127()
	c.structure()
	for i, b := range doc.Blocks {
		if b.Marker == "" || !b.IsShell() {
			continue
		}
		c.block = b
		c.commands(i)
	}
	// The text of the steps' sections: their test names and paths.
	steps := map[int]bool{}
	for _, b := range doc.Blocks {
		if facts.StepIndex(b.Marker) >= 0 {
			for _, l := range doc.SectionText(b.Section) {
				steps[l.N] = true
			}
		}
	}
	for _, s := range doc.Spans {
		if steps[s.Line] {
			c.inlineCode(s.Line, s.Text)
		}
	}
	return c.problems
}
