// The provider's options and New: each option checks its value where it is
// applied, and e2e-framework's builder methods (cluster.Builder) apply the
// same ones.

package local

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Option configures a Cluster. An option whose value cannot work returns an
// error that names the fix, and New returns it before anything starts.
type Option func(*Cluster) error

// WithName names the cluster, which is its kubeconfig context; an empty
// name keeps the default, kuberay-e2e.
func WithName(name string) Option {
	return func(c *Cluster) error { c.ClusterName = cmp.Or(name, c.ClusterName); return nil }
}

// WithVersion picks the Kubernetes version ("v1.34", "1.24.17", ...); it
// must be pinned in versions.
func WithVersion(version string) Option {
	return func(c *Cluster) (err error) {
		c.kube, err = versions.LookupKubernetes(version)
		return err
	}
}

// WithPath runs the prebuilt kube-apiserver, kube-controller-manager,
// kube-scheduler, etcd, kwok and ray-operator in dir instead of building
// them.
func WithPath(dir string) Option {
	return func(c *Cluster) error {
		set := binaries.Set{
			APIServer:         filepath.Join(dir, "kube-apiserver"),
			ControllerManager: filepath.Join(dir, "kube-controller-manager"),
			Scheduler:         filepath.Join(dir, "kube-scheduler"),
			Etcd:              filepath.Join(dir, "etcd"),
			KWOK:              filepath.Join(dir, "kwok"),
			Operator:          filepath.Join(dir, "ray-operator"),
		}
		for _, p := range []string{set.APIServer, set.ControllerManager, set.Scheduler, set.Etcd, set.KWOK, set.Operator} {
			if _, err := os.Stat(p); err != nil {
				return fmt.Errorf("prebuilt binary %s: %w (the path option names a directory holding all six binaries; unset it to build them)", p, err)
			}
		}
		c.prebuilt = &set
		return nil
	}
}

// WithCacheDir overrides where built binaries are cached.
func WithCacheDir(dir string) Option { return func(c *Cluster) error { c.cacheDir = dir; return nil } }

// WithBuildDeadline stops building binaries at t, with an error that says
// what is cached and how to build the rest (binaries.WithDeadline); zero
// means no deadline.
func WithBuildDeadline(t time.Time) Option {
	return func(c *Cluster) error { c.buildStop = t; return nil }
}

// WithStartTimeout bounds how long one component may take to become ready
// (default 60s).
func WithStartTimeout(d time.Duration) Option {
	return func(c *Cluster) error {
		c.startTimeout = d
		return cluster.Positive("local: the time a component has to become ready,", d, "E2E_LOCAL_START_TIMEOUT, for example 60s")
	}
}

// WithKubeRay runs the operator of KubeRay release r (default: the default
// release).
func WithKubeRay(r versions.KubeRayRelease) Option {
	return func(c *Cluster) error { c.kubeRay = r; return nil }
}

// WithKeep keeps the run directory (kubeconfig, logs, etcd data) after
// Destroy, for debugging.
func WithKeep(keep bool) Option { return func(c *Cluster) error { c.keep = keep; return nil } }

// WithAuditPolicy uses another audit policy file than the repository's.
func WithAuditPolicy(path string) Option {
	return func(c *Cluster) error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("audit policy %s: %w (the local tier passes the repository's audit-policy.yaml to kube-apiserver)", path, err)
		}
		c.auditPol = path
		return nil
	}
}

// WithoutAuditFlags starts kube-apiserver without its audit flags while the
// provider still offers the log's path, as a misconfigured cluster looks to
// the suite: readable, and never written. Tests use it to show that step 1
// catches such an API server.
func WithoutAuditFlags() Option { return func(c *Cluster) error { c.noAudit = true; return nil } }

// WithLogsDir keeps the components' logs in dir when Create fails: the run
// directory that held them is removed then, and the error points here.
func WithLogsDir(dir string) Option { return func(c *Cluster) error { c.logsDir = dir; return nil } }

// WithProgress sends build and start-up progress to w (default stderr).
func WithProgress(w io.Writer) Option { return func(c *Cluster) error { c.progress = w; return nil } }

// New returns a local cluster provider, by default for the tutorial's
// Kubernetes version.
func New(opts ...Option) (*Cluster, error) {
	c := &Cluster{Handle: cluster.Handle{ClusterName: "kuberay-e2e"}, kubeRay: versions.DefaultKubeRay(), progress: os.Stderr, startTimeout: 60 * time.Second}
	if err := WithVersion(versions.DefaultKubernetes)(c); err != nil {
		return nil, err
	}
	c.Builder = cluster.NewBuilder(c, func(name string) error { return WithName(name)(c) },
		func(version string) error { return WithVersion(version)(c) },
		func(dir string) error { return WithPath(dir)(c) })
	if err := cluster.Apply(c, opts...); err != nil {
		return nil, err
	}
	return c, nil
}
