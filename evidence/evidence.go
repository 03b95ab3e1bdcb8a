// Package evidence keeps one run's record: what ran (provider and versions),
// the step table (each step's checks passed, skipped with their reason,
// failed or not run, its duration and one line of evidence) and the files
// saved for a reader of a failed or requested run (logs, events, objects, the
// audit log). A step is never reported as passed beyond what its checks
// proved: one skipped check shows in the step's result.
package evidence

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Results of a step or a check. A check planned but never reached (the
// step's setup failed, an earlier check stopped the step, or a filter left
// it out) has no result: it is "not run".
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
	// NotRun is the outcome of a step none of whose checks ran: it never
	// started (a -run or --feature filter), or a filter left out every check.
	NotRun = "not run"
)

// Check is one assessment of a step.
type Check struct {
	Name   string `json:"name"`
	Result string `json:"result,omitempty"` // Pass, Fail, Skip, or "" when it never ran
	Reason string `json:"reason,omitempty"` // why it was skipped
	// Static marks a check that reads only this repository's files (a
	// lint of audit-policy.yaml, say), nothing of the cluster: it alone
	// cannot make a step pass.
	Static bool `json:"static,omitempty"`
}

// StaticOnly is the reason of a step whose only passing checks are static.
const StaticOnly = "only checks of this repository's files passed, nothing of the cluster was proven"

// Step is one row of the table.
type Step struct {
	Name string
	// Result is the outcome of the step's own test: Fail when its setup,
	// teardown or any check failed.
	Result   string
	Duration time.Duration
	Evidence string
	Checks   []Check
}

