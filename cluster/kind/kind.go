// Package kind is the kind tier: the tutorial on a real Kind cluster made
// through the kind Go library (sigs.k8s.io/kind/pkg/cluster, not the kind
// command) from the repository's kind-config.yaml and a node image pinned by
// digest. Pods run real containers, so every step runs, the XGBoost job and
// pip included.
//
// The cluster gets a unique name and a kubeconfig of its own in a temporary
// directory; ~/.kube/config is never read or written. A named cluster is
// reused only when asked, and then only after its API server is shown to
// write the audit log under this repository's policy.
package kind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/klient"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// NamePrefix starts every cluster name the provider makes up.
const NamePrefix = "kuberay-e2e-"

// Cluster is the kind tier's cluster provider.
type Cluster struct {
	cluster.Handle
	named bool // the name was given, not made up
	image NodeImage
	cluster.Builder
	configFile string
	keep       bool
	reuse      bool
	preload    bool
	timeout    time.Duration
	logsDir    string
	progress   io.Writer
	images     []string
	// pipIndexDir is the tree of a local package index to serve on the
	// nodes' network (offline mode); pipIndexImage runs its file server.
	pipIndexDir, pipIndexImage string
	// pipIndexURL is where pods reach the index, once it answers.
	pipIndexURL string
	// offline: nothing may be pulled; every image must be in the engine.
	offline bool

	engine Engine
	// hostNote says what the nodes were given to fit the host (cgroup.go).
	hostNote string
	kind     *kindcluster.Provider
	cfg      *Config
	dir      string
	// owned is set once this run asks kind to create the cluster: only an
	// owned cluster is ever deleted.
	owned        atomic.Bool
	ready        bool
	removeOnIntr func()
	destroyOnce  sync.Once
}

var _ cluster.Provider = (*Cluster)(nil)

// NodeImage is the image the nodes run.
func (c *Cluster) NodeImage() NodeImage { return c.image }

func (c *Cluster) GetKubectlContext() string { return "kind-" + c.ClusterName }
func (c *Cluster) DefaultChart() string {
	if c.offline {
		// The published chart is on the internet.
		return "standin"
	}
	return "repo"
}
func (c *Cluster) Containers() (bool, string) { return true, "" }

// HostAdaptation says what the nodes were given to fit this host (a
// cgroup v1 host and kubelet 1.35 or later), or that nothing was; "" before
// Create or for a reused cluster.
func (c *Cluster) HostAdaptation() string { return c.hostNote }

// preloads says whether Create copies the images into the nodes: when asked
// to, and always offline, where the nodes can pull nothing.
func (c *Cluster) preloads() bool { return c.preload || c.offline }

// Auditing: kind-config.yaml starts the API server with the audit policy,
// and the log is read from the node.
func (c *Cluster) Auditing() (bool, string) { return true, "" }

// RunOperator does nothing: the chart's own pod runs the operator.
func (c *Cluster) RunOperator(context.Context, string, string) (func(), error) {
	return func() {}, nil
}

// WaitForControlPlane returns at once: Create returns only after the nodes
// are Ready and the API server is shown to write the audit log.
func (c *Cluster) WaitForControlPlane(context.Context, klient.Client) error {
	if !c.ready {
		return errors.New("the kind cluster is not created yet")
	}
	return nil
}

func (c *Cluster) CreateWithConfig(ctx context.Context, configFile string) (string, error) {
	c.configFile = configFile
	return c.Create(ctx)
}

func (c *Cluster) loadConfig() (*Config, error) {
	file := c.configFile
	if file == "" {
		var err error
		if file, err = repo.Path("kind-config.yaml"); err != nil {
			return nil, err
		}
	}
	return LoadConfig(file)
}

