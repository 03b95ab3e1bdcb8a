// The run's record for machines: steps.json (what the matrix reads) and
// junit.xml, both made from the same per-check results as the step table,
// so that the three agree on passed, skipped and failed.

package evidence

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ReportFile and JUnitFile are the names Run.WriteReports gives its files.
const (
	ReportFile = "steps.json"
	JUnitFile  = "junit.xml"
)

// Report is a run's record as data.
type Report struct {
	Meta   []MetaEntry  `json:"meta"`
	Steps  []StepReport `json:"steps"`
	Totals Counts       `json:"totals"`
	// Failed is set when a step or a setup failed.
	Failed bool `json:"failed"`
	// ExitCode is the suite's exit status (go test's), which a check
	// cannot carry: a run that requires every capability and skipped one
	// fails the test, not a check. Nil in a report written before the
	// suite ended.
	ExitCode *int `json:"exit_code,omitempty"`
}

// MetaEntry is one line of what the run ran on.
type MetaEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// StepReport is one row of the step table.
type StepReport struct {
	Name     string  `json:"name"`
	Outcome  string  `json:"outcome"` // pass, fail, skip, not run
	Summary  string  `json:"summary"` // the table's RESULT cell
	Counts   Counts  `json:"counts"`
	Seconds  float64 `json:"seconds"`
	Dir      string  `json:"dir,omitempty"` // the step's directory, when it holds anything
	Evidence string  `json:"evidence,omitempty"`
	Checks   []Check `json:"checks"`
}

// Report is the run's record so far.
func (r *Run) Report() Report {
	var rep Report
	for _, kv := range r.Meta() {
		rep.Meta = append(rep.Meta, MetaEntry{kv[0], kv[1]})
	}
	for _, s := range r.Steps() {
		sr := StepReport{Name: s.Name, Outcome: s.Outcome(), Summary: s.Summary(), Counts: s.Counts(),
			Seconds: s.Duration.Round(time.Millisecond).Seconds(), Evidence: s.Evidence, Checks: s.Checks}
		if cell := r.stepDirCell(s.Name); cell != "-" {
			sr.Dir = cell
		}
		rep.Steps = append(rep.Steps, sr)
		rep.Totals.add(sr.Counts)
		rep.Failed = rep.Failed || sr.Outcome == Fail
	}
	return rep
}

// WriteReports writes steps.json and junit.xml into the run directory,
// with the suite's exit status.
func (r *Run) WriteReports(exitCode int) error {
	rep := r.Report()
	rep.ExitCode = &exitCode
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := r.WriteFile(ReportFile, append(data, '\n')); err != nil {
		return err
	}
	junit, err := rep.JUnit("tutorial")
	if err != nil {
		return err
	}
	return r.WriteFile(JUnitFile, junit)
}

// ReadReport reads the steps.json of the run directory dir.
func ReadReport(dir string) (Report, error) {
	var rep Report
	data, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("%s: %w", filepath.Join(dir, ReportFile), err)
	}
	return rep, nil
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string         `xml:"name,attr"`
	Properties *junitProperty `xml:"properties,omitempty"`
	Tests      int            `xml:"tests,attr"`
	Failures   int            `xml:"failures,attr"`
	Skipped    int            `xml:"skipped,attr"`
	Time       string         `xml:"time,attr"`
	Cases      []junitCase    `xml:"testcase"`
}

// junitProperty holds the run's record (provider, versions, chart), so that
// a JUnit reader sees what the checks ran on.
type junitProperty struct {
	Items []junitItem `xml:"property"`
}

type junitItem struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name    string        `xml:"name,attr"`
	Class   string        `xml:"classname,attr"`
	Skipped *junitMessage `xml:"skipped,omitempty"`
	Failure *junitMessage `xml:"failure,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
}

// JUnit renders the report as JUnit XML: a test suite per step, a test case
// per check. A skipped check is <skipped> with its reason and a check that
// did not run is <skipped> saying so: neither is ever a passing case. A step
// that failed outside its checks (setup, teardown) gets a failing case of
// its own.
func (rep Report) JUnit(name string) ([]byte, error) {
	return marshalJUnit(name, rep.junitSuites(""))
}

// JUnitRun is one run of a combined JUnit document: its name and its
// report, or nil and why there is none.
type JUnitRun struct {
	Name   string
	Report *Report
	Error  string
}

// JUnitRuns renders several runs (the nightly's cells) as one JUnit
// document, so that one check shows them all: each run's steps are suites
// named "RUN / STEP". A run without a report is a suite with one failing
// case saying why, so that a run that crashed before writing steps.json
// fails the document instead of leaving it.
func JUnitRuns(name string, runs []JUnitRun) ([]byte, error) {
	var suites []junitSuite
	for _, r := range runs {
		if r.Report == nil {
			suites = append(suites, countSuite(junitSuite{Name: r.Name, Time: "0.000", Cases: []junitCase{{
				Name: "the run's " + ReportFile, Class: r.Name, Failure: &junitMessage{Message: r.Error}}}}))
			continue
		}
		suites = append(suites, r.Report.junitSuites(r.Name+" / ")...)
		// A run its checks call passed can still have failed: it exited
		// non-zero, left checks not run, or ran another version.
		if r.Error != "" {
			suites = append(suites, countSuite(junitSuite{Name: r.Name, Time: "0.000", Cases: []junitCase{{
				Name: "the run as a whole", Class: r.Name, Failure: &junitMessage{Message: r.Error}}}}))
		}
	}
	return marshalJUnit(name, suites)
}

func (rep Report) junitSuites(prefix string) []junitSuite {
	var suites []junitSuite
	for _, s := range rep.Steps {
		suite := junitSuite{Name: prefix + s.Name, Time: fmt.Sprintf("%.3f", s.Seconds)}
		if len(rep.Meta) > 0 {
			suite.Properties = &junitProperty{}
			for _, m := range rep.Meta {
				suite.Properties.Items = append(suite.Properties.Items, junitItem{m.Key, m.Value})
			}
		}
		for _, c := range s.Checks {
			jc := junitCase{Name: c.Name, Class: prefix + s.Name}
			switch c.Result {
			case Pass:
			case Skip:
				jc.Skipped = &junitMessage{Message: c.Reason}
			case Fail:
				jc.Failure = &junitMessage{Message: "the check failed; the run's log and " + s.Name + "'s directory say why"}
			default:
				jc.Skipped = &junitMessage{Message: "not run: " + s.Summary}
			}
			suite.Cases = append(suite.Cases, jc)
		}
		if s.Outcome == Fail && s.Counts.Failed == 0 {
			suite.Cases = append(suite.Cases, junitCase{Name: "setup and teardown", Class: prefix + s.Name,
				Failure: &junitMessage{Message: s.Summary + ": " + s.Evidence}})
		}
		suites = append(suites, countSuite(suite))
	}
	return suites
}

func countSuite(suite junitSuite) junitSuite {
	for _, c := range suite.Cases {
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	return suite
}

func marshalJUnit(name string, suites []junitSuite) ([]byte, error) {
	all := junitSuites{Name: name, Suites: suites}
	for _, s := range suites {
		all.Tests, all.Failures, all.Skipped = all.Tests+s.Tests, all.Failures+s.Failures, all.Skipped+s.Skipped
	}
	data, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(data, '\n')...), nil
}
