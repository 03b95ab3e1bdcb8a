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
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
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
	name  string
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

	engine     Engine
	kind       *kindcluster.Provider
	cfg        *Config
	dir        string
	kubeconfig string
	restCfg    *rest.Config
	// owned is set once this run asks kind to create the cluster: only an
	// owned cluster is ever deleted.
	owned        atomic.Bool
	ready        bool
	removeOnIntr func()
	destroyOnce  sync.Once
}

var _ cluster.Provider = (*Cluster)(nil)

// Option configures a Cluster. An option whose value cannot work returns an
// error that names the fix, and New returns it before anything is made.
type Option func(*Cluster) error

// WithName names the cluster; without it each run makes up a unique name.
func WithName(name string) Option {
	return func(c *Cluster) error {
		if !validName.MatchString(name) {
			return fmt.Errorf("cluster name %q: kind names are 1 to 50 of a-z, 0-9, '.' and '-'", name)
		}
		c.name, c.named = name, true
		return nil
	}
}

// WithVersion runs the pinned node image of a Kubernetes version ("1.29").
func WithVersion(version string) Option {
	return func(c *Cluster) (err error) {
		c.image, err = ResolveNodeImage(version, "")
		return err
	}
}

// WithNodeImage runs the nodes on img instead of the default (v1.24.17).
func WithNodeImage(img NodeImage) Option { return func(c *Cluster) error { c.image = img; return nil } }

// WithConfigFile uses another kind configuration than kind-config.yaml.
func WithConfigFile(path string) Option {
	return func(c *Cluster) error { c.configFile = path; return nil }
}

// WithKeep keeps the cluster and its kubeconfig after the run, for debugging.
func WithKeep(keep bool) Option { return func(c *Cluster) error { c.keep = keep; return nil } }

// WithReuse runs on the existing cluster named by WithName instead of
// creating one; a reused cluster is never deleted.
func WithReuse(reuse bool) Option { return func(c *Cluster) error { c.reuse = reuse; return nil } }

// WithPreload copies the tutorial's images from the host's engine into the
// nodes, so that repeated local runs do not pull them again. Images the host
// does not have are left for the nodes to pull.
func WithPreload(preload bool) Option {
	return func(c *Cluster) error { c.preload = c.preload || preload; return nil }
}

// WithImages replaces the images WithPreload copies (by default the pinned
// operator, Ray and pause images).
func WithImages(images ...string) Option {
	return func(c *Cluster) error { c.images = images; return nil }
}

// WithPackageIndex serves the static package index at dir (a "simple"
// tree, as scripts/offline-images pip-index writes it) from a container of
// image on the nodes' network, for pods with no other index to reach.
// image must have python3; the container runs as image's user.
func WithPackageIndex(dir, image string) Option {
	return func(c *Cluster) error {
		if dir == "" || image == "" {
			return errors.New("kind: a package index needs both its directory and the image that serves it")
		}
		c.pipIndexDir, c.pipIndexImage = dir, image
		return nil
	}
}

// WithOffline refuses to create a cluster unless the node image and every
// image WithImages names are in the engine already, and preloads them all:
// nothing is pulled.
func WithOffline(offline bool) Option {
	return func(c *Cluster) error {
		c.offline = offline
		c.preload = c.preload || offline
		return nil
	}
}

// WithTimeout bounds each wait: the nodes becoming Ready, the API server's
// pod appearing.
func WithTimeout(d time.Duration) Option {
	return func(c *Cluster) error {
		c.timeout = d
		return cluster.Positive("kind: the bound of each wait,", d, "E2E_TIMEOUT, for example 10m")
	}
}

// WithLogsDir is where kind's logs go when creating the cluster fails (the
// suite's run directory); without it they are not collected.
func WithLogsDir(dir string) Option { return func(c *Cluster) error { c.logsDir = dir; return nil } }

// WithProgress sends progress messages to w (default stderr).
func WithProgress(w io.Writer) Option { return func(c *Cluster) error { c.progress = w; return nil } }

