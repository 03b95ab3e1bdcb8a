package matrix

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/evidence"
)

func writeCell(t *testing.T, dir, name string, rep *evidence.Report) {
	t.Helper()
	server := "v1.37.0"
	if m := cellMinorRE.FindStringSubmatch(name); m != nil {
		server = "v" + m[1] + ".0"
	}
	rep.Meta = []evidence.MetaEntry{{Key: "provider", Value: "kind"}, {Key: "Kubernetes", Value: server + " (the API server's own version)"},
		{Key: "KubeRay", Value: "v1.6.2 (quay.io/kuberay/operator:v1.6.2)"}, {Key: "Ray", Value: "2.60.0 (image rayproject/ray:2.60.0)"}}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := evidence.Write(filepath.Join(dir, name), evidence.ReportFile, data); err != nil {
		t.Fatal(err)
	}
}

// kindReport is a kind cell's report: every check passed, or step 5.2's
// XGBoost check failed.
func kindReport(failed bool) *evidence.Report {
	step := evidence.StepReport{Name: "5.2 runs", Outcome: evidence.Pass, Summary: "PASS 2/2", Seconds: 211.6,
		Counts: evidence.Counts{Passed: 2}, Checks: []evidence.Check{{Name: "admitted", Result: evidence.Pass}, {Name: "xgboost", Result: evidence.Pass}}}
	if failed {
		step.Outcome, step.Summary, step.Counts = evidence.Fail, "FAIL 1/2 (1 failed)", evidence.Counts{Passed: 1, Failed: 1}
		step.Checks[1].Result = evidence.Fail
	}
	code := 0
	if failed {
		code = 1
	}
	return &evidence.Report{Steps: []evidence.StepReport{step}, Totals: step.Counts, Failed: failed, ExitCode: &code}
}

