// Package quoted reads the run tables this repository's documents quote
// (a step table, the matrix) and compares them with what a run printed, so
// that a quoted table is never a stale paste: a run of the configuration a
// quote names fails when the quote says otherwise.
//
// A quote is marked in the Markdown by a comment on the line before it:
//
//	<!-- table: local -->
//
// followed by a fenced block (a step table) or by Markdown table rows (the
// matrix).
package quoted

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

var markerRE = regexp.MustCompile(`^\s*<!--\s*table:\s*(\S+)\s*-->\s*$`)

// Quote is a marked table of a document.
type Quote struct {
	File, Name string
	// Line is the line of the first line of the quote's text.
	Line  int
	Lines []string
}

// Find returns the quote called name in the Markdown file path.
func Find(path, name string) (Quote, error) {
	all, err := All(path)
	if err != nil {
		return Quote{}, err
	}
	for _, q := range all {
		if q.Name == name {
			return q, nil
		}
	}
	return Quote{}, fmt.Errorf("%s has no quote marked <!-- table: %s -->", path, name)
}

// All returns every quote of the Markdown file path, in order.
func All(path string) ([]Quote, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Quote
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i, l := range lines {
		m := markerRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if q, ok := quoteAt(lines, i, path, m[1]); ok {
			out = append(out, q)
		}
	}
	return out, nil
}

// quoteAt reads the quote whose marker is line i: the fenced block or the
// Markdown table rows after it.
func quoteAt(lines []string, i int, path, name string) (Quote, bool) {
	j := i + 1
	for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
		j++
	}
	if j == len(lines) {
		return Quote{}, false
	}
	q := Quote{File: path, Name: name}
	add := func(k int) {
		if q.Line == 0 {
			q.Line = k + 1
		}
		q.Lines = append(q.Lines, lines[k])
	}
	if strings.HasPrefix(strings.TrimSpace(lines[j]), "```") {
		for k := j + 1; k < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[k]), "```"); k++ {
			add(k)
		}
		return q, true
	}
	for k := j; k < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[k]), "|"); k++ {
		add(k)
	}
	return q, true
}

// columnsRE splits a step table's row into its columns: two spaces or more
// separate them (text/tabwriter's padding).
var columnsRE = regexp.MustCompile(`\s{2,}`)

// stepTable is what of a step table does not change from one run of the
// same configuration to the next: what the run ran on (but the host), each
// step's name and result, the totals, and the checks that did not pass with
// their reasons. Times, directories and evidence lines (pod names, ids) go.
func stepTable(lines []string) []string {
	var out []string
	for _, l := range lines {
		t := strings.TrimRight(l, " ")
		switch {
		case t == "", strings.HasPrefix(t, "STEP "), strings.HasPrefix(t, "host:"):
		case strings.HasPrefix(t, "  "), strings.HasPrefix(t, "checks"):
			out = append(out, strings.Join(strings.Fields(t), " "))
		case metaLineRE.MatchString(t):
			k, v, _ := strings.Cut(t, ":")
			out = append(out, k+": "+strings.TrimSpace(v))
		default:
			cols := columnsRE.Split(t, -1)
			if len(cols) >= 2 {
				out = append(out, cols[0]+" | "+cols[1])
			} else {
				out = append(out, t)
			}
		}
	}
	return out
}

// metaLine is a line of what a run ran on ("provider:   local").
var metaLineRE = regexp.MustCompile(`^[a-zA-Z]+:\s`)

// meta is what a step table says the run ran on, but the host.
func meta(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "STEP ") {
			break
		}
		if metaLineRE.MatchString(l) && !strings.HasPrefix(l, "host:") {
			k, v, _ := strings.Cut(l, ":")
			out = append(out, k+": "+strings.TrimSpace(v))
		}
	}
	return out
}

// SameRun reports whether printed, a run's step table, is of the
// configuration the step table q quotes: the same provider, Kubernetes,
// KubeRay, Ray, chart and requirements. Only such a run can prove or
// disprove the quote.
func SameRun(q Quote, printed string) bool {
	want, got := meta(q.Lines), meta(strings.Split(printed, "\n"))
	return len(want) > 0 && strings.Join(want, "\n") == strings.Join(got, "\n")
}

// StepTableDiff compares the step table q quotes with the one a run printed
// and returns one line for each difference, naming the quote's line.
func StepTableDiff(q Quote, printed string) []string {
	want, got := stepTable(q.Lines), stepTable(strings.Split(printed, "\n"))
	var out []string
	for i := 0; i < len(want) || i < len(got); i++ {
		w, g := "", ""
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			out = append(out, fmt.Sprintf("quoted %q, the run printed %q", w, g))
		}
	}
	if len(out) > 0 {
		out = append([]string{fmt.Sprintf("%s:%d quotes a step table that this run, of the configuration it names, did not print (paste this run's steps.txt there):", q.File, q.Line)}, out...)
	}
	return out
}

// MatrixCells reads a quoted matrix table (| KubeRay \ Kubernetes | v… |)
// into its cells' results, keyed "Kubernetes/KubeRay".
func MatrixCells(q Quote) map[string]string {
	cells := map[string]string{}
	var ks []string
	for _, l := range q.Lines {
		cols := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		switch {
		case len(cols) > 1 && strings.HasPrefix(cols[0], "KubeRay"):
			ks = cols[1:]
		case len(cols) > 1 && strings.HasPrefix(cols[0], "v") && len(ks) > 0:
			for i, c := range cols[1:] {
				if i < len(ks) {
					cells[ks[i]+"/"+cols[0]] = c
				}
			}
		}
	}
	return cells
}
