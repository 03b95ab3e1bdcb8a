// The report (findings and notes) and Check, which runs the rules over a
// document package document has read: package rules' (shared with
// go test ./docs) and this package's own — the files a copy applies and
// follows (objects.go), helm's working-tree chart and kubectl's files
// (commands.go), what a copy creates (names.go), edits of chart values
// (values.go).

package drift

import (
	"fmt"
	"sort"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/rules"
)

// Finding is one stale fact.
type Finding struct {
	// Line is the document's line: the fact's own, or the command that
	// applies or installs the file it is in.
	Line int
	// File and FileLine say where in a file the document applies or
	// installs the fact is, when it is in one ("" and 0 when it is in the
	// document itself).
	File     string
	FileLine int
	// Rule names the check: path, ref, name, import, data, image, bind,
	// noop, chart, labels, namespace, message or markdown.
	Rule    string
	Problem string
	// Truth is what is true instead.
	Truth string
}

func (f Finding) String() string {
	if f.File != "" {
		return fmt.Sprintf("%d: %s:%d: %s — %s", f.Line, f.File, f.FileLine, f.Problem, f.Truth)
	}
	return fmt.Sprintf("%d: %s — %s", f.Line, f.Problem, f.Truth)
}

// Note is something the report could not check, so the reader knows it
// was not; or, with Differs, a pin that differs from this project's without
// being stale (a published release), which does not count as drift.
type Note struct {
	Line    int
	Text    string
	Differs bool
}

func (n Note) String() string {
	if n.Differs {
		return fmt.Sprintf("%d: note: %s", n.Line, n.Text)
	}
	return fmt.Sprintf("%d: not checked: %s", n.Line, n.Text)
}

// Report is the result for one document.
type Report struct {
	Findings []Finding
	Notes    []Note
}

type checker struct {
	ref    *Reference
	doc    *document.Document
	report Report
	seen   map[string]bool

	// Objects the document's YAML creates: inline YAML and the files it
	// applies that could be read. unresolved is set when it applies a file
	// that could not be read, whose objects are then unknown.
	configMaps  map[string]string
	rayClusters map[string]string
	headSvcs    map[string]string
	rayJobs     map[string]string
	jobs        map[string]string
	// configMapKeys are the keys (files) of each ConfigMap it creates.
	configMapKeys map[string][]string
	clusterObjs   []clusterObj
	// unreadFiles are notes on applied files that could not be read; one
	// whose path is reported missing needs no note.
	unreadFiles []Note
	unresolved  bool
	// claims127 is set when the document points readers at 127.0.0.1.
	claims127 bool
}

func (c *checker) find(line int, rule, problem, truth string) {
	c.add(Finding{Line: line, Rule: rule, Problem: problem, Truth: truth})
}

func (c *checker) add(f Finding) {
	key := fmt.Sprintf("%d|%s|%d|%s|%s", f.Line, f.File, f.FileLine, f.Rule, f.Problem)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.report.Findings = append(c.report.Findings, f)
}

func (c *checker) note(line int, text string) {
	c.addNote(Note{Line: line, Text: text})
}

func (c *checker) addNote(n Note) {
	key := fmt.Sprintf("%d|note|%s", n.Line, n.Text)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.report.Notes = append(c.report.Notes, n)
}

// shared reports what package rules found: findings as drift, notes on
// pins that differ as notes.
func (c *checker) shared(fs []rules.Finding) {
	c.sharedIn(0, "", fs)
}

// sharedIn does the same for a file the document's line uses: each finding's
// line is then the file's, and the document's is line.
func (c *checker) sharedIn(line int, file string, fs []rules.Finding) {
	for _, f := range fs {
		at := Finding{Line: f.Line, Rule: f.Rule, Problem: f.Problem, Truth: f.Truth}
		if file != "" {
			at.Line, at.File, at.FileLine = line, file, f.Line
		}
		if f.Unchecked {
			text := f.Problem + "; " + f.Truth
			if file != "" {
				text = fmt.Sprintf("%s:%d: %s", file, f.Line, text)
			}
			c.note(at.Line, text)
			continue
		}
		if f.Note {
			text := at.Problem + " — " + at.Truth
			if file != "" {
				text = fmt.Sprintf("%s:%d: %s", file, f.Line, text)
			}
			c.addNote(Note{Line: at.Line, Text: text, Differs: true})
			continue
		}
		c.add(at)
	}
}

// Check reports the drift of one document, read by package document, in
// line order.
func Check(doc *document.Document, ref *Reference) Report {
	c := &checker{
		ref: ref, doc: doc, seen: map[string]bool{},
		configMaps: map[string]string{}, rayClusters: map[string]string{}, headSvcs: map[string]string{}, rayJobs: map[string]string{}, jobs: map[string]string{}, configMapKeys: map[string][]string{},
	}
	c.shared(rules.Markdown(doc))
	c.shared(rules.Helm(doc))
	c.claims127 = doc.Speaks127()

	c.collectObjects()
	for n, line := range doc.Lines {
		c.line(n+1, line)
	}
	for _, co := range doc.Commands {
		if co.Program != "" {
			c.command(co)
		}
	}
	c.shared(rules.ObjectNames(doc, known{c}))
	c.noopEdits()
	c.scripts()
	missing := map[int]bool{}
	for _, f := range c.report.Findings {
		if f.Rule == "path" && f.File == "" {
			missing[f.Line] = true
		}
	}
	for _, n := range c.unreadFiles {
		if !missing[n.Line] {
			c.addNote(n)
		}
	}

	sort.SliceStable(c.report.Findings, func(i, j int) bool {
		a, b := c.report.Findings[i], c.report.Findings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.File < b.File || a.File == b.File && a.FileLine < b.FileLine
	})
	sort.SliceStable(c.report.Notes, func(i, j int) bool { return c.report.Notes[i].Line < c.report.Notes[j].Line })
	return c.report
}
