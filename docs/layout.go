// docs/layout.md's "Layout" section against the tree: every Go package is listed
// (or named in its parent's entry) and every listed path exists.

package docs

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// layoutEntry is a line of the Layout block that starts with a path.
var layoutEntry = regexp.MustCompile(`^([A-Za-z0-9_.-][A-Za-z0-9_./-]*)\s+`)

// LayoutProblems compares docs/layout.md's Layout block (the first fenced block after
// the "## Layout" heading) with packages, the repository's directories that
// hold Go files, and exists, which says whether a listed path is there.
func LayoutProblems(readme string, packages []string, exists func(string) bool) []string {
	entries, err := layoutEntries(readme)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for p := range entries {
		if !exists(strings.TrimSuffix(p, "/")) {
			problems = append(problems, fmt.Sprintf("docs/layout.md's Layout lists %s, which is not in the tree: remove or rename its line", p))
		}
	}
	for _, dir := range packages {
		if _, ok := entries[dir+"/"]; ok {
			continue
		}
		parent := entries[path.Dir(dir)+"/"]
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(path.Base(dir)) + `\b`).MatchString(parent) {
			continue
		}
		fix := "add a line for it"
		if path.Dir(dir) != "." {
			fix += ", or name it in " + path.Dir(dir) + "/'s line"
		}
		problems = append(problems, fmt.Sprintf("package %s/ is not in docs/layout.md's Layout: %s", dir, fix))
	}
	return problems
}

// layoutEntries maps each listed path to its description, continuation lines
// included.
func layoutEntries(readme string) (map[string]string, error) {
	_, after, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		return nil, fmt.Errorf(`docs/layout.md has no "## Layout" section`)
	}
	_, block, ok := strings.Cut(after, "\n```\n")
	if ok {
		block, _, ok = strings.Cut(block, "\n```")
	}
	if !ok {
		return nil, fmt.Errorf("docs/layout.md's Layout section has no fenced block")
	}
	entries := map[string]string{}
	last := ""
	for _, line := range strings.Split(block, "\n") {
		if m := layoutEntry.FindStringSubmatch(line); m != nil {
			last = m[1]
			entries[last] = line[len(m[0]):]
		} else if last != "" {
			entries[last] += " " + strings.TrimSpace(line)
		}
	}
	return entries, nil
}
