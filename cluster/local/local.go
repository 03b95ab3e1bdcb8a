// Package local is the local tier: a real Kubernetes control plane (etcd,
// kube-apiserver with the repository's audit policy, controller manager,
// scheduler) and KWOK for a fake node, all built from pinned Go modules and
// run as supervised processes on 127.0.0.1. Pod Security Admission, the audit
// log and the operator's reconciliation are real; containers are not.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/files"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

const (
	// serviceCIDR only names Service addresses; nothing routes to it.
	serviceCIDR = "10.96.0.0/16"
	serviceIP   = "10.96.0.1"
	// NodeName is the KWOK node pods are scheduled to.
	NodeName = "kwok-node-0"

	runDirPrefix = "kuberay-e2e-local-"
)

// Cluster is the local tier's cluster provider.
type Cluster struct {
	cluster.Handle
	kube     versions.Kubernetes     // WithVersion
	kubeRay  versions.KubeRayRelease // WithKubeRay
	prebuilt *binaries.Set           // WithPath: prebuilt binaries instead of building
	cluster.Builder
	cacheDir  string
	buildStop time.Time // WithBuildDeadline
	keep      bool
	auditPol  string
	noAudit   bool   // WithoutAuditFlags
	logsDir   string // WithLogsDir
	// startTimeout bounds how long one component may take to become ready
	// (WithStartTimeout); a healthy one takes a few seconds even on 2
	// loaded cores.
	startTimeout time.Duration
	progress     io.Writer
	components   []*component

	dir      string
	auditLog string
	pki      *pki
	bins     binaries.Set
	apiURL   string

	timings []string // start-up durations, for the progress line

	mu            sync.Mutex
	operators     []*component
	removeOnIntr  func()
	destroyedOnce sync.Once
}

var _ cluster.Provider = (*Cluster)(nil)

func (c *Cluster) GetKubectlContext() string { return c.ClusterName }
func (c *Cluster) DefaultChart() string      { return "standin" }

func (c *Cluster) Containers() (bool, string) {
	return false, "no containers on the local tier: its node is a KWOK fake, which reports every pod Running and Ready without running a container, so admission and scheduling are proven there, readiness is not (E2E_PROVIDER=kind runs them)"
}

// OperatorSource: the chart's pod runs no container here, so the operator
// is the binary built from the pinned module, run as a local process.
func (c *Cluster) OperatorSource() string {
	return "the ray-operator binary built from the " + c.kubeRay.Version + " module, run as a local process with the chart's ServiceAccount"
}

// Auditing: the local tier starts kube-apiserver with the audit policy and
// reads the log file directly.
func (c *Cluster) Auditing() (bool, string) { return true, "" }

func (c *Cluster) CreateWithConfig(ctx context.Context, _ string) (string, error) {
	return c.Create(ctx)
}

// Create builds or finds the binaries and starts the control plane. It
// returns the path of a kubeconfig private to this run.
func (c *Cluster) Create(ctx context.Context, _ ...string) (kubeconfig string, err error) {
	if err := c.Err(); err != nil {
		return "", err
	}
	k := c.kube
	if c.auditPol == "" {
		policy, err := repo.Path("audit-policy.yaml")
		if err == nil {
			err = WithAuditPolicy(policy)(c)
		}
		if err != nil {
			return "", err
		}
	}
	if c.bins, err = c.binaries(ctx, k); err != nil {
		return "", err
	}
	RemoveStaleRunDirs()
	if c.dir, err = files.OwnedTempDir(runDirPrefix); err != nil {
		return "", fmt.Errorf("create run directory: %w", err)
	}
	// Ctrl-C between here and Destroy must not leave the directory behind.
	c.removeOnIntr = proc.OnInterrupt(c.removeDir)
	defer func() {
		if err != nil {
			c.stopAll()
			if c.logsDir != "" {
				_ = c.ExportLogs(ctx, c.logsDir)
			}
			c.removeDir()
			c.removeOnIntr()
		}
	}()
	for _, d := range []string{"logs", "audit"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o700); err != nil {
			return "", err
		}
	}
	c.auditLog = filepath.Join(c.dir, "audit", "kube-apiserver-audit.log")
	if c.pki, err = newPKI(filepath.Join(c.dir, "pki")); err != nil {
		return "", fmt.Errorf("create certificates: %w", err)
	}
	start := time.Now()
	if err := c.startControlPlane(ctx, k); err != nil {
		return "", err
	}
	fmt.Fprintf(c.progress, "local: Kubernetes %s control plane ready in %s (%s; run directory %s)\n", k.Version, since(start), strings.Join(c.timings, ", "), c.dir)
	return c.KubeconfigFile, nil
}

