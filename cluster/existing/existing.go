// Package existing runs the tutorial on a cluster the user already has, named
// by KUBECONFIG (and optionally a context). It creates and destroys nothing
// but what the suite itself makes in the cluster.
package existing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/e2e-framework/klient"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

// Cluster is the existing-cluster provider.
type Cluster struct {
	name         string // envfuncs's name for it, for the record
	kubeconfig   string
	context      string
	auditLog     string
	restCfg      *rest.Config
	noContainers string // why no container runs, found by Create; "" if they do
	cluster.Builder

	// runKubeconfig is the kubeconfig the run's clients use: the user's, or
	// a copy in dir with the chosen context as the current one.
	runKubeconfig string
	dir           string
	removeOnIntr  func()
}

var _ cluster.Provider = (*Cluster)(nil)

// Option configures a Cluster. An option whose value cannot work returns an
// error that names the fix, and New returns it before the cluster is asked
// anything.
type Option func(*Cluster) error

// WithKubeconfig names the cluster's kubeconfig file (the suite passes
// KUBECONFIG). It must be one file: Helm and e2e-framework take one.
func WithKubeconfig(path string) Option {
	return func(c *Cluster) error {
		if path == "" {
			return nil // New says what is missing
		}
		if paths := filepath.SplitList(path); len(paths) > 1 {
			return fmt.Errorf("KUBECONFIG=%s lists %d files; E2E_PROVIDER=existing needs one: write the cluster's entry to a file of its own (kubectl config view --minify --flatten > FILE) and point KUBECONFIG at it", path, len(paths))
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("KUBECONFIG=%s: %w; point it at the kubeconfig of the cluster to test", path, err)
		}
		c.kubeconfig = path
		return nil
	}
}

// WithContext picks a kubeconfig context other than the current one.
func WithContext(name string) Option { return func(c *Cluster) error { c.context = name; return nil } }

// WithAuditLog names a file where the API server's audit log can be read
// (e.g. a control-plane host's log on a shared disk); without it the audit
// assertions are skipped and the verdicts come from the API alone. Whether
// the file is there is Auditing's to say, when the run starts.
func WithAuditLog(path string) Option {
	return func(c *Cluster) error { c.auditLog = path; return nil }
}

// New returns the provider; the suite passes KUBECONFIG, E2E_KUBE_CONTEXT
// and E2E_AUDIT_LOG as options (internal/settings reads them). A kubeconfig
// is required: the user's ~/.kube/config is never picked up behind their
// back.
func New(opts ...Option) (*Cluster, error) {
	c := &Cluster{}
	// An existing cluster has the name, version and binaries it has:
	// envfuncs's name is kept only to be reported, and a version or a path
	// is a mistake.
	c.Builder = cluster.NewBuilder(c, func(name string) error { c.name = name; return nil },
		func(v string) error {
			return fmt.Errorf("E2E_PROVIDER=existing runs the cluster's own Kubernetes version; it cannot pick %s", v)
		},
		func(p string) error {
			return fmt.Errorf("E2E_PROVIDER=existing runs no binaries of its own; %s is not used", p)
		})
	if err := cluster.Apply(c, opts...); err != nil {
		return nil, err
	}
	if c.kubeconfig == "" {
		return nil, errors.New("E2E_PROVIDER=existing needs KUBECONFIG to name the cluster's kubeconfig file (or use E2E_PROVIDER=local)")
	}
	return c, nil
}

// Name is the name the suite gave the cluster, or else its kubeconfig
// context.
func (c *Cluster) Name() string {
	if c.name != "" {
		return c.name
	}
	if c.context != "" {
		return c.context
	}
	return "existing"
}

func (c *Cluster) GetKubeconfig() string                        { return c.runKubeconfig }
func (c *Cluster) GetKubectlContext() string                    { return c.context }
func (c *Cluster) DefaultChart() string                         { return "repo" }
func (c *Cluster) KubernetesRestConfig() *rest.Config           { return rest.CopyConfig(c.restCfg) }
func (c *Cluster) ExportLogs(context.Context, string) error     { return nil }
func (c *Cluster) GenerateKubeconfig(...string) (string, error) { return c.runKubeconfig, nil }
func (c *Cluster) CreateWithConfig(ctx context.Context, _ string) (string, error) {
	return c.Create(ctx)
}

