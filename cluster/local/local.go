// Package local is the local tier: a real Kubernetes control plane (etcd,
// kube-apiserver with the repository's audit policy, controller manager,
// scheduler) and KWOK for a fake node, all built from pinned Go modules and
// run as supervised processes on 127.0.0.1. Pod Security Admission, the audit
// log and the operator's reconciliation are real; containers are not.
package local

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
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
	pidFile      = "owner.pid"
)

// Cluster is the local tier's cluster provider.
type Cluster struct {
	name     string
	version  string
	prebuilt *binaries.Set // WithPath: prebuilt binaries instead of building
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

	dir        string
	kubeconfig string
	restCfg    *rest.Config
	auditLog   string
	pki        *pki
	bins       binaries.Set
	apiURL     string

	timings []string // start-up durations, for the progress line

	mu            sync.Mutex
	operators     []*component
	removeOnIntr  func()
	destroyedOnce sync.Once
}

var _ cluster.Provider = (*Cluster)(nil)

// Option configures a Cluster. An option whose value cannot work returns an
// error that names the fix, and New returns it before anything starts.
type Option func(*Cluster) error

// WithName names the cluster, which is its kubeconfig context; an empty
// name keeps the default, kuberay-e2e.
func WithName(name string) Option {
	return func(c *Cluster) error { c.name = cmp.Or(name, c.name); return nil }
}