// Counts tallies the step's checks.
type Counts struct {
	Passed  int `json:"passed"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	NotRun  int `json:"not_run"`
}

// Total is the number of checks counted.
func (c Counts) Total() int { return c.Passed + c.Skipped + c.Failed + c.NotRun }

func (c *Counts) add(o Counts) {
	c.Passed += o.Passed
	c.Skipped += o.Skipped
	c.Failed += o.Failed
	c.NotRun += o.NotRun
}

// Counts tallies the step's checks by result.
func (s Step) Counts() Counts {
	var c Counts
	for _, ch := range s.Checks {
		switch ch.Result {
		case Pass:
			c.Passed++
		case Skip:
			c.Skipped++
		case Fail:
			c.Failed++
		default:
			c.NotRun++
		}
	}
	return c
}

// Outcome is the step's result as the table states it: Fail when the step
// or a check failed, or when it passed with no check at all (it proved
// nothing, which is a mistake in the step); Skip when no check of the
// cluster passed and one was skipped, or the only passing checks were
// static; NotRun when no check ran at all; otherwise Pass, which the table
// qualifies with the checks that were skipped or not run. A step passes
// only on a check of something live that passed.
func (s Step) Outcome() string {
	c := s.Counts()
	switch {
	case s.Result == Fail || c.Failed > 0:
		return Fail
	case c.Total() == 0 && s.Result == Pass:
		return Fail
	case s.livePassed() > 0:
		return Pass
	case c.Passed > 0 || c.Skipped > 0 || s.Result == Skip:
		return Skip
	}
	return NotRun
}

// livePassed counts the passed checks that are not static.
func (s Step) livePassed() int {
	n := 0
	for _, ch := range s.Checks {
		if ch.Result == Pass && !ch.Static {
			n++
		}
	}
	return n
}

// Summary is the RESULT cell: the outcome, how many checks passed of how
// many, and what kept the rest from passing, e.g.
// "PASS 4/7 (3 skipped: no containers on the local tier)". Only a step whose
// every check passed reads a bare "PASS n/n".
func (s Step) Summary() string {
	c := s.Counts()
	out := strings.ToUpper(s.Outcome())
	if c.Total() == 0 {
		// A row whose own test passed with nothing checked proved
		// nothing; a failed setup's row says what failed in its evidence.
		if s.Result == Pass {
			return out + " (the step has no checks: it proves nothing)"
		}
		return out
	}
	out += fmt.Sprintf(" %d/%d", c.Passed, c.Total())
	if c.NotRun == c.Total() && s.Result != Fail {
		return out // NOT RUN 0/n says it all
	}
	var parts []string
	if s.Result == Fail && c.Failed == 0 {
		parts = append(parts, "setup or teardown failed")
	}
	if c.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", c.Failed))
	}
	if c.Skipped > 0 {
		p := fmt.Sprintf("%d skipped", c.Skipped)
		if reasons := s.skipReasons(); len(reasons) > 0 {
			p += ": " + strings.Join(reasons, "; ")
		}
		parts = append(parts, p)
	}
	if c.NotRun > 0 {
		parts = append(parts, fmt.Sprintf("%d not run", c.NotRun))
	}
	if c.Passed > 0 && s.Outcome() == Skip {
		parts = append(parts, StaticOnly)
	}
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, ", ") + ")"
	}
	return out
}

// skipReasons are the distinct reasons of the skipped checks, in order.
func (s Step) skipReasons() []string {
	var out []string
	for _, ch := range s.Checks {
		if ch.Result != Skip {
			continue
		}
		r := ShortReason(ch.Reason)
		if r == "" {
			r = "no reason given"
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// ShortReason is the first clause of a skip reason (up to a colon or a
// parenthesis), for the table's one line; the whole reason is in the list
// of skipped checks below it.
func ShortReason(reason string) string {
	r := strings.Join(strings.Fields(reason), " ")
	if i := strings.IndexAny(r, ":("); i > 0 {
		r = strings.TrimSpace(r[:i])
	}
	return r
}

// Run is one run's record.
type Run struct {
	Dir string

	mu    sync.Mutex
	meta  [][2]string
	steps []*Step
}

// New creates the run directory.
func New(dir string) (*Run, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the run's output directory %s: %w (set E2E_OUTPUT_DIR to a writable place)", dir, err)
	}
	return &Run{Dir: dir}, nil
}

// SetMeta records what the run ran on (provider, Kubernetes, KubeRay, Ray,
// chart), in the order first set; a later value replaces an earlier one.
func (r *Run) SetMeta(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.meta {
		if r.meta[i][0] == key {
			r.meta[i][1] = value
			return
		}
	}
	r.meta = append(r.meta, [2]string{key, value})
}

// Meta returns what SetMeta recorded, as "key value" pairs in order.
func (r *Run) Meta() [][2]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][2]string(nil), r.meta...)
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

func (s *Step) check(name string) *Check {
	for i := range s.Checks {
		if s.Checks[i].Name == name {
			return &s.Checks[i]
		}
	}
	s.Checks = append(s.Checks, Check{Name: name})
	return &s.Checks[len(s.Checks)-1]
}

// Plan declares a step's checks, in order, before it runs, so that a check
// never reached is counted as not run rather than forgotten.
func (r *Run) Plan(step string, checks ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.step(step)
	for _, c := range checks {
		s.check(c)
	}
}

// MarkStatic marks a planned check of step as static (Check.Static).
func (r *Run) MarkStatic(step, check string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step(step).check(check).Static = true
}

// RecordCheck records the result of one of a step's checks; reason says why
// a skipped check was skipped.
func (r *Run) RecordCheck(step, check, result, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.step(step).check(check)
	c.Result, c.Reason = result, reason
}

// Note sets the evidence line of a step; a later note replaces an earlier
// one, so a step notes its strongest evidence last.
func (r *Run) Note(step, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	r.step(step).Evidence = line
}

// Finish records the outcome of a step's own test and its duration.
func (r *Run) Finish(step, result string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.step(step)
	s.Result, s.Duration = result, d
}

// Steps returns a copy of the rows, in the order the steps first appeared:
// every step that ran, and every planned step that never started (a filter
// left it out), so that no planned check goes unmentioned.
func (r *Run) Steps() []Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Step, 0, len(r.steps))
	for _, s := range r.steps {
		if s.Result != "" || len(s.Checks) > 0 {
			c := *s
			c.Checks = append([]Check(nil), s.Checks...)
			out = append(out, c)
		}
	}
	return out
}

// Failed reports whether any step failed.
func (r *Run) Failed() bool {
	for _, s := range r.Steps() {
		if s.Outcome() == Fail {
			return true
		}
	}
	return false
}

// SkippedChecks lists every skipped check as "step / check: reason".
func (r *Run) SkippedChecks() []string {
	var out []string
	for _, s := range r.Steps() {
		for _, c := range s.Checks {
			if c.Result == Skip {
				out = append(out, s.Name+" / "+c.Name+": "+c.Reason)
			}
		}
	}
	return out
}

// Totals adds up the checks of every step that ran.
func (r *Run) Totals() Counts {
	var c Counts
	for _, s := range r.Steps() {
		c.add(s.Counts())
	}
	return c
}

// Table renders what the run ran on, the step table, the totals, and every
// check that did not pass with its whole reason.
func (r *Run) Table() string {
	var b strings.Builder
	for _, kv := range r.Meta() {
		fmt.Fprintf(&b, "%-11s %s\n", kv[0]+":", kv[1])
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	steps := r.Steps()
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tRESULT\tTIME\tDIR\tEVIDENCE")
	for _, s := range steps {
		ev := s.Evidence
		if len(ev) > 160 {
			ev = ev[:157] + "..."
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Summary(), s.Duration.Round(10*time.Millisecond), r.stepDirCell(s.Name), ev)
	}
	w.Flush()
	t := r.Totals()
	fmt.Fprintf(&b, "\nchecks: %d passed, %d skipped, %d failed, %d not run\n", t.Passed, t.Skipped, t.Failed, t.NotRun)
	var rest []string
	for _, s := range steps {
		if c := s.Counts(); c.NotRun > 0 && c.NotRun == c.Total() {
			rest = append(rest, fmt.Sprintf("  NOT RUN  %s: all %d checks", s.Name, c.Total()))
			continue
		}
		for _, c := range s.Checks {
			switch c.Result {
			case Pass:
			case Skip:
				reason := c.Reason
				if reason == "" {
					reason = "no reason given"
				}
				rest = append(rest, fmt.Sprintf("  SKIP     %s / %s: %s", s.Name, c.Name, strings.Join(strings.Fields(reason), " ")))
			case Fail:
				rest = append(rest, fmt.Sprintf("  FAIL     %s / %s", s.Name, c.Name))
			default:
				rest = append(rest, fmt.Sprintf("  NOT RUN  %s / %s", s.Name, c.Name))
			}
		}
	}
	if len(rest) > 0 {
		b.WriteString("checks that did not pass:\n" + strings.Join(rest, "\n") + "\n")
	}
	return b.String()
}

// WriteFile saves data under the run directory, creating parents.
func (r *Run) WriteFile(name string, data []byte) error { return Write(r.Dir, name, data) }

// Write saves data as name under dir (a run's or a step's), creating
// parents.
func Write(dir, name string, data []byte) error {
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// Path is name under the run directory.
func (r *Run) Path(name string) string { return filepath.Join(r.Dir, name) }

// StepDir is the directory of one step's own evidence under the run's,
// named by the step's ID (the first word of its name): step-5.2. What a step
// writes (the XGBoost script's output, Helm's downloads) and what is saved
// when it fails (its namespace's pods and events, the audit events) land
// there, as KubeRay's test support gives each test an output directory.
func (r *Run) StepDir(step string) string {
	id, _, _ := strings.Cut(step, " ")
	return r.Path("step-" + id)
}

// stepDirCell is the table's link to a step's directory, "" while it is
// empty or absent.
func (r *Run) stepDirCell(step string) string {
	dir := r.StepDir(step)
	if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
		return "-"
	}
	return filepath.Base(dir) + "/"
}

// RemoveIfEmpty removes the run directory when nothing was saved in it (a
// dry run, or a run that ended before any step).
func (r *Run) RemoveIfEmpty() {
	entries, err := os.ReadDir(r.Dir)
	if err == nil && len(entries) == 0 {
		_ = os.Remove(r.Dir)
	}
}
