// Package page runs the tutorial page as its script: the shell blocks of a
// step, in the page's order, each as a reader types it, in a shell whose
// tools (kubectl, helm, built from pinned modules) and configuration
// (kubeconfig, Helm's repositories and caches, HOME) belong to the run, so
// that nothing of the user's is read or changed.
package page

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
)

// Snip is one shell block of the page.
type Snip struct {
	// File is the page's path, as given to Read.
	File string
	// Step is the block's step marker ("4", "5.1").
	Step string
	// Line is the line of the block's opening fence.
	Line int
	// Lines are the block's lines, with their line numbers in the page.
	Lines []markdown.Line
	// Commands are the block's commands, each with its first line.
	Commands []document.Command
}

// Script is the block as a shell reads it.
func (s Snip) Script() string {
	lines := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		lines[i] = l.Text
	}
	return strings.Join(lines, "\n") + "\n"
}

// String names the block for messages: file and line.
func (s Snip) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// commandAt is the page line of the command that holds line n of the
// block's script (1-based), for a failure the shell reports by line.
func (s Snip) commandAt(n int) (line int, text string) {
	if n < 1 || n > len(s.Lines) {
		return s.Line, ""
	}
	page := s.Lines[n-1].N
	line = page
	for _, c := range s.Commands {
		if c.Line <= page {
			line = c.Line
		}
	}
	for _, l := range s.Lines {
		if l.N == line {
			text = l.Text
		}
	}
	return line, text
}

// Read reads the shell blocks of the page at path, in order. A block
// without a step marker is refused: a reader would not know when to run it.
func Read(path string) ([]Snip, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the tutorial page: %w (name a Markdown file of the tutorial)", err)
	}
	d, err := document.Read(filepath.Base(path), data)
	if err != nil {
		return nil, err
	}
	var snips []Snip
	for i, b := range d.Blocks {
		if !b.IsShell() {
			continue
		}
		if b.IsConsole() {
			return nil, fmt.Errorf("%s:%d: a %s block mixes commands and output; write the commands in an sh block and the output in a text block after it", path, b.Open, b.Info)
		}
		if b.Marker == "" {
			return nil, fmt.Errorf("%s:%d: this shell block has no step marker; put <!-- step: N --> on the line before its fence", path, b.Open)
		}
		s := Snip{File: path, Step: b.Marker, Line: b.Open, Lines: b.Lines}
		for _, c := range d.Commands {
			if c.Block == i {
				s.Commands = append(s.Commands, c)
			}
		}
		snips = append(snips, s)
	}
	return snips, nil
}

// Of returns the snips of step, in the page's order.
func Of(snips []Snip, step string) []Snip {
	var out []Snip
	for _, s := range snips {
		if s.Step == step {
			out = append(out, s)
		}
	}
	return out
}
