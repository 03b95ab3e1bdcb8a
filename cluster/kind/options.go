// The provider's options and New: each option checks its value where it is
// applied, and e2e-framework's builder methods (cluster.Builder) apply the
// same ones.

package kind

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Option configures a Cluster. An option whose value cannot work returns an
// error that names the fix, and New returns it before anything is made.
type Option func(*Cluster) error

// WithName names the cluster; without it each run makes up a unique name.
func WithName(name string) Option {
	return func(c *Cluster) error {
		if !validName.MatchString(name) {
			return fmt.Errorf("cluster name %q: kind names are 1 to 50 of a-z, 0-9, '.' and '-'", name)
		}
		c.ClusterName, c.named = name, true
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
	return func(c *Cluster) error { c.preload = preload; return nil }
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
		Handle:   cluster.Handle{ClusterName: uniqueName()},
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

// validName is kind's rule for cluster names; 50 characters leave room for
// the "-control-plane" suffix in a 64-character host name.
var validName = regexp.MustCompile(`^[a-z0-9.-]{1,50}$`)

func uniqueName() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return NamePrefix + hex.EncodeToString(b)
}
