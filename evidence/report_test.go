package evidence

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// steps.json and junit.xml count what the table counts: a skipped or
// unreached check is never a passing test case, and a step whose setup
// failed is a failure even with no failed check.
func TestReportsAgreeWithTheTable(t *testing.T) {
	dir := t.TempDir()
	r, _ := New(dir)
	r.SetMeta("KubeRay", "v1.6.2")
	r.Plan("4 operator", "installs", "hardened")
	r.RecordCheck("4 operator", "installs", Pass, "")
	r.RecordCheck("4 operator", "hardened", Pass, "")
	r.Finish("4 operator", Pass, 2*time.Second)
	r.Plan("5.2 runs", "admitted", "xgboost", "deleted")
	r.RecordCheck("5.2 runs", "admitted", Pass, "")
	r.RecordCheck("5.2 runs", "xgboost", Skip, "no containers on the local tier")
	r.Finish("5.2 runs", Pass, time.Second)
	r.Plan("5.3 broken", "a", "b")
	r.Note("5.3 broken", "setup: the operator never started")
	r.Finish("5.3 broken", Fail, time.Second)
	if err := r.WriteReports(0); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Passed: 3, Skipped: 1, NotRun: 3}); rep.Totals != want || rep.Totals != r.Totals() {
		t.Errorf("totals %+v, table %+v, want %+v", rep.Totals, r.Totals(), want)
	}
	if !rep.Failed || rep.Steps[1].Summary != "PASS 1/3 (1 skipped: no containers on the local tier, 1 not run)" || rep.Meta[0] != (MetaEntry{"KubeRay", "v1.6.2"}) {
		t.Errorf("report: %+v", rep)
	}
	data, err := rep.JUnit("tutorial")
	if err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	// 7 checks and the failed setup of 5.3: 3 pass, 1 skipped, 3 not run
	// (skipped), 1 failure.
	if suites.Tests != 8 || suites.Skipped != 4 || suites.Failures != 1 {
		t.Errorf("JUnit: %d tests, %d skipped, %d failures\n%s", suites.Tests, suites.Skipped, suites.Failures, data)
	}
	if !strings.Contains(string(data), `<skipped message="no containers on the local tier"></skipped>`) {
		t.Errorf("the skip reason is not in the JUnit:\n%s", data)
	}
	// What the run ran on (the chart, the stand-in's name) reaches JUnit.
	if !strings.Contains(string(data), `<property name="KubeRay" value="v1.6.2"></property>`) {
		t.Errorf("the run's record is not in the JUnit:\n%s", data)
	}
	if rep.ExitCode == nil || *rep.ExitCode != 0 {
		t.Errorf("the exit status is not in steps.json: %v", rep.ExitCode)
	}
	if _, err := ReadReport(t.TempDir()); err == nil {
		t.Error("ReadReport of a directory without steps.json succeeded")
	}
}

// One JUnit document for several runs: each run's steps under its name, and
// a run that left no report is a failure of its own, never a gap.
func TestJUnitRuns(t *testing.T) {
	passed := &Report{Steps: []StepReport{{Name: "1 audit", Outcome: Pass, Counts: Counts{Passed: 1},
		Checks: []Check{{Name: "logged", Result: Pass}}}}}
	parse := func(runs ...JUnitRun) (junitSuites, string) {
		t.Helper()
		data, err := JUnitRuns("nightly", runs)
		if err != nil {
			t.Fatal(err)
		}
		var s junitSuites
		if err := xml.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		return s, string(data)
	}
	quiet, data := parse(JUnitRun{Name: "kind-k1.24", Report: passed}, JUnitRun{Name: "kind-k1.37", Report: passed})
	if quiet.Tests != 2 || quiet.Failures != 0 || len(quiet.Suites) != 2 || quiet.Suites[1].Name != "kind-k1.37 / 1 audit" || quiet.Suites[1].Cases[0].Class != "kind-k1.37 / 1 audit" {
		t.Errorf("two passing runs:\n%s", data)
	}
	fired, data := parse(JUnitRun{Name: "kind-k1.24", Report: passed}, JUnitRun{Name: "kind-k1.37", Error: "the run left no steps.json: its job uploaded no evidence"})
	if fired.Tests != 2 || fired.Failures != 1 || fired.Suites[1].Failures != 1 ||
		!strings.Contains(data, `<testcase name="the run&#39;s steps.json" classname="kind-k1.37">`+"\n"+`      <failure message="the run left no steps.json: its job uploaded no evidence">`) {
		t.Errorf("a run without a report is not a failure:\n%s", data)
	}
}