// WithVersion picks the Kubernetes version ("v1.34", "1.24.17", ...); it
// must be pinned in versions.
func WithVersion(version string) Option {
	return func(c *Cluster) error {
		if _, err := versions.LookupKubernetes(version); err != nil {
			return err
		}
		c.version = version
		return nil
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
	c := &Cluster{name: "kuberay-e2e", version: versions.DefaultKubernetes, progress: os.Stderr, startTimeout: 60 * time.Second}
	c.Builder = cluster.NewBuilder(c, func(name string) error { return WithName(name)(c) },
		func(version string) error { return WithVersion(version)(c) },
		func(dir string) error { return WithPath(dir)(c) })
	if err := cluster.Apply(c, opts...); err != nil {
		return nil, err
	}
	return c, nil
}

// Name is the cluster's name, its kubeconfig context.
func (c *Cluster) Name() string              { return c.name }
func (c *Cluster) GetKubeconfig() string     { return c.kubeconfig }
func (c *Cluster) GetKubectlContext() string { return c.name }
func (c *Cluster) DefaultChart() string      { return "standin" }

func (c *Cluster) GenerateKubeconfig(...string) (string, error) {
	if c.kubeconfig == "" {
		return "", errors.New("local cluster not created yet")
	}
	return c.kubeconfig, nil
}

func (c *Cluster) KubernetesRestConfig() *rest.Config { return rest.CopyConfig(c.restCfg) }

func (c *Cluster) Containers() (bool, string) {
	return false, "no containers on the local tier: its node is a KWOK fake, so pods are scheduled and reported Running but no container runs (E2E_PROVIDER=kind runs them)"
}

// OperatorSource: the chart's pod runs no container here, so the operator
// is the binary built from the pinned module, run as a local process.
func (c *Cluster) OperatorSource() string {
	return "the ray-operator binary built from the pinned module, run as a local process with the chart's ServiceAccount"
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
	k, err := versions.LookupKubernetes(c.version)
	if err != nil {
		return "", err
	}
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
	if c.dir, err = os.MkdirTemp("", runDirPrefix); err != nil {
		return "", fmt.Errorf("create run directory: %w", err)
	}
	_ = os.WriteFile(filepath.Join(c.dir, pidFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
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
	return c.kubeconfig, nil
}

func (c *Cluster) binaries(ctx context.Context, k versions.Kubernetes) (binaries.Set, error) {
	if c.prebuilt != nil {
		return *c.prebuilt, nil
	}
	opts := []binaries.Option{binaries.WithProgress(c.progress), binaries.WithDeadline(c.buildStop)}
	if c.cacheDir != "" {
		opts = append(opts, binaries.WithCacheDir(c.cacheDir))
	}
	return binaries.Ensure(ctx, k, opts...)
}

func (c *Cluster) startControlPlane(ctx context.Context, k versions.Kubernetes) error {
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	etcdClient, etcdPeer, apiPort, kcmPort, schedPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)

	etcd := &component{name: "etcd", bin: c.bins.Etcd, args: []string{
		"--name=e2e", "--data-dir=" + filepath.Join(c.dir, "etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=e2e=" + peerURL,
		// A throw-away store: durability buys nothing and fsync costs seconds.
		"--unsafe-no-fsync", "--log-level=warn",
	}, ready: httpReady(http.DefaultClient, etcdURL+"/health", "true")}
	t0 := time.Now()
	if err := c.start(ctx, etcd); err != nil {
		return err
	}
	c.timings = append(c.timings, "etcd "+since(t0))

	c.apiURL = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	p := c.pki
	api := &component{name: "kube-apiserver", bin: c.bins.APIServer, args: []string{
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiPort),
		"--etcd-servers=" + etcdURL,
		"--client-ca-file=" + p.CACert, "--tls-cert-file=" + p.ServingCert, "--tls-private-key-file=" + p.ServingKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.ServiceAccountPub, "--service-account-signing-key-file=" + p.ServiceAccountKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=RBAC",
		// One API server with no real endpoints: keep the kubernetes Service's
		// endpoints out of the reconciler's hands.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	}}
	if !c.noAudit {
		api.args = append(api.args,
			"--audit-policy-file="+c.auditPol, "--audit-log-path="+c.auditLog, "--audit-log-format=json",
			// Rotation would split the evidence of one run over several files;
			// 0 would mean the log library's 100 MB default, so set 100 GB.
			"--audit-log-maxsize=100000",
		)
	}
	api.ready = httpReady(c.adminHTTPClient(), c.apiURL+"/readyz", "ok")
	t0 = time.Now()
	if err := c.start(ctx, api); err != nil {
		return err
	}
	c.timings = append(c.timings, "kube-apiserver "+since(t0))
	if err := c.writeKubeconfig(); err != nil {
		return err
	}

	kcmDir, schedDir := filepath.Join(c.dir, "kube-controller-manager"), filepath.Join(c.dir, "kube-scheduler")
	kcm := &component{name: "kube-controller-manager", bin: c.bins.ControllerManager, args: []string{
		"--kubeconfig=" + c.kubeconfig, "--authentication-kubeconfig=" + c.kubeconfig, "--authorization-kubeconfig=" + c.kubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(kcmPort), "--cert-dir=" + kcmDir,
		"--leader-elect=false",
		// The ServiceAccount controllers need these; without them pod creation
		// fails first with `serviceaccount "default" not found`.
		"--service-account-private-key-file=" + p.ServiceAccountKey, "--root-ca-file=" + p.CACert,
		// Each controller acts as its own ServiceAccount, as on kubeadm and
		// Kind clusters: the audit log then names the ReplicaSet controller
		// as the creator of the operator's pod, not the admin the suite is.
		"--use-service-account-credentials=true",
		"--profiling=false",
	}, ready: httpReady(insecureHTTPClient(), "https://127.0.0.1:"+strconv.Itoa(kcmPort)+"/healthz", "ok")}
	sched := &component{name: "kube-scheduler", bin: c.bins.Scheduler, args: []string{
		"--kubeconfig=" + c.kubeconfig, "--authentication-kubeconfig=" + c.kubeconfig, "--authorization-kubeconfig=" + c.kubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(schedPort), "--cert-dir=" + schedDir,
		"--leader-elect=false", "--profiling=false",
	}, ready: httpReady(insecureHTTPClient(), "https://127.0.0.1:"+strconv.Itoa(schedPort)+"/healthz", "ok")}
	kwokCfg := filepath.Join(c.dir, "kwok.yaml")
	// An explicit, empty configuration keeps KWOK from reading ~/.kwok.
	if err := os.WriteFile(kwokCfg, []byte("apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n"), 0o600); err != nil {
		return err
	}
	kwok := &component{name: "kwok", bin: c.bins.KWOK, args: []string{
		"--config=" + kwokCfg, "--kubeconfig=" + c.kubeconfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + cluster.KWOKNodeAnnotation + "=" + cluster.KWOKNodeFake,
		"--disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom",
		"--cidr=10.244.0.0/24", "--node-ip=127.0.0.1",
	}}
	// The three start independently of each other; starting them together
	// saves a second or two of every run.
	t0 = time.Now()
	errs := make(chan error, 3)
	for _, comp := range []*component{kcm, sched, kwok} {
		go func(comp *component) { errs <- c.start(ctx, comp) }(comp)
	}
	var errList []error
	for range 3 {
		if err := <-errs; err != nil {
			errList = append(errList, err)
		}
	}
	if err := errors.Join(errList...); err != nil {
		return err
	}
	c.timings = append(c.timings, "controller-manager+scheduler+kwok "+since(t0))
	t0 = time.Now()
	if err := c.addNode(ctx); err != nil {
		return err
	}
	c.timings = append(c.timings, "node Ready "+since(t0))
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }

func (c *Cluster) writeKubeconfig() error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[c.name] = &clientcmdapi.Cluster{Server: c.apiURL, CertificateAuthorityData: c.pki.caCertPEM}
	cfg.AuthInfos[c.name] = &clientcmdapi.AuthInfo{ClientCertificateData: c.pki.adminCertPEM, ClientKeyData: c.pki.adminKeyPEM}
	cfg.Contexts[c.name] = &clientcmdapi.Context{Cluster: c.name, AuthInfo: c.name}
	cfg.CurrentContext = c.name
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, c.kubeconfig); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	var err error
	c.restCfg, err = clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	return err
}

// addNode registers the fake node KWOK manages and waits until KWOK has
// reported it Ready.
func (c *Cluster) addNode(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(c.restCfg)
	if err != nil {
		return err
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        NodeName,
			Annotations: map[string]string{cluster.KWOKNodeAnnotation: cluster.KWOKNodeFake, "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"type": "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("register KWOK node: %w", err)
	}
	return c.poll(ctx, "KWOK node "+NodeName+" Ready", c.componentByName("kwok"), func(ctx context.Context) (bool, error) {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// WaitForControlPlane waits until the controller manager has created the
// default ServiceAccount, which pods need before they can be admitted.
func (c *Cluster) WaitForControlPlane(ctx context.Context, _ klient.Client) error {
	cs, err := kubernetes.NewForConfig(c.restCfg)
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
			_ = os.WriteFile(filepath.Join(c.dir, "keep"), []byte("E2E_KEEP\n"), 0o600)
			fmt.Fprintf(c.progress, "local: stopped; run directory kept at %s (kubeconfig %s)\n", c.dir, c.kubeconfig)
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
func RemoveStaleRunDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), runDirPrefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, pidFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || processAlive(pid) {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "keep")); err == nil {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

func (c *Cluster) adminHTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.pki.caCertPEM)
	cert, err := tls.X509KeyPair(c.pki.adminCertPEM, c.pki.adminKeyPEM)
	if err != nil {
		panic(err) // the pair was made together a moment ago
	}
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
	}}
}

// insecureHTTPClient checks the controller manager's and scheduler's health
// endpoints, which serve self-signed certificates made at their start.
func insecureHTTPClient() *http.Client {
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // health probe of a loopback process
	}}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	// Holding all listeners until every port is chosen keeps the n distinct.
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