// New returns a kind provider, by default for the tutorial's node image
// (Kubernetes v1.24.17) and a cluster name made up for this run.
func New(opts ...Option) (*Cluster, error) {
	img, err := ParseNodeImage(versions.KindNodeImage124)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		name:     uniqueName(),
		image:    img,
		timeout:  5 * time.Minute,
		progress: os.Stderr,
		images:   []string{versions.KubeRayOperatorImage, versions.RayImage, versions.PauseImage},
	}
	c.Builder = cluster.NewBuilder(c, func(name string) error { return WithName(name)(c) },
		func(version string) error { return WithVersion(version)(c) },
		func(path string) error {
			// e2e-framework's own kind provider runs a kind binary; this one
			// runs kind's Go library and none.
			return fmt.Errorf("kind: WithPath(%q) names a kind binary, but this provider uses kind's Go library and runs none", path)
		})
	if err := cluster.Apply(c, opts...); err != nil {
		return nil, err
	}
	if c.reuse && !c.named {
		return nil, errors.New("E2E_KIND_REUSE=1 needs E2E_CLUSTER_NAME to name the Kind cluster to run on")
	}
	return c, nil
}

// Name is the cluster's name: the one given, or the one made up for this run.
func (c *Cluster) Name() string { return c.name }

// NodeImage is the image the nodes run.
func (c *Cluster) NodeImage() NodeImage { return c.image }

func (c *Cluster) GetKubeconfig() string     { return c.kubeconfig }
func (c *Cluster) GetKubectlContext() string { return "kind-" + c.name }
func (c *Cluster) DefaultChart() string {
	if c.offline {
		// The published chart is on the internet.
		return "standin"
	}
	return "repo"
}
func (c *Cluster) KubernetesRestConfig() *rest.Config { return rest.CopyConfig(c.restCfg) }
func (c *Cluster) Containers() (bool, string)         { return true, "" }

// Auditing: kind-config.yaml starts the API server with the audit policy,
// and the log is read from the node.
func (c *Cluster) Auditing() (bool, string) { return true, "" }

// RunOperator does nothing: the chart's own pod runs the operator.
func (c *Cluster) RunOperator(context.Context, string, string) (func(), error) {
	return func() {}, nil
}

