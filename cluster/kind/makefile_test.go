package kind

import (
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

// The nightly workflow runs the kind tier through make e2e-kind; package
// workflows checks the workflow (actionlint, and what the nightly must
// run), this file the Makefile target it runs.

func TestMakeTargetRunsTheKindTier(t *testing.T) {
	data, err := repo.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	mk := string(data)
	i := strings.Index(mk, "\ne2e-kind:")
	if i < 0 {
		t.Fatal("no e2e-kind target")
	}
	recipe, _, _ := strings.Cut(mk[i+1:], "\n\n")
	for _, want := range []string{"E2E_PROVIDER=kind", "--junitfile $(JUNIT_KIND)", "./e2e"} {
		if !strings.Contains(recipe, want) {
			t.Errorf("e2e-kind recipe lacks %q:\n%s", want, recipe)
		}
	}
}
