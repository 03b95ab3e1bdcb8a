package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStepTable(t *testing.T) {
	r, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.SetMeta("provider", "local")
	r.SetMeta("Kubernetes", "v1.24.17")
	r.SetMeta("provider", "kind") // replaced in place
	r.Plan("3 namespace", "labels", "refused")
	r.Note("3 namespace", "labels set")
	r.Note("3 namespace", "audit:   403\n for probe") // later and stronger; whitespace folded
	r.RecordCheck("3 namespace", "labels", Pass, "")
	r.RecordCheck("3 namespace", "refused", Pass, "")
	r.Finish("3 namespace", Pass, 270*time.Millisecond)
	r.Note("never finished", "x")
	if r.Failed() {
		t.Error("no step failed")
	}
	table := r.Table()
	if !strings.HasPrefix(table, "provider:   kind\nKubernetes: v1.24.17\n") {
		t.Errorf("the table must start with what the run ran on:\n%s", table)
	}
	row := rowOf(t, table, "3 namespace")
	if !strings.Contains(row, "PASS 2/2 ") || !strings.HasSuffix(row, "audit: 403 for probe") || !strings.Contains(row, "270ms") {
		t.Errorf("row: %q", row)
	}
	if strings.Contains(table, "never finished") {
		t.Errorf("a step that never finished has no row:\n%s", table)
	}
	if !strings.Contains(row, " - ") {
		t.Errorf("a step that saved nothing links no directory: %q", row)
	}
	if err := os.WriteFile(filepath.Join(mkdir(t, r.StepDir("3 namespace")), "pods.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if row := rowOf(t, r.Table(), "3 namespace"); !strings.Contains(row, " step-3/ ") || r.StepDir("3 namespace") != filepath.Join(r.Dir, "step-3") {
		t.Errorf("a step's own directory is linked from its row: %q", row)
	}
	if len(r.SkippedChecks()) != 0 {
		t.Errorf("nothing was skipped: %q", r.SkippedChecks())
	}
	if !strings.Contains(table, "checks: 2 passed, 0 skipped, 0 failed, 0 not run") || strings.Contains(table, "did not pass") {
		t.Errorf("totals:\n%s", table)
	}
}

// The row of a step with a skipped check never reads a bare PASS: it says
// how many passed, how many were skipped and why. This is what the local
// tier's step 5.2 used to hide behind "PASS".
func TestSkippedChecksShowInTheRow(t *testing.T) {
	r, _ := New(t.TempDir())
	r.Plan("5.2 runs", "admitted", "ready", "audit", "xgboost", "dashboard", "pip", "deleted")
	for _, c := range []string{"admitted", "ready", "audit", "deleted"} {
		r.RecordCheck("5.2 runs", c, Pass, "")
	}
	for _, c := range []string{"xgboost", "dashboard", "pip"} {
		r.RecordCheck("5.2 runs", c, Skip, "no containers on the local tier: its node is a KWOK fake (use E2E_PROVIDER=kind)")
	}
	r.Finish("5.2 runs", Pass, time.Second)
	table := r.Table()
	row := rowOf(t, table, "5.2 runs")
	if !strings.Contains(row, "PASS 4/7 (3 skipped: no containers on the local tier)") {
		t.Errorf("row: %q", row)
	}
	if !strings.Contains(table, "checks: 4 passed, 3 skipped, 0 failed, 0 not run") {
		t.Errorf("totals:\n%s", table)
	}
	if skipped := r.SkippedChecks(); len(skipped) != 3 || skipped[2] != "5.2 runs / pip: no containers on the local tier: its node is a KWOK fake (use E2E_PROVIDER=kind)" {
		t.Errorf("SkippedChecks: %q", skipped)
	}
	if !strings.Contains(table, "SKIP     5.2 runs / pip: no containers on the local tier: its node is a KWOK fake (use E2E_PROVIDER=kind)") {
		t.Errorf("the whole reason of each skipped check is listed:\n%s", table)
	}
	if r.Failed() {
		t.Error("skipped is not failed")
	}
}

func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		result  string
		checks  []Check
		summary string
	}{
		{"all skipped", Pass, []Check{{Name: "a", Result: Skip, Reason: "no audit log: E2E_AUDIT_LOG unset"}}, "SKIP 0/1 (1 skipped: no audit log)"},
		{"failed check", Fail, []Check{{Name: "a", Result: Pass}, {Name: "b", Result: Fail}, {Name: "c"}}, "FAIL 1/3 (1 failed, 1 not run)"},
		// A setup that failed before any check ran: the checks were planned.
		{"setup failed", Fail, []Check{{Name: "a"}, {Name: "b"}}, "FAIL 0/2 (setup or teardown failed, 2 not run)"},
		{"teardown failed", Fail, []Check{{Name: "a", Result: Pass}}, "FAIL 1/1 (setup or teardown failed)"},
		// Every check left out by a filter: nothing was proven, so no PASS.
		{"all filtered", Pass, []Check{{Name: "a"}, {Name: "b"}}, "NOT RUN 0/2"},
		// Planned, and its test never started (-run picked another step).
		{"never started", "", []Check{{Name: "a"}, {Name: "b"}, {Name: "c"}}, "NOT RUN 0/3"},
		// A filter (-args --assess) left checks out: still not a bare PASS.
		{"filtered", Pass, []Check{{Name: "a", Result: Pass}, {Name: "b"}}, "PASS 1/2 (1 not run)"},
		{"skip without reason", Pass, []Check{{Name: "a", Result: Pass}, {Name: "b", Result: Skip}}, "PASS 1/2 (1 skipped: no reason given)"},
		{"two reasons", Pass, []Check{{Name: "a", Result: Skip, Reason: "x: 1"}, {Name: "b", Result: Skip, Reason: "y"}, {Name: "c", Result: Skip, Reason: "x: 2"}}, "SKIP 0/3 (3 skipped: x; y)"},
		// A step that checked nothing proved nothing: a mistake, not a pass.
		{"no checks", Pass, nil, "FAIL (the step has no checks: it proves nothing)"},
		// A setup that failed before any step: its own row, no checks.
		{"failed setup row", Fail, nil, "FAIL"},
		{"skipped, no checks", Skip, nil, "SKIP"},
		// Only a lint of the repository's files passed: the cluster proved
		// nothing (step 1 on a cluster whose audit log cannot be read).
		{"static only", Pass, []Check{{Name: "live", Result: Skip, Reason: "no audit log: x"}, {Name: "lint", Result: Pass, Static: true}}, "SKIP 1/2 (1 skipped: no audit log, " + StaticOnly + ")"},
		{"static and live", Pass, []Check{{Name: "live", Result: Pass}, {Name: "lint", Result: Pass, Static: true}}, "PASS 2/2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Step{Name: "s", Result: tc.result, Checks: tc.checks}
			if got := s.Summary(); got != tc.summary {
				t.Errorf("Summary() = %q, want %q", got, tc.summary)
			}
			r, _ := New(t.TempDir())
			for _, c := range tc.checks {
				r.Plan("s", c.Name)
				if c.Static {
					r.MarkStatic("s", c.Name)
				}
				if c.Result != "" {
					r.RecordCheck("s", c.Name, c.Result, c.Reason)
				}
			}
			if tc.result != "" {
				r.Finish("s", tc.result, 0)
			}
			if steps := r.Steps(); len(steps) != 1 || steps[0].Summary() != tc.summary {
				t.Errorf("the run's row: %+v", steps)
			}
			if got, want := r.Failed(), strings.HasPrefix(tc.summary, "FAIL"); got != want {
				t.Errorf("Failed() = %v, want %v", got, want)
			}
		})
	}
}

