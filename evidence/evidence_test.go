package evidence

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestStepTable(t *testing.T) {
	r, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.Note("3 namespace", "labels set")
	r.Note("3 namespace", "audit:   403\n for probe") // later and stronger; whitespace folded
	r.Finish("3 namespace", Pass, 270*time.Millisecond)
	r.Finish("5.2 runs", Skip, time.Second)
	r.Note("never finished", "x")
	if r.Failed() {
		t.Error("no step failed")
	}
	table := r.Table()
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 {
		t.Fatalf("want header and two finished steps, got:\n%s", table)
	}
	if !strings.Contains(lines[1], "PASS") || !strings.HasSuffix(lines[1], "audit: 403 for probe") || !strings.Contains(lines[1], "270ms") {
		t.Errorf("row: %q", lines[1])
	}
	r.Finish("5.1 rejected", Fail, time.Second)
	if !r.Failed() {
		t.Error("a failed step must mark the run failed")
	}
}

func TestLongEvidenceIsCut(t *testing.T) {
	r, _ := New(t.TempDir())
	r.Note("s", "%s", strings.Repeat("x", 500))
	r.Finish("s", Pass, 0)
	if row := strings.Split(strings.TrimSpace(r.Table()), "\n")[1]; len(row) > 220 || !strings.HasSuffix(row, "...") {
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
