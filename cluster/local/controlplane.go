// Starting the control plane: ports, the components in order with their
// flags, the run's kubeconfig and the KWOK node.

package local

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

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
		"--kubeconfig=" + c.KubeconfigFile, "--authentication-kubeconfig=" + c.KubeconfigFile, "--authorization-kubeconfig=" + c.KubeconfigFile,
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
		"--kubeconfig=" + c.KubeconfigFile, "--authentication-kubeconfig=" + c.KubeconfigFile, "--authorization-kubeconfig=" + c.KubeconfigFile,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(schedPort), "--cert-dir=" + schedDir,
		"--leader-elect=false", "--profiling=false",
	}, ready: httpReady(insecureHTTPClient(), "https://127.0.0.1:"+strconv.Itoa(schedPort)+"/healthz", "ok")}
	kwokCfg := filepath.Join(c.dir, "kwok.yaml")
	// An explicit configuration keeps KWOK from reading ~/.kwok. It must
	// name the node lease's duration: left out, KWOK renews no lease and
	// its node heartbeat comes every 20-45 s, so the controller manager
	// (node-monitor-grace-period 40 s) marks the node NotReady again and
	// again, and with it every pod on it, which nothing marks Ready again.
	// With a lease, KWOK renews it every quarter of its duration, as a
	// kubelet does.
	if err := os.WriteFile(kwokCfg, []byte(kwokConfig), 0o600); err != nil {
		return err
	}
	kwok := &component{name: "kwok", bin: c.bins.KWOK, args: []string{
		"--config=" + kwokCfg, "--kubeconfig=" + c.KubeconfigFile,
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

// kwokConfig is the local tier's KWOK configuration: a node lease of 40 s,
// a kubelet's default, renewed every 10 s.
const kwokConfig = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  nodeLeaseDurationSeconds: 40
`

func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }

func (c *Cluster) writeKubeconfig() error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[c.ClusterName] = &clientcmdapi.Cluster{Server: c.apiURL, CertificateAuthorityData: c.pki.caCertPEM}
	cfg.AuthInfos[c.ClusterName] = &clientcmdapi.AuthInfo{ClientCertificateData: c.pki.adminCertPEM, ClientKeyData: c.pki.adminKeyPEM}
	cfg.Contexts[c.ClusterName] = &clientcmdapi.Context{Cluster: c.ClusterName, AuthInfo: c.ClusterName}
	cfg.CurrentContext = c.ClusterName
	c.KubeconfigFile = filepath.Join(c.dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, c.KubeconfigFile); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	var err error
	c.RestConfig, err = clientcmd.BuildConfigFromFlags("", c.KubeconfigFile)
	return err
}

// addNode registers the fake node KWOK manages and waits until KWOK has
// reported it Ready.
func (c *Cluster) addNode(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(c.RestConfig)
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
