// What a run can prove on its provider (containers, the audit log), what it
// must prove (E2E_REQUIRE), and the skip or refusal when the two differ.

package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/feature"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

// requireAudit skips the calling check, with the provider's reason, where
// the audit log cannot be read; when the run requires it (E2E_REQUIRE), the
// check fails instead.
func requireAudit(ctx context.Context, t *testing.T) {
	t.Helper()
	requireCapability(ctx, t, settings.Audit)
}

// requireContainers does the same for checks that need a running container.
func requireContainers(ctx context.Context, t *testing.T) {
	t.Helper()
	requireCapability(ctx, t, settings.Containers)
}

func requireCapability(ctx context.Context, t *testing.T, capability string) {
	t.Helper()
	h := harnessFrom(ctx)
	ok, reason := h.has(capability)
	switch {
	case ok:
	case h.cfg.Requires(capability):
		t.Fatal(h.lacks(capability))
	default:
		feature.Skip(ctx, t, reason)
	}
}

// checkRequired refuses a run whose provider lacks a capability the run
// must prove (E2E_REQUIRE), before any step: one line naming the provider,
// the capability, why, and the fix.
func (h *harness) checkRequired() error {
	for _, c := range h.cfg.Require {
		if err := h.lacks(c); err != nil {
			return fmt.Errorf("%w (fix: choose a provider that can, or drop %s from E2E_REQUIRE)", err, c)
		}
	}
	return nil
}

// has asks the provider for a capability of settings.Capabilities.
func (h *harness) has(capability string) (bool, string) {
	if capability == settings.Audit {
		return h.provider.Auditing()
	}
	return h.provider.Containers()
}

// lacks is nil when the provider has capability, else the error a run that
// requires it gets.
func (h *harness) lacks(capability string) error {
	if ok, reason := h.has(capability); !ok {
		return fmt.Errorf("E2E_REQUIRE names %s, but provider %s cannot prove it: %s", capability, h.cfg.Provider, reason)
	}
	return nil
}