func TestLongEvidenceIsCut(t *testing.T) {
	r, _ := New(t.TempDir())
	r.Plan("s", "c")
	r.RecordCheck("s", "c", Pass, "")
	r.Note("s", "%s", strings.Repeat("x", 500))
	r.Finish("s", Pass, 0)
	if row := rowOf(t, r.Table(), "s"); len(row) > 220 || !strings.HasSuffix(row, "...") {
		t.Errorf("row not cut: %d chars", len(row))
	}
}

func TestFilesAndEmptyRunRemoval(t *testing.T) {
	dir := t.TempDir() + "/run"
	r, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.RemoveIfEmpty()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("an empty run directory must go")
	}
	r, _ = New(dir)
	if err := r.WriteFile("objects/pods.yaml", []byte("kind: List\n")); err != nil {
		t.Fatal(err)
	}
	r.RemoveIfEmpty()
	if _, err := os.Stat(r.Path("objects/pods.yaml")); err != nil {
		t.Fatal("a run directory with evidence must stay")
	}
	if _, err := New("/proc/no/such/place"); err == nil || !strings.Contains(err.Error(), "E2E_OUTPUT_DIR") {
		t.Errorf("unwritable directory: %v", err)
	}
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func rowOf(t *testing.T, table, step string) string {
	t.Helper()
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, step+" ") {
			return l
		}
	}
	t.Fatalf("no row for %q in:\n%s", step, table)
	return ""
}
