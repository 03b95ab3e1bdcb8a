// Package feature builds a tutorial step as an e2e-framework feature whose
// every assessment is a check recorded in the run's evidence: passed,
// skipped with its reason, failed, or never reached.
//
// e2e-framework runs each Assess function as a subtest of the feature's test,
// so a skip inside one leaves the feature's own test passed; a row built from
// the feature's test alone reads PASS over checks that never ran. The wrapper
// here records each subtest's own outcome instead.
package feature

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
	"sigs.k8s.io/e2e-framework/pkg/types"

	"github.com/kuberay-docs/pod-security-e2e/evidence"
)

// Func is an e2e-framework step function.
type Func = features.Func

// Builder is a features.FeatureBuilder whose assessments are recorded.
type Builder struct {
	b         *features.FeatureBuilder
	run       *evidence.Run
	name      string
	checks    []string
	static    []string
	teardowns []Func
	onFailure func(ctx context.Context, t *testing.T, dir string)
}

// New starts the feature of the step called name, recorded in run. Its first
// setup records the step's row from the step's own test when the step ends,
// also after a t.Fatal in a later setup. (e2e-framework's AfterEachFeature
// is handed the parent test, which stays failed once any step failed.)
func New(run *evidence.Run, name string) *Builder {
	b := &Builder{b: features.New(name), run: run, name: name}
	b.b.Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		start := time.Now()
		t.Cleanup(func() {
			run.Finish(name, result(t), time.Since(start))
		})
		// The context carries the previous step's last check: a skip in a
		// setup must not write its reason there.
		return context.WithValue(context.WithValue(ctx, stepKey{}, name), checkKey{}, (*checkState)(nil))
	})
	return b
}

// WithLabel labels the feature, for e2e-framework's --labels.
func (b *Builder) WithLabel(key, value string) *Builder {
	b.b.WithLabel(key, value)
	return b
}

// Setup adds a setup function.
func (b *Builder) Setup(fn Func) *Builder {
	b.b.Setup(fn)
	return b
}

// Teardown adds a teardown function. It runs outside any check, so the
// last check's state is taken out of its context.
func (b *Builder) Teardown(fn Func) *Builder {
	b.teardowns = append(b.teardowns, func(ctx context.Context, t *testing.T, c *envconf.Config) context.Context {
		return fn(context.WithValue(ctx, checkKey{}, (*checkState)(nil)), t, c)
	})
	return b
}

// OnFailure sets what to save into the step's own directory (StepDir) when
// the step has failed. It runs before the step's teardowns, while what the
// step made still exists.
func (b *Builder) OnFailure(fn func(ctx context.Context, t *testing.T, dir string)) *Builder {
	b.onFailure = fn
	return b
}

// Assess adds a check called name. Its outcome is recorded from its own
// subtest; a skip records the reason given to Skip.
func (b *Builder) Assess(name string, fn Func) *Builder {
	b.checks = append(b.checks, name)
	run, step := b.run, b.name
	b.b.Assess(name, func(ctx context.Context, t *testing.T, c *envconf.Config) context.Context {
		st := &checkState{}
		t.Cleanup(func() {
			run.RecordCheck(step, name, result(t), st.reason)
		})
		return fn(context.WithValue(ctx, checkKey{}, st), t, c)
	})
	return b
}

// AssessStatic adds a check that reads only this repository's files,
// nothing of the cluster (evidence.Check.Static): it alone does not make
// the step pass.
func (b *Builder) AssessStatic(name string, fn Func) *Builder {
	b.static = append(b.static, name)
	return b.Assess(name, fn)
}

// Feature plans the step's checks in the run, so that checks the step never
// reaches are reported as not run, and returns the feature.
func (b *Builder) Feature() types.Feature {
	b.run.Plan(b.name, b.checks...)
	for _, c := range b.static {
		b.run.MarkStatic(b.name, c)
	}
	if fn, run, name := b.onFailure, b.run, b.name; fn != nil {
		b.b.Teardown(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			if t.Failed() {
				fn(ctx, t, run.StepDir(name))
			}
			return ctx
		})
	}
	for _, td := range b.teardowns {
		b.b.Teardown(td)
	}
	return b.b.Feature()
}

// Skip skips the calling check and records why. A check that calls t.Skip
// itself is still recorded as skipped, with "no reason given".
func Skip(ctx context.Context, t *testing.T, reason string) {
	t.Helper()
	if st, ok := ctx.Value(checkKey{}).(*checkState); ok && st != nil {
		st.reason = reason
	}
	t.Skip(reason)
}

// StepName is the name of the step ctx belongs to, "" outside a step.
func StepName(ctx context.Context) string {
	s, _ := ctx.Value(stepKey{}).(string)
	return s
}

// StepDir is the step's own evidence directory (evidence.Run.StepDir); the
// step creates it when it writes there.
func StepDir(ctx context.Context, run *evidence.Run) string { return run.StepDir(StepName(ctx)) }

type (
	stepKey    struct{}
	checkKey   struct{}
	checkState struct{ reason string }
)

func result(t *testing.T) string {
	switch {
	case t.Failed():
		return evidence.Fail
	case t.Skipped():
		return evidence.Skip
	}
	return evidence.Pass
}
