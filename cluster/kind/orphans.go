package kind

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/kuberay-docs/pod-security-e2e/internal/files"
)

// A run's kubeconfig directory records what an interrupted cleanup needs:
// Ctrl-C and SIGTERM are handled in-process, but kill -9 and the panic of
// `go test -timeout` end the harness first. The next run reads these files
// and finishes the job.
const (
	dirPrefix   = "kuberay-e2e-kind-"
	ownerFile   = files.OwnerFile // the harness's process id
	clusterFile = "cluster"       // the cluster's name
	ownedFile   = "owned"         // present when the run created the cluster
	keptFile    = "kept"          // present when E2E_KEEP kept it
)

func (c *Cluster) writeMarkers() error {
	if err := os.WriteFile(filepath.Join(c.dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.dir, clusterFile), []byte(c.ClusterName), 0o600)
}

func (c *Cluster) mark(file string) {
	if c.dir != "" {
		_ = os.WriteFile(filepath.Join(c.dir, file), nil, 0o600)
	}
}

// removeOrphans deletes the clusters and directories of earlier runs whose
// harness died without cleaning up. A directory whose owner lives, or that
// was kept on purpose, is left alone; a cluster the run did not create
// (a reused one) is never deleted.
func (c *Cluster) removeOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	var clusters []string
	listed := false
	for _, d := range dirs {
		pid, dead := files.DeadOwner(d)
		if !dead || exists(filepath.Join(d, keptFile)) {
			continue
		}
		name, _ := os.ReadFile(filepath.Join(d, clusterFile))
		if exists(filepath.Join(d, ownedFile)) && len(name) > 0 {
			if !listed {
				clusters, _ = c.kind.List()
				listed = true
			}
			if slices.Contains(clusters, string(name)) {
				if err := c.kind.Delete(string(name), filepath.Join(d, "kubeconfig")); err != nil {
					fmt.Fprintf(c.progress, "kind: cluster %s of a run that died (pid %d) could not be deleted: %v\n", name, pid, err)
					continue
				}
				fmt.Fprintf(c.progress, "kind: deleted cluster %s, left by a run that died (pid %d)\n", name, pid)
			}
			// Its package index container, if it had one.
			_ = removeContainer(c.engine.Name, pipIndexContainer(string(name)))
		}
		_ = os.RemoveAll(d)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