// Create checks that the kubeconfig's cluster answers and returns the
// kubeconfig every client of the run uses. When E2E_KUBE_CONTEXT picks a
// context other than the file's current one, that is a copy private to the
// run holding only the chosen context, whose current context it is: Helm
// and e2e-framework read a file's current context, and would otherwise talk
// to another cluster. Destroy removes the copy.
func (c *Cluster) Create(ctx context.Context, _ ...string) (string, error) {
	if err := c.Err(); err != nil {
		return "", err
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: c.kubeconfig}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.context})
	cfg, err := loader.ClientConfig()
	if err != nil {
		return "", fmt.Errorf("kubeconfig %s (context %q): %w", c.kubeconfig, c.context, err)
	}
	cfg.Timeout = 15 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", err
	}
	if _, err := dc.ServerVersion(); err != nil {
		return "", fmt.Errorf("the cluster of %s at %s does not answer: %w; check the kubeconfig, the context and the network", c.kubeconfig, cfg.Host, err)
	}
	c.noContainers = kwokOnly(ctx, cfg)
	cfg.Timeout = 0
	c.restCfg = cfg
	c.runKubeconfig = c.kubeconfig
	raw, err := loader.RawConfig()
	if err != nil {
		return "", err
	}
	if c.context != "" && c.context != raw.CurrentContext {
		if err := c.writeRunKubeconfig(raw); err != nil {
			return "", err
		}
	}
	return c.runKubeconfig, nil
}

// writeRunKubeconfig writes the chosen context alone, with the files it
// names made absolute, into a temporary directory of the run's; Ctrl-C and
// Destroy remove it.
func (c *Cluster) writeRunKubeconfig(raw clientcmdapi.Config) error {
	raw.CurrentContext = c.context
	if err := clientcmdapi.MinifyConfig(&raw); err != nil {
		return fmt.Errorf("kubeconfig %s (context %q): %w", c.kubeconfig, c.context, err)
	}
	dir, err := os.MkdirTemp("", "kuberay-e2e-existing-")
	if err != nil {
		return fmt.Errorf("a directory for the run's kubeconfig: %w", err)
	}
	c.dir = dir
	c.removeOnIntr = proc.OnInterrupt(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(raw, path); err != nil {
		return fmt.Errorf("write the run's kubeconfig for context %q: %w", c.context, err)
	}
	c.runKubeconfig = path
	return nil
}

// Destroy removes the run's copy of the kubeconfig, if Create made one; the
// cluster itself is the user's and stays.
func (c *Cluster) Destroy(context.Context) error {
	if c.removeOnIntr != nil {
		c.removeOnIntr()
	}
	if c.dir == "" {
		return nil
	}
	err := os.RemoveAll(c.dir)
	c.dir = ""
	return err
}

// kwokOnly says why no container can run when every node of the cluster is
// a KWOK fake, and "" otherwise. A user who may not list nodes, or a cluster
// with no node yet (an autoscaler may add some), is given the benefit of the
// doubt: the steps that need containers then run and say what they saw.
func kwokOnly(ctx context.Context, cfg *rest.Config) string {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return ""
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		return ""
	}
	var names []string
	for _, n := range nodes.Items {
		if n.Annotations[cluster.KWOKNodeAnnotation] != cluster.KWOKNodeFake {
			return ""
		}
		names = append(names, n.Name)
	}
	which := strings.Join(names, ", ")
	if len(names) > 3 {
		which = fmt.Sprintf("%d nodes", len(names))
	}
	return fmt.Sprintf("no containers: every node of this cluster is a KWOK fake (%s, annotated %s=%s): pods are reported Running, but no container runs",
		which, cluster.KWOKNodeAnnotation, cluster.KWOKNodeFake)
}

// Containers is false, with the reason, on a cluster of KWOK fake nodes.
func (c *Cluster) Containers() (bool, string) { return c.noContainers == "", c.noContainers }

// WaitForControlPlane returns at once: Create has seen the API server answer.
func (c *Cluster) WaitForControlPlane(context.Context, klient.Client) error { return nil }

// noAuditLog is why an existing cluster's audit log cannot be read.
const noAuditLog = "no audit log: an existing cluster's audit log is on its control plane, out of the suite's reach; set E2E_AUDIT_LOG to the log as it is written (a shared disk, or a copy kept in sync) to check the audit steps"

// Auditing says whether E2E_AUDIT_LOG names the log; whether the API server
// really writes it there, step 1 proves.
func (c *Cluster) Auditing() (bool, string) {
	if c.auditLog == "" {
		return false, noAuditLog
	}
	if _, err := os.Stat(c.auditLog); err != nil {
		return false, fmt.Sprintf("no audit log: E2E_AUDIT_LOG=%s: %v", c.auditLog, err)
	}
	return true, ""
}

// AuditLog opens the file named by E2E_AUDIT_LOG.
func (c *Cluster) AuditLog(context.Context) (io.ReadCloser, error) {
	if c.auditLog == "" {
		return nil, cluster.NoAuditLog("%s", noAuditLog)
	}
	f, err := os.Open(c.auditLog)
	if err != nil {
		return nil, fmt.Errorf("E2E_AUDIT_LOG=%s: %w; name the API server's audit log as it is written, or unset it to skip the audit steps", c.auditLog, err)
	}
	return f, nil
}

// RunOperator does nothing: the chart's own pod runs the operator.
func (c *Cluster) RunOperator(context.Context, string, string) (func(), error) { return func() {}, nil }