// Create makes the cluster (or, with WithReuse, attaches to it), waits for
// it and checks its audit log, and returns a kubeconfig private to this run.
func (c *Cluster) Create(ctx context.Context, _ ...string) (kubeconfig string, err error) {
	if c.dir != "" {
		return "", errors.New("kind provider: Create was already called")
	}
	if c.Err() != nil {
		return "", c.Err()
	}
	if c.cfg, err = c.loadConfig(); err != nil {
		return "", err
	}
	// Before anything is made: without an engine nothing below can work,
	// and kind's own error would come late and say less.
	if c.engine, err = DetectEngine(ctx); err != nil {
		return "", err
	}
	c.kind = kindcluster.NewProvider(kindcluster.ProviderWithLogger(&logger{w: c.progress}), c.engine.providerOption())
	c.removeOrphans()
	if c.dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		return "", fmt.Errorf("create the run's kubeconfig directory: %w", err)
	}
	c.KubeconfigFile = filepath.Join(c.dir, "kubeconfig")
	c.removeOnIntr = proc.OnInterrupt(c.interrupted)
	defer func() {
		if err != nil {
			c.failed(err)
		}
	}()
	if err := c.writeMarkers(); err != nil {
		return "", err
	}

	var local []string
	if c.image.Local() && !c.reuse {
		local = append(local, c.image.String())
	}
	if c.offline {
		local = append(local, c.images...)
	}
	if err := c.checkLocalImages(ctx, local...); err != nil {
		return "", err
	}
	if err := c.checkPipIndexDir(); err != nil {
		return "", err
	}
	if c.reuse {
		err = c.attach()
	} else {
		err = c.create()
	}
	if err != nil {
		return "", err
	}
	if c.RestConfig, err = clientcmd.BuildConfigFromFlags("", c.KubeconfigFile); err != nil {
		return "", fmt.Errorf("kubeconfig of cluster %s: %w", c.ClusterName, err)
	}
	cs, err := kubernetes.NewForConfig(c.RestConfig)
	if err != nil {
		return "", err
	}
	if err := c.waitReady(ctx, cs); err != nil {
		return "", err
	}
	if c.preloads() {
		if err := c.preloadImages(ctx); err != nil {
			return "", err
		}
	}
	if err := c.verifyAuditing(ctx, cs); err != nil {
		return "", err
	}
	if c.pipIndexDir != "" {
		if c.pipIndexURL, err = c.startPipIndex(ctx); err != nil {
			return "", err
		}
	}
	c.ready = true
	return c.KubeconfigFile, nil
}

func (c *Cluster) create() error {
	existing, err := c.kind.List()
	if err != nil {
		return withOutput("list Kind clusters on "+c.engine.Name, err)
	}
	if slices.Contains(existing, c.ClusterName) {
		return fmt.Errorf("a Kind cluster named %s already exists: set E2E_KIND_REUSE=1 to run on it, delete it (kind delete cluster --name %s), or unset E2E_CLUSTER_NAME for a new cluster with a unique name", c.ClusterName, c.ClusterName)
	}
	resolved := filepath.Join(c.dir, "kind-config.yaml")
	if err := c.writeConfig(resolved); err != nil {
		return fmt.Errorf("write the resolved kind config: %w", err)
	}
	note := ""
	switch {
	case c.image.Local():
		note = " (built on this machine: not an image kind " + versions.KindLibrary + " published)"
	case !c.image.Published():
		note = fmt.Sprintf(" (not an image kind %s published: it may not work)", versions.KindLibrary)
	}
	fmt.Fprintf(c.progress, "kind: creating cluster %s on %s %s with kind %s, node image %s%s\n", c.ClusterName, c.engine.Name, c.engine.Version, versions.KindLibrary, c.image, note)
	start := time.Now()
	c.owned.Store(true)
	c.mark(ownedFile)
	// Retain: on failure the nodes stay until their logs are collected
	// (failed), then they are deleted.
	err = c.kind.Create(c.ClusterName,
		kindcluster.CreateWithConfigFile(resolved),
		kindcluster.CreateWithNodeImage(c.image.String()),
		kindcluster.CreateWithWaitForReady(c.timeout),
		kindcluster.CreateWithKubeconfigPath(c.KubeconfigFile),
		kindcluster.CreateWithRetain(true),
		kindcluster.CreateWithDisplayUsage(false),
		kindcluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		return withOutput("create Kind cluster "+c.ClusterName, err)
	}
	fmt.Fprintf(c.progress, "kind: cluster %s created in %s\n", c.ClusterName, time.Since(start).Round(time.Second))
	return nil
}

// writeConfig writes the checked kind config for kind's loader, with what
// the nodes need on this host added (hostAdaptations), and notes that.
func (c *Cluster) writeConfig(file string) error {
	patches, note := hostAdaptations(c.engine, c.image.Kubernetes())
	c.hostNote = note
	fmt.Fprintf(c.progress, "kind: %s\n", note)
	cfg := *c.cfg
	cl := *cfg.Cluster
	cl.KubeadmConfigPatches = append(slices.Clone(cl.KubeadmConfigPatches), patches...)
	cfg.Cluster = &cl
	return cfg.Write(file)
}

func (c *Cluster) attach() error {
	existing, err := c.kind.List()
	if err != nil {
		return withOutput("list Kind clusters on "+c.engine.Name, err)
	}
	if !slices.Contains(existing, c.ClusterName) {
		have := "none"
		if len(existing) > 0 {
			have = strings.Join(existing, ", ")
		}
		return fmt.Errorf("E2E_KIND_REUSE=1: no Kind cluster named %s (clusters: %s); make one with E2E_KEEP=1 E2E_CLUSTER_NAME=%s, or unset E2E_KIND_REUSE", c.ClusterName, have, c.ClusterName)
	}
	kc, err := c.kind.KubeConfig(c.ClusterName, false)
	if err != nil {
		return withOutput("kubeconfig of Kind cluster "+c.ClusterName, err)
	}
	if err := os.WriteFile(c.KubeconfigFile, []byte(kc), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.progress, "kind: reusing cluster %s (E2E_KIND_REUSE=1); it will not be deleted\n", c.ClusterName)
	return nil
}