func (c *Cluster) binaries(ctx context.Context, k versions.Kubernetes) (binaries.Set, error) {
	if c.prebuilt != nil {
		return *c.prebuilt, nil
	}
	opts := []binaries.Option{binaries.WithProgress(c.progress), binaries.WithDeadline(c.buildStop), binaries.WithKubeRay(c.kubeRay)}
	if c.cacheDir != "" {
		opts = append(opts, binaries.WithCacheDir(c.cacheDir))
	}
	return binaries.Ensure(ctx, k, opts...)
}

// WaitForControlPlane waits until the controller manager has created the
// default ServiceAccount, which pods need before they can be admitted.
func (c *Cluster) WaitForControlPlane(ctx context.Context, _ klient.Client) error {
	cs, err := kubernetes.NewForConfig(c.RestConfig)
	if err != nil {
		return err
	}
	return c.poll(ctx, `ServiceAccount "default" in namespace default`, c.componentByName("kube-controller-manager"), func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

// AuditLog opens the API server's audit log.
func (c *Cluster) AuditLog(context.Context) (io.ReadCloser, error) {
	if c.auditLog == "" {
		return nil, cluster.NoAuditLog("the local cluster has not been created")
	}
	return os.Open(c.auditLog)
}

// AuditLogPath is the file kube-apiserver writes its audit events to.
func (c *Cluster) AuditLogPath() string { return c.auditLog }

// ExportLogs copies every component's log and the audit log into dest. Keys
// and kubeconfigs stay behind: evidence must not carry credentials.
func (c *Cluster) ExportLogs(_ context.Context, dest string) error {
	if c.dir == "" {
		return errors.New("local cluster not created: no logs to export")
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	var errs []error
	logs, _ := filepath.Glob(filepath.Join(c.dir, "logs", "*.log"))
	for _, src := range append(logs, c.auditLog) {
		if err := files.Copy(src, filepath.Join(dest, filepath.Base(src))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Destroy stops every process and removes the run directory, unless the
// cluster was asked to keep it.
func (c *Cluster) Destroy(context.Context) error {
	c.destroyedOnce.Do(func() {
		start := time.Now()
		c.stopAll()
		if c.keep {
			// The marker spares the directory from the next run's sweep of
			// directories whose harness is gone.
			_ = os.WriteFile(filepath.Join(c.dir, files.KeepFile), []byte("E2E_KEEP\n"), 0o600)
			fmt.Fprintf(c.progress, "local: stopped; run directory kept at %s (kubeconfig %s)\n", c.dir, c.KubeconfigFile)
		} else {
			c.removeDir()
		}
		if c.removeOnIntr != nil {
			c.removeOnIntr()
		}
		fmt.Fprintf(c.progress, "local: torn down in %s\n", time.Since(start).Round(10*time.Millisecond))
	})
	return nil
}

func (c *Cluster) removeDir() {
	if c.dir != "" && !c.keep {
		_ = os.RemoveAll(c.dir)
	}
}

// stopAll stops the operator and the components together, then etcd last,
// so that nothing writes to etcd while it shuts down.
func (c *Cluster) stopAll() {
	c.mu.Lock()
	all := append(append([]*component{}, c.operators...), c.components...)
	c.operators = nil
	c.mu.Unlock()
	var etcd *component
	var wg sync.WaitGroup
	for _, comp := range all {
		if comp.name == "etcd" {
			etcd = comp
			continue
		}
		wg.Add(1)
		go func(comp *component) { defer wg.Done(); c.timedStop(comp) }(comp)
	}
	wg.Wait()
	c.timedStop(etcd)
}

func (c *Cluster) timedStop(comp *component) {
	if comp == nil || comp.p == nil {
		return
	}
	start := time.Now()
	comp.stop()
	if d := time.Since(start); d > time.Second {
		fmt.Fprintf(c.progress, "local: %s took %s to stop\n", comp.name, d.Round(10*time.Millisecond))
	}
}

func (c *Cluster) componentByName(name string) *component {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, comp := range c.components {
		if comp.name == name {
			return comp
		}
	}
	return nil
}

// RemoveStaleRunDirs deletes run directories whose harness process is gone:
// a `go test -timeout` panic or kill -9 ends the harness before it can clean
// up (its children die with it through the parent-death signal).
func RemoveStaleRunDirs() { files.RemoveStale(runDirPrefix) }
