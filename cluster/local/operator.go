package local

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RunOperator starts the pinned KubeRay operator binary, watching ns, with a
// token of the chart's ServiceAccount, so that the permissions the chart
// grants are the ones the operator really has.
func (c *Cluster) RunOperator(ctx context.Context, ns, serviceAccount string) (func(), error) {
	cs, err := kubernetes.NewForConfig(c.RestConfig)
	if err != nil {
		return nil, err
	}
	ttl := int64(3600 * 4)
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, serviceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &ttl},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("request a token for ServiceAccount %s/%s (made by the chart): %w", ns, serviceAccount, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: c.apiURL, CertificateAuthorityData: c.pki.caCertPEM}
	cfg.AuthInfos[serviceAccount] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts["operator"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: serviceAccount, Namespace: ns}
	cfg.CurrentContext = "operator"
	// One file per namespace: cmd/local-cluster runs an operator for every
	// namespace the chart is installed in, and each one's stop removes its own.
	kubeconfig := filepath.Join(c.dir, "operator."+ns+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		return nil, err
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	probe := "127.0.0.1:" + strconv.Itoa(ports[0])
	op := &component{name: "ray-operator", bin: c.bins.Operator, args: []string{
		"--watch-namespace=" + ns,
		// Defaults bind all interfaces and take a lease; one operator on
		// loopback needs neither.
		"--enable-leader-election=false",
		"--metrics-addr=0",
		"--health-probe-bind-address=" + probe,
		"--log-stdout-encoder=console",
	}, env: []string{"KUBECONFIG=" + kubeconfig}}
	op.ready = httpReady(&http.Client{Timeout: 2 * time.Second}, "http://"+probe+"/readyz", "ok")
	if err := c.start(ctx, op); err != nil {
		if op.p != nil {
			op.stop()
		}
		_ = os.Remove(kubeconfig) // it holds the token
		return nil, err
	}
	return func() {
		op.stop()
		c.mu.Lock()
		for i, o := range c.operators {
			if o == op {
				c.operators = append(c.operators[:i], c.operators[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		_ = os.Remove(kubeconfig)
	}, nil
}
