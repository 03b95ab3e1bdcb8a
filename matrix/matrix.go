// Package matrix is the KubeRay × Kubernetes matrix of the tutorial: its
// cells, and the report of a matrix run (matrix.md for people, matrix.json
// for machines) built from each cell's steps.json, so that the matrix says
// exactly what each cell's step table says. cmd/matrix runs the cells.
package matrix

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Cell is one Kubernetes release with one KubeRay release.
type Cell struct {
	Kubernetes versions.Kubernetes
	KubeRay    versions.KubeRayRelease
}

// Name is the cell's directory name, e.g. "k1.24-kuberay-v1.6.2".
func (c Cell) Name() string { return "k" + c.Kubernetes.Minor() + "-kuberay-" + c.KubeRay.Version }

// String is the cell as people write it, e.g. "1.24/v1.6.2".
func (c Cell) String() string { return c.Kubernetes.Minor() + "/" + c.KubeRay.Version }

// Cells resolves the matrix to run. kubernetes and kuberay are
// comma-separated versions ("all" or "" for every pin); cells, when set,
// lists KUBERNETES/KUBERAY pairs instead ("1.24/v1.6.2,1.37/1.5").
// Duplicates are dropped; the order is Kubernetes, then KubeRay, oldest
// first.
func Cells(kubernetes, kuberay, cells string) ([]Cell, error) {
	var out []Cell
	add := func(k versions.Kubernetes, r versions.KubeRayRelease) {
		c := Cell{k, r}
		if !slices.ContainsFunc(out, func(o Cell) bool { return o.Name() == c.Name() }) {
			out = append(out, c)
		}
	}
	if strings.TrimSpace(cells) != "" {
		for _, pair := range strings.Split(cells, ",") {
			kv, rv, ok := strings.Cut(strings.TrimSpace(pair), "/")
			if !ok || kv == "" || rv == "" {
				return nil, fmt.Errorf("cell %q: write KUBERNETES/KUBERAY, e.g. 1.24/v1.6.2", strings.TrimSpace(pair))
			}
			k, err := versions.LookupKubernetes(kv)
			if err != nil {
				return nil, fmt.Errorf("cell %q: %v", pair, err)
			}
			r, err := versions.LookupKubeRay(rv)
			if err != nil {
				return nil, fmt.Errorf("cell %q: %v", pair, err)
			}
			add(k, r)
		}
		return sorted(out), nil
	}
	ks, err := list(kubernetes, versions.SupportedKubernetes(), func(v string) (versions.Kubernetes, error) { return versions.LookupKubernetes(v) })
	if err != nil {
		return nil, fmt.Errorf("-kubernetes: %v", err)
	}
	rs, err := list(kuberay, versions.SupportedKubeRay(), versions.LookupKubeRay)
	if err != nil {
		return nil, fmt.Errorf("-kuberay: %v", err)
	}
	for _, k := range ks {
		for _, r := range rs {
			add(k, r)
		}
	}
	return sorted(out), nil
}