// Every expected cell is in the report, in order: one whose evidence says
// every step passed passes; one that failed a check, one whose job left no
// directory and one whose directory has no steps.json all fail the report.
func TestCollect(t *testing.T) {
	dir := t.TempDir()
	writeCell(t, dir, "kind-k1.37-ray-2.60.0", kindReport(false))
	quiet, err := Collect(dir, []string{"kind-k1.37-ray-2.60.0"})
	if err != nil || len(quiet) != 1 || quiet[0].Outcome != evidence.Pass || Failed(quiet) {
		t.Fatalf("one passing cell: %+v, %v", quiet, err)
	}
	if r := quiet[0]; r.Kubernetes != "v1.37.0" || r.KubeRay != "v1.6.2" || r.Ray != "2.60.0" || r.Summary() != "PASS 2/2" {
		t.Errorf("what the cell ran, from its steps.json: %+v (%s)", r, r.Summary())
	}

	writeCell(t, dir, "kind-k1.24-ray-2.46.0", kindReport(true))
	if err := os.MkdirAll(filepath.Join(dir, "kind-k1.29-ray-2.46.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeCell(t, dir, "kind-k1.40-ray-3.0.0", kindReport(false)) // not expected
	results, err := Collect(dir, []string{"kind-k1.24-ray-2.46.0", "kind-k1.37-ray-2.60.0", "kind-k1.33-ray-2.50.0", "kind-k1.29-ray-2.46.0"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		got = append(got, r.Name+" "+r.Outcome)
	}
	want := "kind-k1.24-ray-2.46.0 fail, kind-k1.37-ray-2.60.0 pass, kind-k1.33-ray-2.50.0 error, kind-k1.29-ray-2.46.0 error, kind-k1.40-ray-3.0.0 pass"
	if strings.Join(got, ", ") != want || !Failed(results) {
		t.Fatalf("cells %s\nwant %s", strings.Join(got, ", "), want)
	}
	if !strings.Contains(results[2].Error, "its job left no evidence") || !strings.Contains(results[3].Error, "steps.json") {
		t.Errorf("why the cells have no report: %q, %q", results[2].Error, results[3].Error)
	}

	md := string(RunsMarkdown(results, "The tutorial on Kind, nightly", "header"))
	for _, want := range []string{
		"# The tutorial on Kind, nightly\n\nheader\n\n| cell | Kubernetes | KubeRay | Ray | result |\n",
		"| kind-k1.37-ray-2.60.0 | v1.37.0 | v1.6.2 | 2.60.0 | **PASS 2/2**<br>5.2 PASS 2/2<br>212s |",
		"| kind-k1.24-ray-2.46.0 | v1.24.0 | v1.6.2 | 2.60.0 | **FAIL 1/2 (1 failed): the suite exited 1**<br>5.2 FAIL 1/2 (1 failed)<br>212s |",
		"- kind-k1.24-ray-2.46.0: FAIL 5.2 runs / xgboost",
		"| kind-k1.33-ray-2.50.0 | - | - | - | **ERROR: the run left no steps.json: its job left no evidence",
		"- kind-k1.33-ray-2.50.0: ERROR the run left no steps.json",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "](") {
		t.Errorf("a job summary's table has links that lead nowhere:\n%s", md)
	}

	data, err := JUnit(results, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	// kind-k1.24's failed check and its exit status, and a case for each
	// cell without a report.
	if doc.Failures != 4 || len(doc.Suites) != 6 || doc.Suites[3].Name != "kind-k1.33-ray-2.50.0" {
		t.Errorf("JUnit: %d failures, suites %+v\n%s", doc.Failures, doc.Suites, data)
	}

	for _, bad := range [][]string{nil, {"a/b"}, {".."}} {
		if _, err := Collect(dir, bad); err == nil {
			t.Errorf("Collect(%q) took it", bad)
		}
	}
}

// A cell whose checks all passed still fails when the suite did not say it
// ended well, left checks not run, or ran another Kubernetes than its name.
func TestCollectJudgesTheRunAsAWhole(t *testing.T) {
	one := func(mutate func(*evidence.Report), name string) Result {
		t.Helper()
		dir := t.TempDir()
		rep := kindReport(false)
		writeCell(t, dir, name, rep)
		if mutate != nil {
			data, _ := os.ReadFile(filepath.Join(dir, name, evidence.ReportFile))
			var r evidence.Report
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatal(err)
			}
			mutate(&r)
			data, _ = json.Marshal(r)
			if err := evidence.Write(filepath.Join(dir, name), evidence.ReportFile, data); err != nil {
				t.Fatal(err)
			}
		}
		res, err := Collect(dir, []string{name})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	if r := one(nil, "kind-k1.37-ray-2.60.0"); r.Outcome != evidence.Pass {
		t.Errorf("the cell as it should be: %s", r.Summary())
	}
	for _, c := range []struct {
		name, cell string
		mutate     func(*evidence.Report)
		want       string
	}{
		{"exit status", "kind-k1.37-ray-2.60.0", func(r *evidence.Report) { two := 2; r.ExitCode = &two }, "the suite exited 2"},
		{"no exit status", "kind-k1.37-ray-2.60.0", func(r *evidence.Report) { r.ExitCode = nil }, "did not record its exit status"},
		{"not run", "kind-k1.37-ray-2.60.0", func(r *evidence.Report) { r.Totals.NotRun = 45 }, "45 checks not run"},
		{"another Kubernetes", "kind-k1.24-ray-2.46.0", func(r *evidence.Report) { r.Meta[1].Value = "v1.37.0 (the API server's own version)" }, "the API server is v1.37.0, not the cell's v1.24"},
		{"unknown server", "kind-k1.24-ray-2.46.0", func(r *evidence.Report) { r.Meta[1].Value = "unknown: the API server did not say" }, "the API server is unknown"},
	} {
		r := one(c.mutate, c.cell)
		if r.Outcome != evidence.Fail || !strings.Contains(r.Summary(), c.want) {
			t.Errorf("%s: %s %q, want a failure saying %q", c.name, r.Outcome, r.Summary(), c.want)
		}
	}
}
