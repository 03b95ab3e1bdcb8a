package matrix

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestCells(t *testing.T) {
	all, err := Cells("all", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(versions.KubernetesReleases)*len(versions.KubeRayReleases) {
		t.Errorf("all: %d cells", len(all))
	}
	if all[0].String() != "1.24/v1.5.1" || all[1].String() != "1.24/v1.6.2" {
		t.Errorf("order: %v, %v", all[0], all[1])
	}
	two, err := Cells("", "", "1.34/1.5, 1.24/v1.6.2,1.24/1.6")
	if err != nil || len(two) != 2 || two[0].Name() != "k1.24-kuberay-v1.6.2" || two[1].String() != "1.34/v1.5.1" {
		t.Errorf("-cells with a duplicate: %v, %v", two, err)
	}
	for _, bad := range []struct{ k, r, cells, want string }{
		{"", "", "1.30/v1.6.2", `cell "1.30/v1.6.2": Kubernetes version "1.30" is not pinned; choose one of v1.24.17`},
		{"", "", "1.24/v1.7.0", `cell "1.24/v1.7.0": KubeRay version "v1.7.0" is not pinned; choose one of v1.5.1, v1.6.2`},
		{"", "", "1.24", `cell "1.24": write KUBERNETES/KUBERAY, e.g. 1.24/v1.6.2`},
		{"1.19", "", "", `-kubernetes: Kubernetes version "1.19" is not pinned`},
		{"", "v2", "", `-kuberay: KubeRay version "v2" is not pinned`},
	} {
		_, err := Cells(bad.k, bad.r, bad.cells)
		if err == nil || !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "E2E_") {
			t.Errorf("Cells(%q, %q, %q) = %v; want %q and no E2E_ variable", bad.k, bad.r, bad.cells, err, bad.want)
		}
	}
}

func report(skipped, failed int, server string) *evidence.Report {
	step := evidence.StepReport{Name: "5.2 runs", Outcome: evidence.Pass, Summary: "PASS 2/3 (1 skipped: no containers on the local tier)",
		Checks: []evidence.Check{{Name: "admitted", Result: evidence.Pass}, {Name: "ready", Result: evidence.Pass}, {Name: "xgboost", Result: evidence.Skip, Reason: "no containers on the local tier: KWOK"}}}
	step.Counts = evidence.Counts{Passed: 2, Skipped: skipped}
	code := 0
	if failed > 0 {
		code = 1
	}
	rep := &evidence.Report{Steps: []evidence.StepReport{step}, Totals: evidence.Counts{Passed: 2, Skipped: skipped, Failed: failed}, Failed: failed > 0, ExitCode: &code,
		Meta: []evidence.MetaEntry{{Key: "Kubernetes", Value: server + " (the API server's own version)"}}}
	return rep
}

// A cell reads what its steps.json says: skipped checks stay skipped, a
// failed one fails the cell, and a run without a report is an error.
func TestResultsAndReports(t *testing.T) {
	cell := func(s string) Cell {
		c, err := Cells("", "", s)
		if err != nil {
			t.Fatal(err)
		}
		return c[0]
	}
	cells := []Cell{cell("1.24/v1.6.2"), cell("1.37/v1.6.2"), cell("1.24/v1.5.1")}
	results := []Result{
		NewResult(cells[0], "cells/"+cells[0].Name(), 40*time.Second, report(1, 0, "v1.24.17"), nil),
		NewResult(cells[1], "cells/"+cells[1].Name(), 41*time.Second, report(1, 1, "v1.37.2"), errors.New("exit status 1")),
		NewResult(cells[2], "cells/"+cells[2].Name(), time.Second, nil, errors.New("signal: killed")),
	}
	if got := results[0].Summary(); got != "PASS 2/3 (1 skipped)" {
		t.Errorf("passing cell: %s", got)
	}
	if got := results[1].Summary(); results[1].Outcome != evidence.Fail || got != "FAIL 2/4 (1 failed, 1 skipped): exit status 1" {
		t.Errorf("failing cell: %s", got)
	}
	if results[2].Outcome != ErrorOutcome || !strings.Contains(results[2].Summary(), "signal: killed") {
		t.Errorf("cell without a report: %+v", results[2])
	}
	if !Failed(results) || Failed(results[:1]) {
		t.Error("Failed")
	}
	md := string(Markdown(results, "header"))
	for _, want := range []string{
		"| KubeRay \\ Kubernetes | v1.24.17 | v1.37.2 |",
		"| v1.6.2 | **PASS 2/3 (1 skipped)**<br>5.2 PASS 2/3 (1 skipped: no containers on the local tier)<br>40s · [evidence](cells/k1.24-kuberay-v1.6.2/) · [JUnit](cells/k1.24-kuberay-v1.6.2/junit.xml) | **FAIL 2/4 (1 failed, 1 skipped): exit status 1**",
		"| v1.5.1 | **ERROR: the run left no steps.json: signal: killed**<br>1s · [evidence](cells/k1.24-kuberay-v1.5.1/) | not in this run |",
		"- 1.24/v1.6.2: SKIP 5.2 runs / xgboost: no containers on the local tier: KWOK",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix.md lacks %q:\n%s", want, md)
		}
	}
	js, err := JSON(results, map[string]any{"parallel": 2})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parallel int      `json:"parallel"`
		Cells    []Result `json:"cells"`
	}
	if err := json.Unmarshal(js, &doc); err != nil || doc.Parallel != 2 || len(doc.Cells) != 3 || doc.Cells[1].Totals.Failed != 1 || doc.Cells[0].KubeRay != "v1.6.2" {
		t.Errorf("matrix.json: %v\n%s", err, js)
	}
}
