package e2e

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/evidence"
	facts "github.com/kuberay-docs/pod-security-e2e/tutorial"
)

// TestTutorial runs the tutorial's steps in order. Each step is a feature
// named after it, so `-run 'TestTutorial/^5.1_'` picks one.
func TestTutorial(t *testing.T) {
	steps := []features.Feature{
		step1AuditLog(),
		step2NothingYet(),
		step3Namespace(),
		step4Operator(),
		step51CompleteRejected(),
		step52PodSecurityRuns(),
	}
	for _, f := range steps {
		featureNames[strings.ReplaceAll(f.Name(), " ", "_")] = f.Name()
	}
	// A panic in a step skips TestMain's Finish; the test's own cleanup
	// still saves the evidence and destroys the cluster (both run once).
	t.Cleanup(func() {
		if t.Failed() {
			anyFailed.Store(true)
		}
		finishRun(context.Background())
	})
	testenv.Test(t, steps...)
}

// anyFailed is set when a step or the cluster's setup failed, so that the
// evidence is saved.
var anyFailed atomic.Bool

// newStep starts a step's feature. Its first setup records the step's row
// from the step's own test when the step ends — also after a t.Fatal in a
// later setup. (e2e-framework's AfterEachFeature is handed the parent test,
// which stays failed once any step failed.)
func newStep(id string) *features.FeatureBuilder {
	name := facts.StepTitle(id)
	return features.New(name).
		WithLabel("step", id).
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			start := time.Now()
			t.Cleanup(func() {
				result := evidence.Pass
				switch {
				case t.Failed():
					result = evidence.Fail
					anyFailed.Store(true)
				case t.Skipped():
					result = evidence.Skip
				}
				run.Finish(name, result, time.Since(start))
			})
			return ctx
		})
}
