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
	rep.Meta = []evidence.MetaEntry{{Key: "provider", Value: "kind"}, {Key: "Kubernetes", Value: "v1.37.0 (the API server's own version)"},
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
	return &evidence.Report{Steps: []evidence.StepReport{step}, Totals: step.Counts, Failed: failed}
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
		"| kind-k1.24-ray-2.46.0 | v1.37.0 | v1.6.2 | 2.60.0 | **FAIL 1/2 (1 failed)**<br>5.2 FAIL 1/2 (1 failed)<br>212s |",
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
	// kind-k1.24's failed check, and a case for each cell without a report.
	if doc.Failures != 3 || len(doc.Suites) != 5 || doc.Suites[2].Name != "kind-k1.33-ray-2.50.0" {
		t.Errorf("JUnit: %d failures, suites %+v\n%s", doc.Failures, doc.Suites, data)
	}

	for _, bad := range [][]string{nil, {"a/b"}, {".."}} {
		if _, err := Collect(dir, bad); err == nil {
			t.Errorf("Collect(%q) took it", bad)
		}
	}
}
