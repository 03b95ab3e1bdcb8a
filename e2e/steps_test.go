package e2e

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/feature"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
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
		step61DefaultSubmitterRefused(),
		step62SidecarRefused(),
		step63HardenedSubmitterRuns(),
	}
	// A panic in a step skips TestMain's Finish; the test's own cleanup
	// still saves the evidence and destroys the cluster (both run once).
	h := testenv.h
	t.Cleanup(func() {
		if t.Failed() {
			h.failed.Store(true)
		}
		h.finishRun(context.Background())
	})
	testenv.Test(t, steps...)
	// A run that requires every capability has nothing to skip: a check
	// skipped for any reason (not only a missing capability) fails it.
	if len(h.cfg.Require) == len(settings.Capabilities) {
		if skipped := h.run.SkippedChecks(); len(skipped) > 0 {
			t.Errorf("E2E_REQUIRE=%s: every check must be proven, but %d were skipped:\n  %s", strings.Join(h.cfg.Require, ","), len(skipped), strings.Join(skipped, "\n  "))
		}
	}
}

// newStep starts a step's feature: each of its assessments is a check whose
// own outcome (passed, skipped and why, failed, not run) reaches the step's
// row in the table, and a failed step saves what it left into its own
// directory of the run. needs are what the step builds on from earlier
// steps; they are made first, without being asserted, when a -run filter
// leaves those steps out.
func newStep(id string, needs ...need) *feature.Builder {
	b := feature.New(testenv.h.run, facts.StepTitle(id)).WithLabel("step", id).OnFailure(saveStepEvidence)
	// A block the page runs in a second terminal ends with its step.
	b.Teardown(func(ctx context.Context, _ *testing.T, _ *envconf.Config) context.Context {
		harnessFrom(ctx).page.stopBackground(id)
		return ctx
	})
	if len(needs) > 0 {
		b.Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			for _, n := range needs {
				n(harnessFrom(ctx), ctx, t)
			}
			return ctx
		})
	}
	return b
}

// A need is what a step builds on: (*harness).ensureNamespace for the
// labelled namespace, (*harness).ensureOperator for the operator.
type need func(h *harness, ctx context.Context, t *testing.T)
