// Reading the document's shell blocks: the simple commands as words, with
// the KubeRay directory each runs in, and the flag values among the words.

package drift

import (
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
)

// cmd is one simple command with the KubeRay directory it runs in, from a
// preceding `# Path: kuberay/…` comment or `cd`, if any.
type cmd struct {
	line  int
	words []string
	dir   string
}

var pathCommentRE = regexp.MustCompile(`(?i)^path:\s*(\S+)`)

func (c *checker) commands() []cmd {
	var out []cmd
	for _, b := range c.doc.Blocks {
		if !b.IsShell() {
			continue
		}
		dir := ""
		// Comments and commands in line order, so a "# Path:" comment sets
		// the directory of the commands below it.
		type item struct {
			line    int
			comment string
			words   []string
		}
		var items []item
		for _, cm := range b.Comments() {
			items = append(items, item{line: cm.Line, comment: cm.Text})
		}
		for _, co := range b.Commands() {
			for _, seg := range markdown.Segments(co.Words) {
				items = append(items, item{line: co.Line, words: seg})
			}
		}
		sort.SliceStable(items, func(i, j int) bool { return items[i].line < items[j].line })
		for _, it := range items {
			if it.words == nil {
				if m := pathCommentRE.FindStringSubmatch(it.comment); m != nil {
					dir = strings.TrimSuffix(m[1], "/")
				}
				continue
			}
			if it.words[0] == "cd" && len(it.words) == 2 {
				dir = path.Join(dir, it.words[1])
				continue
			}
			out = append(out, cmd{line: it.line, words: it.words, dir: dir})
		}
	}
	return out
}

// flagValues returns the values of the named flags, in both --flag value
// and --flag=value forms, and the positional words.
func flagValues(words []string, valued map[string]bool, want ...string) (values []string, positional []string) {
	for i := 1; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			break
		}
		name, value, hasValue := strings.Cut(w, "=")
		if strings.HasPrefix(w, "-") {
			takes := valued[name]
			if takes && !hasValue && i+1 < len(words) {
				i++
				value, hasValue = words[i], true
			}
			for _, x := range want {
				if name == x && hasValue {
					values = append(values, value)
				}
			}
			continue
		}
		positional = append(positional, w)
	}
	return values, positional
}

var kubectlValued = map[string]bool{
	"-n": true, "--namespace": true, "-f": true, "--filename": true, "-l": true, "--selector": true,
	"-o": true, "--output": true, "-c": true, "--container": true, "--address": true, "--image": true,
	"--field-selector": true, "--for": true, "--timeout": true, "--context": true,
}

var helmValued = map[string]bool{
	"-n": true, "--namespace": true, "-f": true, "--values": true, "--version": true, "--set": true, "--repo": true,
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

func flagsOf(words []string, name string) []string {
	v, _ := flagValues(words, helmValued, name)
	return v
}