func (c *Cluster) GenerateKubeconfig(...string) (string, error) {
	if c.kubeconfig == "" {
		return "", errors.New("the kind cluster is not created yet")
	}
	return c.kubeconfig, nil
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

// validName is kind's rule for cluster names; 50 characters leave room for
// the "-control-plane" suffix in a 64-character host name.
var validName = regexp.MustCompile(`^[a-z0-9.-]{1,50}$`)

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
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
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
	if c.restCfg, err = clientcmd.BuildConfigFromFlags("", c.kubeconfig); err != nil {
		return "", fmt.Errorf("kubeconfig of cluster %s: %w", c.name, err)
	}
	cs, err := kubernetes.NewForConfig(c.restCfg)
	if err != nil {
		return "", err
	}
	if err := c.waitReady(ctx, cs); err != nil {
		return "", err
	}
	if c.preload {
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
	return c.kubeconfig, nil
}

func (c *Cluster) create() error {
	existing, err := c.kind.List()
	if err != nil {
		return withOutput("list Kind clusters on "+c.engine.Name, err)
	}
	if slices.Contains(existing, c.name) {
		return fmt.Errorf("a Kind cluster named %s already exists: set E2E_KIND_REUSE=1 to run on it, delete it (kind delete cluster --name %s), or unset E2E_CLUSTER_NAME for a new cluster with a unique name", c.name, c.name)
	}
	resolved := filepath.Join(c.dir, "kind-config.yaml")
	if err := c.cfg.Write(resolved); err != nil {
		return fmt.Errorf("write the resolved kind config: %w", err)
	}
	note := ""
	switch {
	case c.image.Local():
		note = " (built on this machine: not an image kind " + versions.KindLibrary + " published)"
	case !c.image.Published():
		note = fmt.Sprintf(" (not an image kind %s published: it may not work)", versions.KindLibrary)
	}
	fmt.Fprintf(c.progress, "kind: creating cluster %s on %s %s with kind %s, node image %s%s\n", c.name, c.engine.Name, c.engine.Version, versions.KindLibrary, c.image, note)
	start := time.Now()
	c.owned.Store(true)
	c.mark(ownedFile)
	// Retain: on failure the nodes stay until their logs are collected
	// (failed), then they are deleted.
	err = c.kind.Create(c.name,
		kindcluster.CreateWithConfigFile(resolved),
		kindcluster.CreateWithNodeImage(c.image.String()),
		kindcluster.CreateWithWaitForReady(c.timeout),
		kindcluster.CreateWithKubeconfigPath(c.kubeconfig),
		kindcluster.CreateWithRetain(true),
		kindcluster.CreateWithDisplayUsage(false),
		kindcluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		return withOutput("create Kind cluster "+c.name, err)
	}
	fmt.Fprintf(c.progress, "kind: cluster %s created in %s\n", c.name, time.Since(start).Round(time.Second))
	return nil
}

func (c *Cluster) attach() error {
	existing, err := c.kind.List()
	if err != nil {
		return withOutput("list Kind clusters on "+c.engine.Name, err)
	}
	if !slices.Contains(existing, c.name) {
		have := "none"
		if len(existing) > 0 {
			have = strings.Join(existing, ", ")
		}
		return fmt.Errorf("E2E_KIND_REUSE=1: no Kind cluster named %s (clusters: %s); make one with E2E_KEEP=1 E2E_CLUSTER_NAME=%s, or unset E2E_KIND_REUSE", c.name, have, c.name)
	}
	kc, err := c.kind.KubeConfig(c.name, false)
	if err != nil {
		return withOutput("kubeconfig of Kind cluster "+c.name, err)
	}
	if err := os.WriteFile(c.kubeconfig, []byte(kc), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.progress, "kind: reusing cluster %s (E2E_KIND_REUSE=1); it will not be deleted\n", c.name)
	return nil
}

// failed runs when Create fails after it started making things: it saves
// what kind can tell about the cluster, then removes what this run made.
func (c *Cluster) failed(cause error) {
	if c.kind != nil && c.logsDir != "" && (c.owned.Load() || c.reuse) {
		if err := c.kind.CollectLogs(c.name, c.logsDir); err != nil {
			fmt.Fprintf(c.progress, "kind: collecting the logs of cluster %s: %v\n", c.name, err)
		} else {
			fmt.Fprintf(c.progress, "kind: logs of cluster %s are in %s\n", c.name, c.logsDir)
		}
	}
	if err := c.Destroy(context.Background()); err != nil {
		fmt.Fprintf(c.progress, "kind: after %v, cleaning up also failed: %v\n", cause, err)
	}
}

// ExportLogs saves kind's logs of the cluster (node journals, /var/log with
// the pods' and the audit logs, container runtime state) under dir.
func (c *Cluster) ExportLogs(ctx context.Context, dir string) error {
	if c.kind == nil || c.name == "" {
		return errors.New("no kind cluster to export logs from")
	}
	err := c.kind.CollectLogs(c.name, dir)
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
			fmt.Fprintf(c.progress, "kind: keeping the package index container too (E2E_KEEP=1); remove it with: %s rm -f %s\n", c.engine.Name, pipIndexContainer(c.name))
		}
		defer func() { err = errors.Join(err, indexErr) }()
		if c.keep && c.owned.Load() {
			c.mark(keptFile)
			fmt.Fprintf(c.progress, "kind: keeping cluster %s (E2E_KEEP=1); kubeconfig %s\n  run on it again: E2E_KIND_REUSE=1 E2E_CLUSTER_NAME=%s\n  delete it: kind delete cluster --name %s (or %s rm -f %s-control-plane)\n",
				c.name, c.kubeconfig, c.name, c.name, c.engine.Name, c.name)
			return
		}
		if c.owned.Load() {
			if err = c.deleteCluster(); err != nil {
				err = fmt.Errorf("%w (delete it with: %s rm -f %s-control-plane)", withOutput("delete Kind cluster "+c.name, err), c.engine.Name, c.name)
			} else {
				fmt.Fprintf(c.progress, "kind: deleted cluster %s\n", c.name)
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

// deleteCluster deletes the cluster's nodes and its entry in the run's
// kubeconfig. kind falls back to $KUBECONFIG and ~/.kube/config when given
// no kubeconfig path, so it is never called without one.
func (c *Cluster) deleteCluster() error {
	if c.kind == nil || c.kubeconfig == "" {
		return errors.New("no kind cluster of this run to delete")
	}
	return c.kind.Delete(c.name, c.kubeconfig)
}

func uniqueName() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return NamePrefix + hex.EncodeToString(b)
}
