package existing

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/cluster/clustertest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/support"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
)

// token stands for a credential: no error may repeat it.
const token = "not-a-real-token-5f1c0b"

// fakeAPIServer answers GET /version like a Kubernetes API server, over TLS
// on 127.0.0.1, and counts requests that carried the kubeconfig's token.
// GET /api/v1/nodes lists nodes, one real one unless other nodes are given.
func fakeAPIServer(t *testing.T, nodes ...corev1.Node) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	if nodes == nil {
		nodes = []corev1.Node{node("worker-0", nil)}
	}
	var authorized atomic.Int32
	srv := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+token {
			authorized.Add(1)
		}
		var body any
		switch r.URL.Path {
		case "/version":
			body = map[string]string{"major": "1", "minor": "24", "gitVersion": "v1.24.17"}
		case "/api/v1/nodes":
			body = corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, Items: nodes}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	return srv, &authorized
}

// serveTLS serves h over TLS on 127.0.0.1 until the test ends.
func serveTLS(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// closedURL is an https URL on 127.0.0.1 where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return "https://127.0.0.1:" + strconv.Itoa(port)
}

// writeKubeconfig writes a kubeconfig with one context per server, the first
// one current.
func writeKubeconfig(t *testing.T, servers map[string]string, current string, caPEM []byte) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	for name, url := range servers {
		cfg.Clusters[name] = &clientcmdapi.Cluster{Server: url, CertificateAuthorityData: caPEM}
		cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	cfg.CurrentContext = current
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func caOf(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func noEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{"KUBECONFIG", "E2E_KUBE_CONTEXT", "E2E_AUDIT_LOG"} {
		t.Setenv(v, "")
	}
}

func TestNewWithoutKubeconfigNamesTheFix(t *testing.T) {
	noEnv(t)
	_, err := New(WithKubeconfig(""))
	if err == nil {
		t.Fatal("New succeeded without KUBECONFIG")
	}
	for _, want := range []string{"KUBECONFIG", "E2E_PROVIDER=local"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestCreateNeverFallsBackToTheUsersKubeconfig(t *testing.T) {
	noEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	// A working ~/.kube/config must not be picked up behind the user's back.
	srv, authorized := fakeAPIServer(t)
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(writeKubeconfig(t, map[string]string{"home": srv.URL}, "home", caOf(srv)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(); err == nil {
		t.Fatal("New accepted no kubeconfig although ~/.kube/config works")
	}
	if authorized.Load() != 0 {
		t.Error("the cluster of ~/.kube/config was contacted")
	}
}

func TestNewWithMissingKubeconfigFile(t *testing.T) {
	noEnv(t)
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := New(WithKubeconfig(missing))
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New with a missing kubeconfig: %v; want the path and a not-exist error", err)
	}
}

func TestNewRejectsAKubeconfigList(t *testing.T) {
	noEnv(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "a") + string(filepath.ListSeparator) + filepath.Join(dir, "b")
	_, err := New(WithKubeconfig(list))
	if err == nil || !strings.Contains(err.Error(), "lists 2 files") || !strings.Contains(err.Error(), "--flatten") {
		t.Fatalf("New with a KUBECONFIG list: %v", err)
	}
}

// An existing cluster's version and binaries are its own: asking for either
// through e2e-framework's builder is refused by Create, before any request.
func TestBuilderCannotPickVersionOrBinaries(t *testing.T) {
	noEnv(t)
	srv, authorized := fakeAPIServer(t)
	kc := writeKubeconfig(t, map[string]string{"up": srv.URL}, "up", caOf(srv))
	for _, p := range []support.E2EClusterProvider{newCluster(t, WithKubeconfig(kc)).WithVersion("1.29"), newCluster(t, WithKubeconfig(kc)).WithPath("/bin")} {
		if _, err := p.Create(context.Background()); err == nil || !strings.Contains(err.Error(), "E2E_PROVIDER=existing") {
			t.Errorf("Create = %v; want the builder's mistake", err)
		}
	}
	if authorized.Load() != 0 {
		t.Error("the cluster was asked anyway")
	}
	named := newCluster(t, WithKubeconfig(kc)).WithName("suite").(*Cluster)
	if _, err := named.Create(context.Background()); err != nil || named.Name() != "suite" {
		t.Errorf("a name from envfuncs: %v, name %q", err, named.Name())
	}
}

// kubeconfigFile is a kubeconfig whose cluster is never asked.
func kubeconfigFile(t *testing.T) string {
	return writeKubeconfig(t, map[string]string{"gone": "https://127.0.0.1:1"}, "gone", nil)
}

// newCluster is New for options a test expects to be good.
func newCluster(t *testing.T, opts ...Option) *Cluster { return clustertest.New(t, New, opts...) }

func TestCreateWithUnreachableServerNamesServerAndFix(t *testing.T) {
	noEnv(t)
	url := closedURL(t)
	kc := writeKubeconfig(t, map[string]string{"gone": url}, "gone", nil)
	_, err := newCluster(t, WithKubeconfig(kc)).Create(context.Background())
	if err == nil {
		t.Fatal("Create succeeded against a closed port")
	}
	msg := err.Error()
	for _, want := range []string{kc, url, "does not answer", "check the kubeconfig"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, token) {
		t.Error("the error repeats the kubeconfig's token")
	}
}

func TestCreateAgainstAServerThatAnswers(t *testing.T) {
	noEnv(t)
	srv, authorized := fakeAPIServer(t)
	kc := writeKubeconfig(t, map[string]string{"up": srv.URL}, "up", caOf(srv))
	c := newCluster(t, WithKubeconfig(kc))
	got, err := c.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != kc || c.GetKubeconfig() != kc {
		t.Errorf("Create returned %q, GetKubeconfig %q; want %q", got, c.GetKubeconfig(), kc)
	}
	if authorized.Load() == 0 {
		t.Error("the server never saw the kubeconfig's credentials")
	}
	rc := c.KubernetesRestConfig()
	if rc.Host != srv.URL || rc.Timeout != 0 {
		t.Errorf("rest config host %q timeout %s; want %q and no client-wide timeout", rc.Host, rc.Timeout, srv.URL)
	}
	if ok, _ := c.Containers(); !ok {
		t.Error("an existing cluster runs containers")
	}
	if c.DefaultChart() != "repo" {
		t.Errorf("DefaultChart %q, want repo (an existing cluster pulls KubeRay's own chart)", c.DefaultChart())
	}
}

func TestContextSelection(t *testing.T) {
	noEnv(t)
	srv, _ := fakeAPIServer(t)
	kc := writeKubeconfig(t, map[string]string{"up": srv.URL, "gone": closedURL(t)}, "gone", caOf(srv))

	if _, err := newCluster(t, WithKubeconfig(kc)).Create(context.Background()); err == nil {
		t.Error("the current context points at a closed port, yet Create succeeded")
	}
	c := newCluster(t, WithKubeconfig(kc), WithContext("up"))
	run, err := c.Create(context.Background())
	if err != nil {
		t.Fatalf("context up: %v", err)
	}
	if c.GetKubectlContext() != "up" {
		t.Errorf("GetKubectlContext %q", c.GetKubectlContext())
	}
	// Helm and e2e-framework read a file's current context: the run's copy
	// has the chosen one, and no other.
	if run == kc {
		t.Fatal("Create returned the user's kubeconfig, whose current context is another cluster's")
	}
	copied, err := clientcmd.LoadFromFile(run)
	if err != nil {
		t.Fatal(err)
	}
	if _, other := copied.Contexts["gone"]; copied.CurrentContext != "up" || other {
		t.Errorf("the run's kubeconfig has current context %q and contexts %v; want up alone", copied.CurrentContext, slices.Collect(maps.Keys(copied.Contexts)))
	}
	if info, err := os.Stat(run); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the run's kubeconfig: %v, mode %v; want 0600", err, info.Mode())
	}
	if _, err := klient.NewWithKubeConfigFile(run); err != nil {
		t.Errorf("e2e-framework cannot read the run's kubeconfig: %v", err)
	}
	if err := c.Destroy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(run)); !os.IsNotExist(err) {
		t.Errorf("Destroy left the run's kubeconfig directory: %v", err)
	}
	if _, err := os.Stat(kc); err != nil {
		t.Errorf("Destroy touched the user's kubeconfig: %v", err)
	}
	_, err = newCluster(t, WithKubeconfig(kc), WithContext("missing")).Create(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("an unknown context: %v; want its name in the error", err)
	}
}

func TestAuditLog(t *testing.T) {
	noEnv(t)
	_, err := newCluster(t, WithKubeconfig(kubeconfigFile(t))).AuditLog(context.Background())
	if !errors.Is(err, cluster.ErrNoAuditLog) || !strings.Contains(err.Error(), "E2E_AUDIT_LOG") {
		t.Errorf("without E2E_AUDIT_LOG: %v; want ErrNoAuditLog naming the setting", err)
	}

	path := filepath.Join(t.TempDir(), "audit.log")
	line := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create"}` + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	rc, err := newCluster(t, WithKubeconfig(kubeconfigFile(t)), WithAuditLog(path)).AuditLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(data) != line {
		t.Errorf("AuditLog read %q, %v", data, err)
	}

	missing := filepath.Join(t.TempDir(), "none.log")
	_, err = newCluster(t, WithKubeconfig(kubeconfigFile(t)), WithAuditLog(missing)).AuditLog(context.Background())
	if err == nil || errors.Is(err, cluster.ErrNoAuditLog) || !strings.Contains(err.Error(), "E2E_AUDIT_LOG="+missing) {
		t.Errorf("a missing E2E_AUDIT_LOG file: %v; want a hard error naming it (the user asked for the audit steps)", err)
	}
}

func node(name string, annotations map[string]string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
}

var fake = map[string]string{cluster.KWOKNodeAnnotation: cluster.KWOKNodeFake}

func TestContainersOnAClusterOfKWOKNodes(t *testing.T) {
	cases := []struct {
		name   string
		nodes  []corev1.Node
		want   bool
		reason []string
	}{
		{"every node a KWOK fake", []corev1.Node{node("kwok-node-0", fake), node("kwok-node-1", fake)}, false,
			[]string{"no containers: every node of this cluster is a KWOK fake", "kwok-node-0, kwok-node-1", "kwok.x-k8s.io/node=fake"}},
		{"many KWOK fakes", []corev1.Node{node("a", fake), node("b", fake), node("c", fake), node("d", fake)}, false, []string{"(4 nodes, annotated"}},
		// One node that runs containers is enough for the steps that need one
		// (the fixture's pods are not pinned to a node).
		{"a real node beside a fake", []corev1.Node{node("kwok-node-0", fake), node("worker-0", nil)}, true, nil},
		{"a node annotated otherwise", []corev1.Node{node("worker-0", map[string]string{cluster.KWOKNodeAnnotation: "real"})}, true, nil},
		// No node yet: an autoscaler may add one; the steps will say what happens.
		{"no node", []corev1.Node{}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			noEnv(t)
			srv, _ := fakeAPIServer(t, tc.nodes...)
			c := newCluster(t, WithKubeconfig(writeKubeconfig(t, map[string]string{"up": srv.URL}, "up", caOf(srv))))
			if _, err := c.Create(context.Background()); err != nil {
				t.Fatal(err)
			}
			ok, reason := c.Containers()
			if ok != tc.want {
				t.Fatalf("Containers() = %v, %q; want %v", ok, reason, tc.want)
			}
			if ok && reason != "" {
				t.Errorf("a reason without a refusal: %q", reason)
			}
			for _, want := range tc.reason {
				if !strings.Contains(reason, want) {
					t.Errorf("reason %q does not contain %q", reason, want)
				}
			}
		})
	}
}

func TestContainersWhenNodesCannotBeListed(t *testing.T) {
	// A user limited to namespaces gets 403 on nodes: no evidence of fakes,
	// so the provider does not guess.
	noEnv(t)
	srv := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}`, http.StatusForbidden)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"major": "1", "minor": "24", "gitVersion": "v1.24.17"})
	}))
	c := newCluster(t, WithKubeconfig(writeKubeconfig(t, map[string]string{"up": srv.URL}, "up", caOf(srv))))
	if _, err := c.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ok, reason := c.Containers(); !ok {
		t.Errorf("nodes forbidden: Containers() = false, %q; want true (no evidence of fakes)", reason)
	}
}
