package e2e

import (
	"path/filepath"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/cluster/kind"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/offline/images"
)

// newKindProvider makes the kind tier's provider. It reaches no container
// engine, so a dry run lists the kind tier's steps on any machine; Create
// checks for the engine first.
func (h *harness) newKindProvider() (cluster.Provider, error) {
	s := h.cfg
	img, err := kindNodeImage(s)
	if err != nil {
		return nil, err
	}
	// On this tier the node image decides the Kubernetes version.
	if v := img.Kubernetes(); v != "" {
		h.cfg.Kubernetes = v
	}
	opts := []kind.Option{
		kind.WithNodeImage(img),
		kind.WithKeep(s.Keep),
		kind.WithReuse(s.KindReuse),
		kind.WithPreload(s.KindPreload),
		kind.WithImages(s.OperatorImage, s.RayImage, s.ProbeImage),
		kind.WithOffline(s.Offline),
		kind.WithTimeout(s.Timeout),
		kind.WithLogsDir(filepath.Join(s.OutputDir, "cluster")),
	}
	// The cluster is the one the page's kind line makes: the page names
	// it, and its docker lines name its node after it.
	name := s.ClusterName
	if name == "" {
		name = h.page.clusterName()
	}
	if name != "" {
		opts = append(opts, kind.WithName(name))
	}
	if s.Offline {
		cache, err := images.CacheDir()
		if err != nil {
			return nil, err
		}
		// Create checks that the index is built before it makes anything;
		// a dry run lists the plan without it. The Ray image has the python3
		// whose file server serves it.
		opts = append(opts, kind.WithPackageIndex(images.PipIndex{}.Dir(cache), s.RayImage))
	}
	return kind.New(opts...)
}

// kindNodeImage is E2E_KIND_NODE_IMAGE's image, or else the pinned one; in
// offline mode, the one scripts/offline-images builds.
func kindNodeImage(s settings.Settings) (kind.NodeImage, error) {
	if s.Offline {
		return kind.ResolveOfflineNodeImage(s.KindNodeImage, s.Kubernetes)
	}
	return kind.ResolveNodeImage(s.KindNodeImage, s.Kubernetes)
}
