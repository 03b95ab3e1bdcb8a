package feature

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/kuberay-docs/pod-security-e2e/evidence"
)

// The suite under test runs in a child process: one of its checks fails on
// purpose, which must not fail this test.
const childEnv = "FEATURE_TEST_CHILD_TABLE"

func pass(ctx context.Context, _ *testing.T, _ *envconf.Config) context.Context { return ctx }

// TestChildSuite is the child: two steps run through e2e-framework as the
// tutorial's steps are, and the table goes to the file the parent names.
func TestChildSuite(t *testing.T) {
	out := os.Getenv(childEnv)
	if out == "" {
		t.Skip("runs only as the child of TestChecksReachTheRow")
	}
	run, err := evidence.New(filepath.Join(filepath.Dir(out), "run"))
	if err != nil {
		t.Fatal(err)
	}
	skipped := New(run, "skipped step").
		Assess("passes", pass).
		Assess("skips with a reason", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			if StepName(ctx) != "skipped step" {
				t.Errorf("StepName = %q", StepName(ctx))
			}
			Skip(ctx, t, "no containers on this tier: a fake node")
			return ctx
		}).
		Assess("skips by t.Skip", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			t.Skip("plain")
			return ctx
		}).
		Feature()
	tornDown := false
	saveState := func(ctx context.Context, t *testing.T, dir string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "state.txt"), []byte(fmt.Sprint("torn down: ", tornDown)), 0o644); err != nil {
			t.Error(err)
		}
	}
	failing := New(run, "failing step").
		Assess("fails", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			t.Fatal("on purpose")
			return ctx
		}).
		Assess("never reached", pass).
		Teardown(func(ctx context.Context, _ *testing.T, _ *envconf.Config) context.Context {
			tornDown = true
			return ctx
		}).
		OnFailure(saveState).
		Feature()
	setupFails := New(run, "setup fails").
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			t.Fatal("setup on purpose")
			return ctx
		}).
		Assess("planned", pass).
		Feature()
	clean := New(run, "clean step").Assess("passes", pass).OnFailure(saveState).Feature()
	// Planned, but never handed to the environment, as a step that a -run
	// filter leaves out.
	New(run, "filtered out").Assess("planned", pass).Feature()
	t.Cleanup(func() {
		if err := os.WriteFile(out, []byte(run.Table()), 0o644); err != nil {
			t.Error(err)
		}
	})
	env.New().Test(t, skipped, failing, setupFails, clean)
}

// TestChecksReachTheRow shows that each assessment's own outcome reaches the
// step's row: a skipped assessment makes the row say so (before, the row
// read PASS because the feature's own test passed), a failed one fails it,
// and checks never reached are counted as not run.
func TestChecksReachTheRow(t *testing.T) {
	out := filepath.Join(t.TempDir(), "table.txt")
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildSuite$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+out)
	log, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("the child suite must fail (one check fails on purpose); got %v:\n%s", err, log)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no table from the child: %v\n%s", err, log)
	}
	table := string(data)
	for step, want := range map[string]string{
		"skipped step": "PASS 1/3 (2 skipped: no containers on this tier; no reason given)",
		"failing step": "FAIL 0/2 (1 failed, 1 not run)",
		"setup fails":  "FAIL 0/1 (setup or teardown failed, 1 not run)",
		"filtered out": "NOT RUN 0/1",
		"clean step":   "PASS 1/1",
	} {
		var row string
		for _, l := range strings.Split(table, "\n") {
			if strings.HasPrefix(l, step+" ") {
				row = l
			}
		}
		if !strings.Contains(row, want) {
			t.Errorf("row of %q: %q, want it to contain %q\ntable:\n%s", step, row, want, table)
		}
	}
	// A failed step saves its state into its own directory before its
	// teardown removes what it made; a step that passed saves nothing.
	runDir := filepath.Join(filepath.Dir(out), "run")
	if state, err := os.ReadFile(filepath.Join(runDir, "step-failing", "state.txt")); err != nil || string(state) != "torn down: false" {
		t.Errorf("the failed step's saved state: %q, %v", state, err)
	}
	if _, err := os.Stat(filepath.Join(runDir, "step-clean")); !os.IsNotExist(err) {
		t.Errorf("a step that passed saves nothing: %v", err)
	}
	if !strings.Contains(table, "SKIP     skipped step / skips with a reason: no containers on this tier: a fake node") {
		t.Errorf("the skip's whole reason must be listed:\n%s", table)
	}
}
