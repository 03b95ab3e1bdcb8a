// Package evidence keeps one run's record: the step table (step, result,
// duration, one line of evidence) and the files saved for a reader of a
// failed or requested run (logs, events, objects, the audit log).
package evidence

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Results of a step.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Step is one row of the table.
type Step struct {
	Name     string
	Result   string
	Duration time.Duration
	Evidence string
}

// Run is one run's record.
type Run struct {
	Dir string

	mu    sync.Mutex
	steps []*Step
}

// New creates the run directory.
func New(dir string) (*Run, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the run's output directory %s: %w (set E2E_OUTPUT_DIR to a writable place)", dir, err)
	}
	return &Run{Dir: dir}, nil
}

func (r *Run) step(name string) *Step {
	for _, s := range r.steps {
		if s.Name == name {
			return s
		}
	}
	s := &Step{Name: name}
	r.steps = append(r.steps, s)
	return s
}

// Note sets the evidence line of a step; a later note replaces an earlier
// one, so a step notes its strongest evidence last.
func (r *Run) Note(step, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	r.step(step).Evidence = line
}

// Finish records a step's result and duration.
func (r *Run) Finish(step, result string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.step(step)
	s.Result, s.Duration = result, d
}

// Steps returns a copy of the rows, in the order the steps first appeared.
func (r *Run) Steps() []Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Step, 0, len(r.steps))
	for _, s := range r.steps {
		if s.Result != "" {
			out = append(out, *s)
		}
	}
	return out
}

// Failed reports whether any step failed.
func (r *Run) Failed() bool {
	for _, s := range r.Steps() {
		if s.Result == Fail {
			return true
		}
	}
	return false
}

// Table renders the step table.
func (r *Run) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tRESULT\tTIME\tEVIDENCE")
	for _, s := range r.Steps() {
		ev := s.Evidence
		if len(ev) > 160 {
			ev = ev[:157] + "..."
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.Name, strings.ToUpper(s.Result), s.Duration.Round(10*time.Millisecond), ev)
	}
	w.Flush()
	return b.String()
}

// WriteFile saves data under the run directory, creating parents.
func (r *Run) WriteFile(name string, data []byte) error {
	p := filepath.Join(r.Dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// Path is name under the run directory.
func (r *Run) Path(name string) string { return filepath.Join(r.Dir, name) }

// RemoveIfEmpty removes the run directory when nothing was saved in it (a
// dry run, or a run that ended before any step).
func (r *Run) RemoveIfEmpty() {
	entries, err := os.ReadDir(r.Dir)
	if err == nil && len(entries) == 0 {
		_ = os.Remove(r.Dir)
	}
}
