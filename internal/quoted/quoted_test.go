package quoted

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const printed = `provider:   local
Kubernetes: v1.24.17 (the API server's own version)
chart:      stand-in

STEP                        RESULT                                   TIME    DIR  EVIDENCE
1 the API server audits     PASS 3/3                                 1.03s   -    audit: GET pods/e2e-audit-probe-1 in pod-security
5.2 runs the job            PASS 5/9 (4 skipped: no containers)      20.67s  -    audit: over x's life

checks: 8 passed, 4 skipped, 0 failed, 0 not run
checks that did not pass:
  SKIP     5.2 runs the job / the XGBoost script succeeds: no containers: KWOK
`

func doc(t *testing.T, quote string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "a.md")
	text := "# A\n\nSome prose.\n\n<!-- table: local -->\n```\n" + quote + "```\n\n<!-- table: matrix -->\n| KubeRay \\ Kubernetes | v1.24.17 | v1.37.2 |\n|---|---|---|\n| v1.6.2 | PASS 8/12 (4 skipped) | FAIL 1/12 |\n\nMore.\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAQuoteOfTheSameRunIsHeldToIt(t *testing.T) {
	// Other times, pod names and directories: the same table.
	again := strings.NewReplacer("1.03s", "2s", "20.67s", "1m2s", "probe-1", "probe-99", "-    audit: over", "step-5.2/  audit: over").Replace(printed)
	q, err := Find(doc(t, again), "local")
	if err != nil {
		t.Fatal(err)
	}
	if q.Line != 7 || !SameRun(q, printed) {
		t.Fatalf("quote at line %d, same run %v", q.Line, SameRun(q, printed))
	}
	if d := StepTableDiff(q, printed); len(d) != 0 {
		t.Errorf("the same table differs:\n%s", strings.Join(d, "\n"))
	}
	for name, stale := range map[string]string{
		"counts":      strings.Replace(printed, "PASS 5/9 (4 skipped: no containers)", "PASS 6/9 (3 skipped: no containers)", 1),
		"a check":     strings.Replace(printed, "the XGBoost script succeeds", "the XGBoost script runs", 1),
		"a step name": strings.Replace(printed, "5.2 runs the job  ", "5.2 runs the jobs ", 1),
		"totals":      strings.Replace(printed, "8 passed, 4 skipped", "9 passed, 3 skipped", 1),
	} {
		q, _ := Find(doc(t, stale), "local")
		d := StepTableDiff(q, printed)
		if len(d) < 2 || !strings.Contains(d[0], "a.md:7 quotes a step table") {
			t.Errorf("%s: %q", name, d)
		}
	}
	// Another configuration proves nothing about the quote.
	if SameRun(q, strings.Replace(printed, "provider:   local", "provider:   kind", 1)) {
		t.Error("a kind run taken for the local quote")
	}
	if SameRun(q, strings.Replace(printed, "chart:      stand-in", "chart:      kuberay-operator 1.6.2", 1)) {
		t.Error("a run of another chart taken for the quote")
	}
}

func TestMatrixCells(t *testing.T) {
	q, err := Find(doc(t, printed), "matrix")
	if err != nil {
		t.Fatal(err)
	}
	cells := MatrixCells(q)
	if len(cells) != 2 || cells["v1.24.17/v1.6.2"] != "PASS 8/12 (4 skipped)" || cells["v1.37.2/v1.6.2"] != "FAIL 1/12" {
		t.Errorf("cells %v", cells)
	}
	if _, err := Find(doc(t, printed), "kind"); err == nil || !strings.Contains(err.Error(), "<!-- table: kind -->") {
		t.Errorf("a missing quote: %v", err)
	}
}
