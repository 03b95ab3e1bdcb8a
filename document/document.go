// Package document reads a tutorial once into the model every check of it
// uses: its lines, headings and fenced blocks (package markdown), the simple
// commands of its shell blocks with their flags read by one set of flag
// specs, the Kubernetes objects of its YAML blocks, and the inline code and
// links of its prose, each with its line. `go test ./docs` (this
// repository's documents) and tutorial-drift (any copy) read through it, so
// that a command or an object means the same to both.
package document

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/manifest"
)

// Document is a tutorial as read. Line numbers count from 1.
type Document struct {
	*markdown.Doc
	// Commands are the simple commands of the shell blocks, in line order.
	Commands []Command
	// Objects are the Kubernetes objects of the YAML blocks.
	Objects []Object
	// Mentions are the objects the document names, in line order of
	// commands first, then of the other lines.
	Mentions []Mention
	// Spans are the inline code spans of the prose (outside blocks).
	Spans []Span
	// Links are the targets of the prose's Markdown links.
	Links []Span
	// Unclosed is the line of a fence never closed (the rest of the
	// document then reads as code), 0 when every block is closed.
	Unclosed      int
	UnclosedFence string
}

// Object is one Kubernetes object of a YAML block.
type Object struct {
	// Line is the block's opening fence; Block its index in Blocks.
	Line, Block int
	*unstructured.Unstructured
}

// Span is a piece of prose with its line.
type Span struct {
	Line int
	Text string
}

var (
	inlineCodeRE  = regexp.MustCompile("`([^`]+)`")
	linkRE        = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	pathCommentRE = regexp.MustCompile(`(?i)^path:\s*(\S+)`)
	envAssignRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
)

// parse reads text into a Document. A fence that is never closed is kept
// (Unclosed), not an error: a report on someone else's document still reads
// everything else.
func parse(name, text string) (*Document, error) {
	md, err := markdown.Parse(name, []byte(text))
	d := &Document{Doc: md}
	if u, ok := err.(*markdown.UnclosedError); ok {
		d.Unclosed, d.UnclosedFence = u.Line, u.Fence
	} else if err != nil {
		return nil, err
	}
	for i, b := range md.Blocks {
		switch {
		case b.IsShell():
			d.Commands = append(d.Commands, blockCommands(i, b)...)
		case b.Info == "yaml" || b.Info == "yml":
			// A block that is not whole YAML (an excerpt with "..." lines)
			// creates no object the checks can rely on.
			if objs, err := manifest.Decode(fmt.Sprintf("%s:%d", name, b.Open), []byte(b.Text())); err == nil {
				for _, o := range objs {
					d.Objects = append(d.Objects, Object{Line: b.Open, Block: i, Unstructured: o})
				}
			}
		}
	}
	d.Mentions = d.mentions()
	for i, line := range md.Lines {
		n := i + 1
		if md.InBlock[n] {
			continue
		}
		for _, m := range inlineCodeRE.FindAllStringSubmatch(line, -1) {
			d.Spans = append(d.Spans, Span{Line: n, Text: m[1]})
		}
		for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
			d.Links = append(d.Links, Span{Line: n, Text: m[1]})
		}
	}
	return d, nil
}

// Speaks127 reports whether the document names 127.0.0.1 anywhere: then a
// reader expects what it serves there, and nowhere else.
func (d *Document) Speaks127() bool {
	for _, l := range d.Lines {
		if strings.Contains(l, "127.0.0.1") {
			return true
		}
	}
	return false
}

func (d *Document) hasShellBlock() bool {
	for _, b := range d.Blocks {
		if b.IsShell() {
			return true
		}
	}
	return false
}

// blockCommands reads the simple commands of shell block i, with the
// directory each runs in: set by a `# Path: DIR` comment (how KubeRay's
// documents say where a command runs) or by `cd DIR`, relative to the one
// before.
func blockCommands(i int, b markdown.Block) []Command {
	type item struct {
		line    int
		comment string
		words   []string
		from    []string
	}
	var items []item
	for _, cm := range b.Comments() {
		items = append(items, item{line: cm.Line, comment: cm.Text})
	}
	for _, co := range b.Commands() {
		var prev []string
		for _, seg := range markdown.SimpleCommands(co.Words) {
			it := item{line: co.Line, words: seg.Words}
			if seg.Piped {
				it.from = prev
			}
			items = append(items, it)
			prev = seg.Words
		}
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].line < items[b].line })
	var out []Command
	dir := ""
	for _, it := range items {
		if it.words == nil {
			if m := pathCommentRE.FindStringSubmatch(it.comment); m != nil {
				dir = strings.TrimSuffix(m[1], "/")
			}
			continue
		}
		c := newCommand(it.line, i, it.words)
		c.Dir, c.PipedFrom = dir, it.from
		if c.Program == "cd" && len(c.Args) == 1 {
			dir = path.Join(dir, c.Args[0])
		}
		out = append(out, c)
	}
	return out
}