func list[T any](csv string, all []string, lookup func(string) (T, error)) ([]T, error) {
	names := all
	if v := strings.TrimSpace(csv); v != "" && v != "all" {
		names = strings.Split(v, ",")
	}
	var out []T
	for _, n := range names {
		t, err := lookup(strings.TrimSpace(n))
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func sorted(cells []Cell) []Cell {
	ks, rs := versions.SupportedKubernetes(), versions.SupportedKubeRay()
	slices.SortStableFunc(cells, func(a, b Cell) int {
		if d := slices.Index(ks, a.Kubernetes.Version) - slices.Index(ks, b.Kubernetes.Version); d != 0 {
			return d
		}
		return slices.Index(rs, a.KubeRay.Version) - slices.Index(rs, b.KubeRay.Version)
	})
	return cells
}

// Result is what one cell's run proved.
type Result struct {
	Cell Cell `json:"-"`
	// Name is the cell as the report names it: "1.24/v1.6.2" for a cell
	// of this command, the directory's name for one Collect read.
	Name string `json:"cell"`
	// Kubernetes, KubeRay and Ray say what the cell ran: the cell's pins,
	// or for a cell Collect read, what its steps.json records.
	Kubernetes string `json:"kubernetes"`
	KubeRay    string `json:"kuberay"`
	Ray        string `json:"ray,omitempty"`
	// Outcome is pass (every step passed, however many checks were
	// skipped: Totals says), fail, or error (the run left no report).
	Outcome string  `json:"outcome"`
	Seconds float64 `json:"seconds"`
	// Dir is the cell's evidence directory, relative to the matrix's.
	Dir    string           `json:"dir"`
	Error  string           `json:"error,omitempty"`
	Totals evidence.Counts  `json:"totals"`
	Report *evidence.Report `json:"report,omitempty"`
}

// Outcomes of a cell besides evidence.Pass and evidence.Fail.
const ErrorOutcome = "error"

// NewResult makes a cell's result from its report (nil when the run left
// none, with runErr saying why).
func NewResult(c Cell, dir string, d time.Duration, rep *evidence.Report, runErr error) Result {
	r := Result{Cell: c, Name: c.String(), Kubernetes: c.Kubernetes.Version, KubeRay: c.KubeRay.Version, Dir: dir, Seconds: d.Round(time.Second).Seconds(), Report: rep}
	r.judge(rep, runErr, c.Kubernetes.Version)
	return r
}

// judge sets the outcome from the report (nil when the run left none, with
// runErr saying why). A cell passes only when its suite exited 0, every
// planned check ran (passed or skipped with a reason) and the API server
// was the release the cell names (wantKubernetes, a version or a minor
// such as "v1.37"; "" when the cell names none).
func (r *Result) judge(rep *evidence.Report, runErr error, wantKubernetes string) {
	if rep == nil {
		r.Outcome = ErrorOutcome
		r.Error = "the run left no steps.json"
		if runErr != nil {
			r.Error += ": " + runErr.Error()
		}
		return
	}
	r.Totals = rep.Totals
	var problems []string
	if runErr != nil {
		problems = append(problems, runErr.Error())
	}
	switch {
	case rep.ExitCode == nil:
		problems = append(problems, "the run did not record its exit status (it ended before the suite did)")
	case *rep.ExitCode != 0 && runErr == nil:
		problems = append(problems, fmt.Sprintf("the suite exited %d", *rep.ExitCode))
	}
	if rep.Totals.NotRun > 0 {
		problems = append(problems, fmt.Sprintf("%d checks not run: a cell must run every check", rep.Totals.NotRun))
	}
	if len(rep.Steps) == 0 {
		problems = append(problems, "no step ran")
	}
	if server := serverVersion(rep); wantKubernetes != "" && server != wantKubernetes && !strings.HasPrefix(server, wantKubernetes+".") {
		problems = append(problems, fmt.Sprintf("the API server is %s, not the cell's %s", server, wantKubernetes))
	}
	r.Error = strings.Join(problems, "; ")
	r.Outcome = evidence.Pass
	if rep.Failed || rep.Totals.Failed > 0 || len(problems) > 0 {
		r.Outcome = evidence.Fail
	}
}

// serverVersion is the API server's version as the run recorded it
// ("v1.24.17 (the API server's own version)"), or "unknown".
func serverVersion(rep *evidence.Report) string {
	for _, m := range rep.Meta {
		if m.Key == "Kubernetes" && strings.Contains(m.Value, "the API server's own version") {
			if f := strings.Fields(m.Value); len(f) > 0 {
				return f[0]
			}
		}
	}
	return "unknown (the run did not record the API server's version)"
}

// Summary is the cell's one line: "PASS 23/26 (3 skipped)", and what
// failed the cell beyond its checks.
func (r Result) Summary() string {
	if r.Report == nil {
		return "ERROR: " + r.Error
	}
	t := r.Totals
	out := fmt.Sprintf("%s %d/%d", strings.ToUpper(r.Outcome), t.Passed, t.Total())
	var rest []string
	for _, p := range []struct {
		n    int
		what string
	}{{t.Failed, "failed"}, {t.Skipped, "skipped"}, {t.NotRun, "not run"}} {
		if p.n > 0 {
			rest = append(rest, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(rest) > 0 {
		out += " (" + strings.Join(rest, ", ") + ")"
	}
	if r.Error != "" {
		out += ": " + r.Error
	}
	return out
}

// Markdown renders matrix.md: a table with a row per KubeRay release and a
// column per Kubernetes release, each cell its checks' counts, its steps'
// results and a link to its evidence and JUnit; then every check that did
// not pass, cell by cell, with its reason.
func Markdown(results []Result, header string) []byte {
	var ks, rs []string
	byCell := map[string]Result{}
	for _, r := range results {
		if !slices.Contains(ks, r.Kubernetes) {
			ks = append(ks, r.Kubernetes)
		}
		if !slices.Contains(rs, r.KubeRay) {
			rs = append(rs, r.KubeRay)
		}
		byCell[r.Kubernetes+"|"+r.KubeRay] = r
	}
	var b strings.Builder
	b.WriteString("# The tutorial on KubeRay × Kubernetes (local tier)\n\n" + header + "\n\n")
	b.WriteString("| KubeRay \\ Kubernetes | " + strings.Join(ks, " | ") + " |\n|---|" + strings.Repeat("---|", len(ks)) + "\n")
	for _, rv := range rs {
		row := []string{rv}
		for _, kv := range ks {
			r, ok := byCell[kv+"|"+rv]
			if !ok {
				row = append(row, "not in this run")
				continue
			}
			row = append(row, cellText(r, true))
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString(notPassed(results))
	return []byte(b.String())
}

// notPassed lists every check that did not pass, cell by cell, with its
// reason, and every cell that left no report.
func notPassed(results []Result) string {
	var rest []string
	for _, r := range results {
		if r.Report == nil {
			rest = append(rest, fmt.Sprintf("- %s: ERROR %s", r.Name, r.Error))
			continue
		}
		for _, s := range r.Report.Steps {
			for _, c := range s.Checks {
				if c.Result == evidence.Pass {
					continue
				}
				what := strings.ToUpper(c.Result)
				if c.Result == "" {
					what = "NOT RUN"
				}
				line := fmt.Sprintf("- %s: %s %s / %s", r.Name, what, s.Name, c.Name)
				if c.Reason != "" {
					line += ": " + strings.Join(strings.Fields(c.Reason), " ")
				}
				rest = append(rest, line)
			}
		}
	}
	if len(rest) == 0 {
		return ""
	}
	return "\nChecks that did not pass:\n\n" + strings.Join(rest, "\n") + "\n"
}

// cellText is a cell of the table: its counts, its steps' results, its
// time and, when links is set, links to its evidence and JUnit (not in a
// job summary, where no relative link leads anywhere).
func cellText(r Result, links bool) string {
	parts := []string{"**" + r.Summary() + "**"}
	if r.Report != nil {
		var steps []string
		for _, s := range r.Report.Steps {
			id, _, _ := strings.Cut(s.Name, " ")
			steps = append(steps, id+" "+s.Summary)
		}
		parts = append(parts, strings.Join(steps, "<br>"))
	}
	last := fmt.Sprintf("%.0fs", r.Seconds)
	if links {
		last += fmt.Sprintf(" · [evidence](%s/)", r.Dir)
		if r.Report != nil {
			last += fmt.Sprintf(" · [JUnit](%s)", path.Join(r.Dir, evidence.JUnitFile))
		}
	}
	parts = append(parts, last)
	return strings.ReplaceAll(strings.Join(parts, "<br>"), "|", "\\|")
}

// JSON renders matrix.json.
func JSON(results []Result, meta map[string]any) ([]byte, error) {
	doc := map[string]any{"cells": results}
	for k, v := range meta {
		doc[k] = v
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	return append(data, '\n'), err
}

// Failed says whether any cell failed or left no report.
func Failed(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Outcome != evidence.Pass })
}
