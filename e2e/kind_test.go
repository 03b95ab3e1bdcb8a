package e2e

import (
	"fmt"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

func newKindProvider(settings.Settings) (cluster.Provider, error) {
	return nil, fmt.Errorf("E2E_PROVIDER=kind: %w; use E2E_PROVIDER=local, or existing with a Kind cluster in KUBECONFIG", errNoKind)
}
