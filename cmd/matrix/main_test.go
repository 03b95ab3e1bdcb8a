package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/matrix"
)

// Bad flags and cell names stop the command at once with one line and exit
// status 2, before anything is compiled or started.
func TestBadInputExitsTwo(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-cells", "1.30/v1.6.2"}, `matrix: cell "1.30/v1.6.2": Kubernetes version "1.30" is not pinned`},
		{[]string{"-kuberay", "v1.7.0"}, `matrix: -kuberay: KubeRay version "v1.7.0" is not pinned; choose one of v1.5.1, v1.6.2`},
		{[]string{"-parallel", "-1"}, "matrix: -parallel takes 0 (automatic) or more"},
		{[]string{"extra"}, `matrix: unexpected argument "extra"`},
		{[]string{"-cells", "1.24/v1.6.2", "-kubernetes", "1.37"}, "matrix: -cells names the cells itself"},
		{[]string{"-nope"}, "matrix: flag provided but not defined: -nope"},
		{[]string{"-collect", "dir"}, "matrix: -collect needs -expect"},
		{[]string{"-collect", "dir", "-expect", "a", "-cells", "1.24/v1.6.2"}, "matrix: -collect reports cells that ran elsewhere: -cells runs cells here"},
		{[]string{"-expect", "a"}, "matrix: -expect and -title go with -collect"},
		{[]string{"-collect", "dir", "-expect", "a/b"}, `matrix: -collect: cell "a/b": a cell is named by its directory under dir`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != 2 || !strings.HasPrefix(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line %q", c.args, code, stdout.String(), stderr.String(), c.want)
		}
	}
}

// -collect reports cells that ran elsewhere: exit 0 when every expected
// cell's steps.json says it passed, 1 when a cell failed or left nothing,
// with the table, the JSON and one JUnit document written either way.
func TestCollect(t *testing.T) {
	dir := t.TempDir()
	step := evidence.StepReport{Name: "1 audit", Outcome: evidence.Pass, Summary: "PASS 1/1", Counts: evidence.Counts{Passed: 1},
		Checks: []evidence.Check{{Name: "logged", Result: evidence.Pass}}}
	zero := 0
	data, _ := json.Marshal(evidence.Report{Steps: []evidence.StepReport{step}, Totals: step.Counts, ExitCode: &zero,
		Meta: []evidence.MetaEntry{{Key: "Kubernetes", Value: "v1.24.17 (the API server's own version)"}}})
	if err := evidence.Write(filepath.Join(dir, "kind-k1.24"), evidence.ReportFile, data); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		expect string
		code   int
		want   string
	}{
		{"kind-k1.24", 0, "| kind-k1.24 | v1.24.17 | - | - | **PASS 1/1**"},
		{"kind-k1.24, kind-k1.37", 1, "| kind-k1.37 | - | - | - | **ERROR: the run left no steps.json: its job left no evidence"},
	} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"-collect", dir, "-expect", c.expect, "-title", "nightly"}, &stdout, &stderr)
		md, _ := os.ReadFile(filepath.Join(dir, "matrix.md"))
		junit, _ := os.ReadFile(filepath.Join(dir, evidence.JUnitFile))
		if code != c.code || !strings.Contains(string(md), c.want) || !strings.Contains(stdout.String(), c.want) || stderr.Len() != 0 ||
			!strings.Contains(string(junit), `<testsuites name="nightly"`) {
			t.Errorf("-expect %s: exit %d (want %d), stderr %q, matrix.md lacks %q?\n%s\n%s", c.expect, code, c.code, stderr.String(), c.want, md, junit)
		}
	}
}

func TestAutoParallelStaysWithinCoresAndCells(t *testing.T) {
	if n := autoParallel(1); n != 1 {
		t.Errorf("one cell: %d at a time", n)
	}
	if n := autoParallel(100); n < 1 || n > 100 {
		t.Errorf("100 cells: %d at a time", n)
	}
}

// BenchmarkWarmMatrix runs every cell of the matrix with its binaries
// cached, as `make matrix` does, and reports the wall time. README gives its
// figures; run it with
//
//	go test ./cmd/matrix -run '^$' -bench WarmMatrix -benchtime 1x -timeout 60m
//
// It is skipped, saying which, when a cell's binaries are not cached: a
// cold build is not what it measures.
func BenchmarkWarmMatrix(b *testing.B) {
	cells, err := matrix.Cells("all", "all", "")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cells {
		if _, err := binaries.Ensure(context.Background(), c.Kubernetes, binaries.WithKubeRay(c.KubeRay), binaries.WithDeadline(time.Now()), binaries.WithProgress(io.Discard)); err != nil {
			b.Skipf("the binaries of cell %s are not all cached (go run ./cmd/local-binaries -kubernetes %s -kuberay %s): %v", c, c.Kubernetes.Minor(), c.KubeRay.Version, err)
		}
	}
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := run([]string{"-out", b.TempDir()}, &stdout, &stderr)
		b.ReportMetric(time.Since(start).Seconds(), "s/matrix")
		if code != 0 {
			b.Fatalf("matrix exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	}
}
