// Package markdown reads what the tutorial checks need from a Markdown
// document: its headings, its fenced code blocks with the step marker before
// each, and the shell commands inside them. It is deliberately small: it
// knows fences, ATX headings and HTML comments, and treats everything else as
// prose lines.
package markdown

import (
	"fmt"
	"regexp"
	"strings"
)

// Doc is a parsed document. Line numbers count from 1.
type Doc struct {
	Name     string
	Lines    []string
	Headings []Heading
	Blocks   []Block
	// InBlock[n] is true when line n (1-based) is a fence or inside a block.
	InBlock []bool
}

// Heading is an ATX heading ("## Step 3 …").
type Heading struct {
	Line  int
	Level int
	Text  string
}

// Block is a fenced code block.
type Block struct {
	// Open and Close are the lines of the fences.
	Open, Close int
	// Info is the info string's first word, lower-case ("sh", "yaml", "text").
	Info string
	// Marker is the value of a `<!-- step: X -->` comment that precedes the
	// fence with nothing but blank lines between, and MarkerLine its line;
	// empty and 0 when there is none. Options are the words after the step
	// (`<!-- step: 6.1 like -->`), which say how the page runs the block.
	Marker     string
	MarkerLine int
	Options    []string
	// Section is the index in Doc.Headings of the heading above the block, or
	// -1.
	Section int
	Lines   []Line
}

// Line is one line of a block's content.
type Line struct {
	N    int
	Text string
}

var (
	fenceRE   = regexp.MustCompile("^([ \t]*)(`{3,}|~{3,})[ \t]*([^`]*)$")
	headingRE = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	markerRE  = regexp.MustCompile(`^\s*<!--\s*step:\s*(\S+)((?:\s+[^\s-][^\s]*)*)\s*-->\s*$`)
)

// UnclosedError is a fence that is never closed: the rest of the document
// would silently become code.
type UnclosedError struct {
	Name  string
	Line  int
	Fence string
}

func (e *UnclosedError) Error() string {
	return fmt.Sprintf("%s:%d: the code block opened here is never closed; add a closing %s", e.Name, e.Line, e.Fence)
}

// Parse reads a document. With an UnclosedError it also returns the document
// as read, the open block running to the end.
func Parse(name string, data []byte) (*Doc, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	d := &Doc{Name: name, Lines: strings.Split(text, "\n")}
	d.InBlock = make([]bool, len(d.Lines)+1)
	marker, markerLine := "", 0
	var options []string
	for i := 0; i < len(d.Lines); i++ {
		n := i + 1
		line := d.Lines[i]
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			b := Block{Open: n, Section: len(d.Headings) - 1, Marker: marker, MarkerLine: markerLine, Options: options}
			if f := strings.Fields(m[3]); len(f) > 0 {
				b.Info = strings.ToLower(f[0])
			}
			indent, fence := len(m[1]), m[2]
			d.InBlock[n] = true
			for i++; i < len(d.Lines); i++ {
				d.InBlock[i+1] = true
				l := d.Lines[i]
				t := strings.TrimLeft(l, " \t")
				if strings.HasPrefix(t, fence[:3]) && strings.Trim(t, fence[:1]+" \t") == "" && len(strings.TrimRight(t, " \t")) >= len(fence) {
					b.Close = i + 1
					break
				}
				b.Lines = append(b.Lines, Line{N: i + 1, Text: trimIndent(l, indent)})
			}
			if b.Close == 0 {
				// The block runs to the end; callers that tolerate this
				// (a drift report on someone else's document) still get
				// everything else.
				b.Close = len(d.Lines) + 1
				d.Blocks = append(d.Blocks, b)
				return d, &UnclosedError{Name: name, Line: n, Fence: fence}
			}
			d.Blocks = append(d.Blocks, b)
			marker, markerLine, options = "", 0, nil
			continue
		}
		if m := markerRE.FindStringSubmatch(line); m != nil {
			marker, markerLine, options = m[1], n, strings.Fields(m[2])
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			d.Headings = append(d.Headings, Heading{Line: n, Level: len(m[1]), Text: m[2]})
		}
		if strings.TrimSpace(line) != "" {
			// A marker belongs to the block right below it, not to one
			// further down.
			marker, markerLine, options = "", 0, nil
		}
	}
	return d, nil
}

func trimIndent(s string, n int) string {
	for i := 0; i < n && len(s) > 0 && (s[0] == ' ' || s[0] == '\t'); i++ {
		s = s[1:]
	}
	return s
}

// Line returns line n (1-based), or "" outside the document.
func (d *Doc) Line(n int) string {
	if n < 1 || n > len(d.Lines) {
		return ""
	}
	return d.Lines[n-1]
}

// SectionOf returns the index of the heading above line n, or -1.
func (d *Doc) SectionOf(n int) int {
	idx := -1
	for i, h := range d.Headings {
		if h.Line > n {
			break
		}
		idx = i
	}
	return idx
}

// SectionText returns the lines under heading i up to the next heading of
// the same or a higher level, with their line numbers.
func (d *Doc) SectionText(i int) []Line {
	if i < 0 || i >= len(d.Headings) {
		return nil
	}
	start, end := d.Headings[i].Line, len(d.Lines)
	for _, h := range d.Headings[i+1:] {
		if h.Level <= d.Headings[i].Level {
			end = h.Line - 1
			break
		}
	}
	var out []Line
	for n := start; n <= end; n++ {
		out = append(out, Line{N: n, Text: d.Line(n)})
	}
	return out
}

// IsShell reports whether the block holds commands to type.
func (b Block) IsShell() bool {
	switch b.Info {
	case "sh", "shell", "bash", "console", "zsh", "shell-session", "shellsession":
		return true
	}
	return false
}

// IsConsole reports whether the block is a terminal session: commands after
// a "$ " prompt, their output on the other lines.
func (b Block) IsConsole() bool {
	return b.Info == "console" || b.Info == "shell-session" || b.Info == "shellsession"
}

// Text returns the block's content.
func (b Block) Text() string {
	lines := make([]string, len(b.Lines))
	for i, l := range b.Lines {
		lines[i] = l.Text
	}
	return strings.Join(lines, "\n")
}