// failed runs when Create fails after it started making things: it saves
// what kind can tell about the cluster, then removes what this run made.
func (c *Cluster) failed(cause error) {
	if c.kind != nil && c.logsDir != "" && (c.owned.Load() || c.reuse) {
		if err := c.kind.CollectLogs(c.ClusterName, c.logsDir); err != nil {
			fmt.Fprintf(c.progress, "kind: collecting the logs of cluster %s: %v\n", c.ClusterName, err)
		} else {
			fmt.Fprintf(c.progress, "kind: logs of cluster %s are in %s\n", c.ClusterName, c.logsDir)
		}
	}
	if err := c.Destroy(context.Background()); err != nil {
		fmt.Fprintf(c.progress, "kind: after %v, cleaning up also failed: %v\n", cause, err)
	}
}

// ExportLogs saves kind's logs of the cluster (node journals, /var/log with
// the pods' and the audit logs, container runtime state) under dir.
func (c *Cluster) ExportLogs(ctx context.Context, dir string) error {
	if c.kind == nil || c.ClusterName == "" {
		return errors.New("no kind cluster to export logs from")
	}
	err := c.kind.CollectLogs(c.ClusterName, dir)
	if c.pipIndexURL != "" {
		logs, lerr := c.pipIndexLogs(ctx)
		if lerr == nil {
			lerr = os.WriteFile(filepath.Join(dir, "pip-index.log"), []byte(logs+"\n"), 0o644)
		}
		err = errors.Join(err, lerr)
	}
	return err
}

// Destroy deletes the cluster this run created, unless it is to be kept,
// and the run's kubeconfig directory. A reused cluster is left as it was.
func (c *Cluster) Destroy(context.Context) error {
	var err error
	c.destroyOnce.Do(func() {
		if c.removeOnIntr != nil {
			c.removeOnIntr()
		}
		var indexErr error
		if !c.keep {
			indexErr = c.removePipIndex()
		} else if c.pipIndexDir != "" && c.engine.Name != "" {
			fmt.Fprintf(c.progress, "kind: keeping the package index container too (E2E_KEEP=1); remove it with: %s rm -f %s\n", c.engine.Name, pipIndexContainer(c.ClusterName))
		}
		defer func() { err = errors.Join(err, indexErr) }()
		if c.keep && c.owned.Load() {
			c.mark(keptFile)
			fmt.Fprintf(c.progress, "kind: keeping cluster %s (E2E_KEEP=1); kubeconfig %s\n  run on it again: E2E_KIND_REUSE=1 E2E_CLUSTER_NAME=%s\n  delete it: kind delete cluster --name %s (or %s rm -f %s-control-plane)\n",
				c.ClusterName, c.KubeconfigFile, c.ClusterName, c.ClusterName, c.engine.Name, c.ClusterName)
			return
		}
		if c.owned.Load() {
			if err = c.deleteCluster(); err != nil {
				err = fmt.Errorf("%w (delete it with: %s rm -f %s-control-plane)", withOutput("delete Kind cluster "+c.ClusterName, err), c.engine.Name, c.ClusterName)
			} else {
				fmt.Fprintf(c.progress, "kind: deleted cluster %s\n", c.ClusterName)
			}
		}
		if c.dir != "" {
			if rmErr := os.RemoveAll(c.dir); rmErr != nil && err == nil {
				err = rmErr
			}
		}
	})
	return err
}

// interrupted runs on SIGINT/SIGTERM, possibly while kind is still creating:
// deleting by name removes whatever nodes exist by then.
func (c *Cluster) interrupted() {
	if c.keep {
		c.mark(keptFile)
		return
	}
	_ = c.removePipIndex()
	if c.owned.Load() {
		_ = c.deleteCluster()
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

// Exists reports whether kind finds the cluster's nodes, after Create (a
// reader's kind delete cluster may have deleted it).
func (c *Cluster) Exists() (bool, error) {
	if c.kind == nil {
		return false, errors.New("no kind cluster of this run")
	}
	names, err := c.kind.List()
	return slices.Contains(names, c.ClusterName), err
}

// deleteCluster deletes the cluster's nodes and its entry in the run's
// kubeconfig. kind falls back to $KUBECONFIG and ~/.kube/config when given
// no kubeconfig path, so it is never called without one.
func (c *Cluster) deleteCluster() error {
	if c.kind == nil || c.KubeconfigFile == "" {
		return errors.New("no kind cluster of this run to delete")
	}
	return c.kind.Delete(c.ClusterName, c.KubeconfigFile)
}
