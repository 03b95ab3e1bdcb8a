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
	"slices"
	"strconv"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
)

// Snip is one shell block of the page, with the output blocks the page
// shows after it.
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
	// Background: the block runs in a second terminal until its step ends
	// (`<!-- step: 5.2 background -->`), as a port-forward does.
	Background bool
	// Exit is the exit status the page shows for the block's last command:
	// 0 unless its marker says `exit N` (a refusal the page shows).
	Exit int
	// Containers: the block needs running containers for a reason its
	// commands do not show (`containers`, as waiting for a job to finish).
	Containers bool
	// Outputs are the text blocks that follow it in the same step, before
	// the next shell block: what the page says the commands print.
	Outputs []Output
}

// Output is a text block the page shows as a snip's output, and how the
// snip's output is held to it.
type Output struct {
	Line  int
	Text  string
	Match Matcher
}

// Marker options: a shell block's, and a text block's matchers (match.go).
const (
	optBackground = "background"
	optContainers = "containers"
	optExit       = "exit"
)

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

// Read reads the shell blocks of the page at path, in order, each with
// the output blocks after it. A block without a step marker is refused (a
// reader would not know when to run it), and so is a marker option that
// means nothing here.
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
		switch {
		case b.IsConsole():
			return nil, fmt.Errorf("%s:%d: a %s block mixes commands and output; write the commands in an sh block and the output in a text block after it", path, b.Open, b.Info)
		case b.IsShell():
			if b.Marker == "" {
				return nil, fmt.Errorf("%s:%d: this shell block has no step marker; put <!-- step: N --> on the line before its fence", path, b.Open)
			}
			s := Snip{File: path, Step: b.Marker, Line: b.Open, Lines: b.Lines}
			if err := s.options(b.Options); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, b.MarkerLine, err)
			}
			for _, c := range d.Commands {
				if c.Block == i {
					s.Commands = append(s.Commands, c)
				}
			}
			snips = append(snips, s)
		case b.Info == "text":
			// Output of the shell block before it, in the same step; a text
			// block elsewhere is prose's, not an output.
			if len(snips) == 0 || b.Marker != snips[len(snips)-1].Step {
				continue
			}
			m, err := matcherOf(b.Options)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, b.MarkerLine, err)
			}
			last := &snips[len(snips)-1]
			last.Outputs = append(last.Outputs, Output{Line: b.Open, Text: b.Text(), Match: m})
		}
	}
	return snips, nil
}

func (s *Snip) options(opts []string) error {
	for i := 0; i < len(opts); i++ {
		switch o := opts[i]; o {
		case optBackground:
			s.Background = true
		case optContainers:
			s.Containers = true
		case optExit:
			if i+1 == len(opts) {
				return fmt.Errorf("marker option exit needs the status: exit 1")
			}
			n, err := strconv.Atoi(opts[i+1])
			if err != nil || n < 1 || n > 255 {
				return fmt.Errorf("marker option exit %s: give the exit status the page shows, 1 to 255", opts[i+1])
			}
			s.Exit = n
			i++
		default:
			return fmt.Errorf("marker option %q means nothing on a shell block: use %s, %s or %s N", o, optBackground, optContainers, optExit)
		}
	}
	return nil
}

// Needs says what the snip needs beyond an API server, and why (in words
// that do not change when the page moves the block): a Kind
// node (its commands reach the node's container through docker, or kind
// itself) or running containers (exec, logs, a port-forward, the
// dashboard, or the block says so). A tier without them skips it.
func (s Snip) Needs() (node, containers bool, why string) {
	for _, c := range s.Commands {
		switch {
		case c.Program == "docker" || c.Program == "kind":
			return true, false, fmt.Sprintf("`%s` reaches the Kind node", c.Program)
		case c.Program == "kubectl" && slices.Contains([]string{"exec", "logs", "port-forward", "attach", "cp"}, c.Sub()):
			return false, true, fmt.Sprintf("`kubectl %s` needs a running container", c.Sub())
		case c.Program == "curl":
			return false, true, "`curl` asks a server that runs in a container"
		}
	}
	if s.Containers || s.Background {
		return false, true, "the block needs running containers, as its marker says"
	}
	return false, false, ""
}

// Polls reports whether the snip only reads (kubectl get, a log, a file on
// the node, the dashboard), so that running it again until its output
// matches is what a reader does who waits as the page says.
func (s Snip) Polls() bool {
	if len(s.Commands) == 0 || s.Background {
		return false
	}
	for _, c := range s.Commands {
		switch c.Program {
		case "kubectl":
			if !slices.Contains([]string{"get", "logs", "describe", "wait"}, c.Sub()) {
				return false
			}
		case "docker":
			if c.Sub() != "exec" {
				return false
			}
		case "curl", "python3", "grep", "cat":
		default:
			return false
		}
	}
	return true
}

// Replace puts new for old in the lines of every snip, and says how many
// snips changed: how a run that is not the page's own (another release, an
// image built offline) adapts a line, in one place, for its evidence.
func Replace(snips []Snip, old, new string) int {
	n := 0
	for i := range snips {
		changed := false
		lines := slices.Clone(snips[i].Lines)
		for j := range lines {
			if strings.Contains(lines[j].Text, old) {
				lines[j].Text = strings.ReplaceAll(lines[j].Text, old, new)
				changed = true
			}
		}
		if changed {
			snips[i].Lines = lines
			n++
		}
	}
	return n
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
