package e2e

import (
	"path/filepath"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/cluster/kind"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

// newKindProvider makes the kind tier's provider. It reaches no container
// engine, so a dry run lists the kind tier's steps on any machine; Create
// checks for the engine first.
func newKindProvider(s settings.Settings) (cluster.Provider, error) {
	img, err := kind.ResolveNodeImage(s.KindNodeImage, s.Kubernetes)
	if err != nil {
		return nil, err
	}
	// On this tier the node image decides the Kubernetes version.
	if v := img.Kubernetes(); v != "" {
		cfg.Kubernetes = v
	}
	p := kind.New(
		kind.WithNodeImage(img),
		kind.WithKeep(s.Keep),
		kind.WithReuse(s.KindReuse),
		kind.WithPreload(s.KindPreload),
		kind.WithTimeout(s.Timeout),
		kind.WithLogsDir(filepath.Join(s.OutputDir, "cluster")),
	)
	if s.ClusterName != "" {
		p.WithName(s.ClusterName)
	}
	return p, nil
}
