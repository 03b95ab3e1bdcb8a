package kind

import (
	"context"
	"fmt"
	"io"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindexec "sigs.k8s.io/kind/pkg/exec"
)

// preloadImages copies the tutorial's images from the host's engine into
// every node, as `kind load docker-image` does: the engine saves the image
// and the node's containerd imports the archive. An image the host lacks is
// left for the node to pull.
func (c *Cluster) preloadImages(ctx context.Context) error {
	all, err := c.kind.ListInternalNodes(c.ClusterName)
	if err != nil {
		return fmt.Errorf("list the nodes of cluster %s: %w", c.ClusterName, err)
	}
	for _, img := range c.images {
		if !c.hasImage(ctx, img) {
			if c.offline {
				return fmt.Errorf("offline: %s is not in the host's %s images and cannot be pulled (fix: scripts/offline-images -load)", img, c.engine.Name)
			}
			fmt.Fprintf(c.progress, "kind: preload: %s is not in the host's %s images; the node will pull it\n", img, c.engine.Name)
			continue
		}
		start := time.Now()
		for _, n := range all {
			save := kindexec.CommandContext(ctx, c.engine.Name, "save", img)
			if err := kindexec.RunWithStdoutReader(save, func(r io.Reader) error { return nodeutils.LoadImageArchive(n, r) }); err != nil {
				return fmt.Errorf("%w\n(unset E2E_KIND_PRELOAD to let the node pull it)", withOutput(fmt.Sprintf("preload %s into node %s", img, n), err))
			}
		}
		fmt.Fprintf(c.progress, "kind: preloaded %s in %s\n", img, time.Since(start).Round(time.Second))
	}
	return nil
}
