// Cells run elsewhere: the nightly workflow runs each kind cell in a job of
// its own and a last job downloads their evidence directories; the matrix
// reads them as it reads its own cells, so that one table and one JUnit
// document say what every cell proved.

package matrix

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/evidence"
)

// Collect reads the evidence of cells run elsewhere: dir holds one
// directory per cell, named for it, with the cell's steps.json. The cells
// named in expect come first, in that order. An expected cell with no
// directory, or whose steps.json cannot be read, is an error result: its
// job crashed, timed out or was cancelled before it uploaded a report, and
// it must read as a failure, not as a gap in the table. Directories that
// were not expected follow, sorted: they are evidence too.
func Collect(dir string, expect []string) ([]Result, error) {
	if len(expect) == 0 {
		return nil, errors.New("no cells expected: name every cell that should have run, or a cell that left nothing would go unnoticed")
	}
	for _, name := range expect {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("cell %q: a cell is named by its directory under %s", name, dir)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var extra []string
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(expect, e.Name()) {
			extra = append(extra, e.Name())
		}
	}
	slices.Sort(extra)
	var out []Result
	for _, name := range append(slices.Clone(expect), extra...) {
		if slices.ContainsFunc(out, func(r Result) bool { return r.Name == name }) {
			continue
		}
		out = append(out, collectOne(dir, name))
	}
	return out, nil
}

func collectOne(dir, name string) Result {
	r := Result{Name: name, Dir: name, Kubernetes: "-", KubeRay: "-", Ray: "-"}
	cellDir := filepath.Join(dir, name)
	if _, err := os.Stat(cellDir); err != nil {
		r.judge(nil, errors.New("its job left no evidence (it crashed, timed out or was cancelled before uploading)"), "")
		return r
	}
	rep, err := evidence.ReadReport(cellDir)
	if err != nil {
		r.judge(nil, err, "")
		return r
	}
	// What the cell ran, as its run recorded it ("v1.24.17 (the API
	// server's own version)"): the first word, the version.
	for _, m := range rep.Meta {
		var field *string
		switch m.Key {
		case "Kubernetes":
			field = &r.Kubernetes
		case "KubeRay":
			field = &r.KubeRay
		case "Ray":
			field = &r.Ray
		default:
			continue
		}
		if f := strings.Fields(m.Value); len(f) > 0 {
			*field = f[0]
		}
	}
	for _, s := range rep.Steps {
		r.Seconds += s.Seconds
	}
	r.Seconds = float64(int(r.Seconds + 0.5))
	r.Report = &rep
	// A nightly cell names its Kubernetes minor (kind-k1.37-…): the node
	// image kind publishes may be another patch than the local tier's pin.
	want := ""
	if m := cellMinorRE.FindStringSubmatch(name); m != nil {
		want = "v" + m[1]
	}
	r.judge(&rep, nil, want)
	return r
}

// cellMinorRE is the Kubernetes minor a cell's name gives ("kind-k1.37-ray-2.60.0").
var cellMinorRE = regexp.MustCompile(`(?:^|-)k(\d+\.\d+)(?:-|$)`)

// RunsMarkdown renders cells that Collect read as one table, a row per
// cell with what it ran, then every check that did not pass. It has no
// links: it is read as a job summary, where the evidence is an artifact.
func RunsMarkdown(results []Result, title, header string) []byte {
	var b strings.Builder
	b.WriteString("# " + title + "\n\n" + header + "\n\n")
	b.WriteString("| cell | Kubernetes | KubeRay | Ray | result |\n|---|---|---|---|---|\n")
	for _, r := range results {
		b.WriteString("| " + strings.Join([]string{r.Name, r.Kubernetes, r.KubeRay, r.Ray, cellText(r, false)}, " | ") + " |\n")
	}
	b.WriteString(notPassed(results))
	return []byte(b.String())
}

// JUnit renders every cell's checks as one JUnit document, each cell's
// steps under its name; a cell that left no report is a failing case.
func JUnit(results []Result, name string) ([]byte, error) {
	runs := make([]evidence.JUnitRun, len(results))
	for i, r := range results {
		runs[i] = evidence.JUnitRun{Name: r.Name, Report: r.Report, Error: r.Error}
	}
	return evidence.JUnitRuns(name, runs)
}
