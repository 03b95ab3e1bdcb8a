package kind

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// pipIndexPort is where the index's file server listens, inside its own
// container; no port is published, so nothing outside the nodes' network
// reaches it.
const pipIndexPort = 8080 // as in versions.OfflinePipIndexURL

// nodesNetwork is the engine network kind puts nodes on.
func nodesNetwork() string {
	if n := strings.TrimSpace(os.Getenv("KIND_EXPERIMENTAL_DOCKER_NETWORK")); n != "" {
		return n
	}
	return "kind"
}

func pipIndexContainer(cluster string) string { return cluster + "-pip-index" }

// checkPipIndexDir refuses an index tree that is not built, before any
// cluster is made for it.
func (c *Cluster) checkPipIndexDir() error {
	if c.pipIndexDir == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(c.pipIndexDir, "simple", "index.html")); err != nil {
		return fmt.Errorf("the package index %s is not built: it has no simple/index.html (fix: scripts/offline-images pip-index)", c.pipIndexDir)
	}
	return nil
}

// startPipIndex runs Python's static file server on the index tree (Create
// has checked it is built) and returns the URL pods reach it at, once its
// root page answers. Pods reach the container through the node, which
// masquerades their traffic.
func (c *Cluster) startPipIndex(ctx context.Context) (string, error) {
	network := nodesNetwork()
	name := pipIndexContainer(c.ClusterName)
	// A container of that name is left only by a kept or dead run of this
	// very cluster.
	_ = c.removePipIndex()
	// Pods resolve the alias through the node (the offline Ray image's
	// pip.conf names it); the harness on the host uses the address.
	args := []string{"run", "-d", "--name", name, "--network", network, "--network-alias", versions.OfflinePipIndexHost, "--read-only",
		"-v", c.pipIndexDir + ":/srv:ro", "--entrypoint", "python3", c.pipIndexImage,
		"-m", "http.server", fmt.Sprint(pipIndexPort), "--directory", "/srv"}
	if err := kindexec.CommandContext(ctx, c.engine.Name, args...).Run(); err != nil {
		return "", withOutput("start the package index container "+name, err)
	}
	lines, err := kindexec.OutputLines(kindexec.CommandContext(ctx, c.engine.Name, "inspect", "--format",
		fmt.Sprintf(`{{(index .NetworkSettings.Networks %q).IPAddress}}`, network), name))
	if err != nil || len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		_ = c.removePipIndex()
		return "", fmt.Errorf("the package index container %s has no address on network %s: %v", name, network, err)
	}
	url := fmt.Sprintf("http://%s:%d/simple/", strings.TrimSpace(lines[0]), pipIndexPort)
	client := &http.Client{Timeout: 5 * time.Second}
	var last string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, c.timeout, true, func(ctx context.Context) (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		logs, _ := c.pipIndexLogs(context.Background())
		_ = c.removePipIndex()
		return "", fmt.Errorf("the package index at %s did not answer within %s (last: %s); its log:\n%s", url, c.timeout, last, logs)
	}
	fmt.Fprintf(c.progress, "kind: package index %s serves %s (container %s)\n", url, c.pipIndexDir, name)
	return url, nil
}

// pipIndexLogs is the file server's log: one line per request, which shows
// what the pods fetched from it.
func (c *Cluster) pipIndexLogs(ctx context.Context) (string, error) {
	lines, err := kindexec.CombinedOutputLines(kindexec.CommandContext(ctx, c.engine.Name, "logs", pipIndexContainer(c.ClusterName)))
	return strings.Join(lines, "\n"), err
}

// removePipIndex removes the run's index container by its name, which is
// known before the container is started: so Ctrl-C while the index is
// starting, or a failed start, leaves nothing either. Removing a container
// that does not exist is not an error.
func (c *Cluster) removePipIndex() error {
	if c.pipIndexDir == "" || c.engine.Name == "" || c.ClusterName == "" {
		return nil
	}
	return removeContainer(c.engine.Name, pipIndexContainer(c.ClusterName))
}

func removeContainer(engine, name string) error {
	lines, err := kindexec.CombinedOutputLines(kindexec.Command(engine, "rm", "-f", name))
	if err != nil && !strings.Contains(strings.ToLower(strings.Join(lines, " ")), "no such container") {
		return withOutput("remove the package index container "+name, err)
	}
	return nil
}

// PackageIndex is the URL of the package index pods can reach, or "" when
// none is served.
func (c *Cluster) PackageIndex() string { return c.pipIndexURL }

// PackageIndexLog is the index container's request log.
func (c *Cluster) PackageIndexLog(ctx context.Context) (string, error) {
	if c.pipIndexURL == "" {
		return "", fmt.Errorf("cluster %s serves no package index", c.ClusterName)
	}
	return c.pipIndexLogs(ctx)
}

// checkLocalImages stops a run before anything is made when an image that
// only this machine can provide is not in the engine.
func (c *Cluster) checkLocalImages(ctx context.Context, images ...string) error {
	var missing []string
	for _, img := range images {
		if !c.hasImage(ctx, img) {
			missing = append(missing, img)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s has no image %s, and nothing can be pulled in offline mode (fix: scripts/offline-images -load, with DOCKER_HOST naming this engine; scripts/e2e-kind-offline does both)", c.engine.Name, strings.Join(missing, ", "))
	}
	return nil
}

// hasImage reports whether the engine has img, without pulling it.
func (c *Cluster) hasImage(ctx context.Context, img string) bool {
	return kindexec.CommandContext(ctx, c.engine.Name, "image", "inspect", img).Run() == nil
}
