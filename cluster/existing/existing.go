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
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/support"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
)

// Cluster is the existing-cluster provider.
type Cluster struct {
	kubeconfig   string
	context      string
	auditLog     string
	restCfg      *rest.Config
	noContainers string // why no container runs, found by Create; "" if they do
}

var _ cluster.Provider = (*Cluster)(nil)

// Option configures a Cluster.
type Option func(*Cluster)

// WithKubeconfig uses path instead of $KUBECONFIG.
func WithKubeconfig(path string) Option { return func(c *Cluster) { c.kubeconfig = path } }

// WithContext picks a kubeconfig context other than the current one.
func WithContext(name string) Option { return func(c *Cluster) { c.context = name } }

// WithAuditLog names a file where the API server's audit log can be read
// (e.g. a control-plane host's log on a shared disk); without it the audit
// assertions are skipped and the verdicts come from the API alone.
func WithAuditLog(path string) Option { return func(c *Cluster) { c.auditLog = path } }

// New returns the provider; the suite passes KUBECONFIG, E2E_KUBE_CONTEXT
// and E2E_AUDIT_LOG as options (internal/settings reads them).
func New(opts ...Option) *Cluster {
	c := &Cluster{}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *Cluster) SetDefaults() support.E2EClusterProvider       { return c }
func (c *Cluster) WithName(string) support.E2EClusterProvider    { return c }
func (c *Cluster) WithVersion(string) support.E2EClusterProvider { return c }
func (c *Cluster) WithPath(string) support.E2EClusterProvider    { return c }
func (c *Cluster) GetKubeconfig() string                         { return c.kubeconfig }
func (c *Cluster) GetKubectlContext() string                     { return c.context }
func (c *Cluster) DefaultChart() string                          { return "repo" }
func (c *Cluster) KubernetesRestConfig() *rest.Config            { return rest.CopyConfig(c.restCfg) }
func (c *Cluster) ExportLogs(context.Context, string) error      { return nil }
func (c *Cluster) Destroy(context.Context) error                 { return nil }
func (c *Cluster) GenerateKubeconfig(...string) (string, error)  { return c.kubeconfig, nil }
func (c *Cluster) CreateWithConfig(ctx context.Context, _ string) (string, error) {
	return c.Create(ctx)
}

func (c *Cluster) WithOpts(opts ...support.ClusterOpts) support.E2EClusterProvider {
	for _, o := range opts {
		o(c)
	}
	return c
}

// Create checks that the kubeconfig exists and its cluster answers.
func (c *Cluster) Create(ctx context.Context, _ ...string) (string, error) {
	if c.kubeconfig == "" {
		return "", errors.New("E2E_PROVIDER=existing needs KUBECONFIG to name the cluster's kubeconfig file (or use E2E_PROVIDER=local)")
	}
	if paths := filepath.SplitList(c.kubeconfig); len(paths) > 1 {
		// Helm and e2e-framework take one kubeconfig file, so a merged list
		// would reach only part of the suite.
		return "", fmt.Errorf("KUBECONFIG=%s lists %d files; E2E_PROVIDER=existing needs one: write the cluster's entry to a file of its own (kubectl config view --minify --flatten > FILE) and point KUBECONFIG at it", c.kubeconfig, len(paths))
	}
	if _, err := os.Stat(c.kubeconfig); err != nil {
		return "", fmt.Errorf("KUBECONFIG=%s: %w; point it at the kubeconfig of the cluster to test", c.kubeconfig, err)
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: c.kubeconfig}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.context}).ClientConfig()
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
	return c.kubeconfig, nil
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
