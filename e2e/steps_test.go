package e2e

import (
	"strings"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/features"
)

// TestTutorial runs the tutorial's steps in order. Each step is a feature
// named after it, so `-run 'TestTutorial/5.1'` picks one.
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
	testenv.Test(t, steps...)
}
