package cluster

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/support"
)

// Apply runs a provider's options on c in order and returns the first error:
// every provider's New is its defaults, Apply, and what it checks of the
// options together.
func Apply[C any, O ~func(*C) error](c *C, opts ...O) error {
	for _, o := range opts {
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}

// Builder is the builder half of e2e-framework's support.E2EClusterProvider
// (SetDefaults, WithName, WithVersion, WithPath, WithOpts), through which
// envfuncs.CreateCluster names the cluster. A provider embeds it and routes
// each method to its own option of that name, so that there is one way to
// configure a provider. The methods cannot return an error; Err keeps the
// first one, and the provider's Create returns it before doing anything.
type Builder struct {
	self                support.E2EClusterProvider
	name, version, path func(string) error
	err                 error
}

// NewBuilder makes the builder of provider self; name, version and path
// apply its options of those names (or refuse, saying why).
func NewBuilder(self support.E2EClusterProvider, name, version, path func(string) error) Builder {
	return Builder{self: self, name: name, version: version, path: path}
}

// Err is the first mistake the builder methods met, or nil.
func (b *Builder) Err() error { return b.err }

func (b *Builder) SetDefaults() support.E2EClusterProvider { return b.self }

func (b *Builder) WithName(name string) support.E2EClusterProvider {
	return b.apply(b.name(name))
}

func (b *Builder) WithVersion(version string) support.E2EClusterProvider {
	return b.apply(b.version(version))
}

func (b *Builder) WithPath(path string) support.E2EClusterProvider {
	return b.apply(b.path(path))
}

func (b *Builder) WithOpts(opts ...support.ClusterOpts) support.E2EClusterProvider {
	for _, o := range opts {
		o(b.self)
	}
	return b.self
}

func (b *Builder) apply(err error) support.E2EClusterProvider {
	b.err = errors.Join(b.err, err)
	return b.self
}

// Positive refuses a timeout that is not a positive duration, in words that
// name the setting that gives it.
func Positive(what string, d time.Duration, setting string) error {
	if d <= 0 {
		return fmt.Errorf("%s %s: use a positive duration (%s)", what, d, setting)
	}
	return nil
}

// Handle is what a provider knows of its cluster: its name, and once Create
// has made it or attached to it, the run's kubeconfig file and REST config.
// The kind and local providers embed it for e2e-framework's getters.
type Handle struct {
	ClusterName    string
	KubeconfigFile string
	RestConfig     *rest.Config
}

func (h *Handle) Name() string          { return h.ClusterName }
func (h *Handle) GetKubeconfig() string { return h.KubeconfigFile }

// KubernetesRestConfig is a copy, which the caller may change.
func (h *Handle) KubernetesRestConfig() *rest.Config { return rest.CopyConfig(h.RestConfig) }

// GenerateKubeconfig is the run's kubeconfig: the file every client of the
// run reads, never the user's ~/.kube/config.
func (h *Handle) GenerateKubeconfig(...string) (string, error) {
	if h.KubeconfigFile == "" {
		return "", fmt.Errorf("cluster %s is not created yet", h.ClusterName)
	}
	return h.KubeconfigFile, nil
}
