package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

// The tutorial's fixed names, shared with its documents (package facts).
const (
	namespace = facts.Namespace
	// restrictedPrefix is how the API server starts the message of a
	// refused pod; the tutorial quotes it.
	restrictedPrefix = facts.RestrictedPrefix
)

// The six labels of step 3, exactly.
var namespaceLabels = facts.NamespaceLabels()

var rayClusterGVR = schema.GroupVersionResource{Group: "ray.io", Version: "v1", Resource: "rayclusters"}

// harness is all of the suite's state: the settings, the provider, the
// run's evidence, the clients, and what steps hand on to later steps. TestMain
// makes one and e2e-framework carries it in the context of every env func
// and feature (harnessFrom), as KubeRay's test support carries its clients.
type harness struct {
	cfg      settings.Settings
	provider cluster.Provider
	run      *evidence.Run
	// page is the tutorial page the steps run (page_test.go).
	page *pageRun

	rest       *rest.Config
	kubeconfig string
	cs         kubernetes.Interface
	dyn        dynamic.Interface
	// server is the API server's own version ("v1.24.17"), as it answered
	// when the run connected; "" if it did not say.
	server string

	auditStart int64  // audit log offset when the run began
	auditProbe string // the pod name step 1's audit probe asked for

	mu           sync.Mutex
	operatorUp   bool
	stopOperator func()

	// failed is set when a step or the cluster's setup failed, so that the
	// evidence is saved.
	failed atomic.Bool
	// gone is set when the page's clean-up deleted the cluster: nothing is
	// left to read or remove in it.
	gone       atomic.Bool
	finishOnce sync.Once
}

func newHarness() *harness { return &harness{stopOperator: func() {}} }

type harnessKey struct{}

func withHarness(ctx context.Context, h *harness) context.Context {
	return context.WithValue(ctx, harnessKey{}, h)
}

// harnessFrom is the suite's harness, which every context e2e-framework
// hands an env func or a step carries.
func harnessFrom(ctx context.Context) *harness {
	h, ok := ctx.Value(harnessKey{}).(*harness)
	if !ok {
		panic("e2e: the context carries no harness: TestMain puts it into the environment's context")
	}
	return h
}

func (h *harness) connect(cfg *rest.Config, kubeconfig string) error {
	var err error
	h.rest, h.kubeconfig = cfg, kubeconfig
	if h.cs, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	h.dyn, err = dynamic.NewForConfig(cfg)
	return err
}

// checkFresh refuses a cluster where the tutorial's namespace already
// exists: step 2's "nothing yet" would be meaningless and step 3 would fail
// on a leftover. It also notes where the audit log ends now, so the steps
// read only what this run caused.
func checkFresh(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	h := harnessFrom(ctx)
	_, err := h.cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err == nil {
		return ctx, fmt.Errorf("namespace %q already exists in this cluster: delete it (and its RayClusters) or use a fresh cluster, then run again", namespace)
	}
	if !apierrors.IsNotFound(err) {
		return ctx, fmt.Errorf("look up namespace %q: %w", namespace, err)
	}
	if ok, _ := h.provider.Auditing(); ok {
		// A log that is not there yet starts at 0; whether the API server
		// writes it at all is step 1's to prove, and to fail.
		h.auditStart, err = cluster.AuditMark(ctx, h.provider)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return ctx, fmt.Errorf("mark the audit log's end before the steps: %w", err)
		}
	}
	return ctx, nil
}

// auditEvents returns the events this run caused that match f. It skips the
// calling check where the provider cannot read the audit log (or fails it,
// when the run requires the audit log).
func (h *harness) auditEvents(ctx context.Context, t *testing.T, from int64, f audit.Filter) []audit.Event {
	t.Helper()
	requireAudit(ctx, t)
	evs, err := h.readAudit(ctx, from, f)
	if err != nil {
		t.Fatalf("read the audit log: %v", err)
	}
	return evs
}

// readAudit is for polled functions: they return errors rather than end
// the test from inside Eventually. Call requireAudit first.
func (h *harness) readAudit(ctx context.Context, from int64, f audit.Filter) ([]audit.Event, error) {
	return cluster.ReadAudit(ctx, h.provider, from, f)
}

// auditMark is where the audit log ends now, for a step to read only what it
// causes. Where the provider cannot read the log it is 0, and every audit
// check says so by skipping; an error reading a log that is there fails the
// step rather than credit it with what earlier steps caused.
func (h *harness) auditMark(ctx context.Context, t *testing.T) int64 {
	t.Helper()
	if ok, _ := h.provider.Auditing(); !ok {
		return 0
	}
	mark, err := cluster.AuditMark(ctx, h.provider)
	if err != nil {
		t.Fatalf("mark the audit log's end before the step: %v", err)
	}
	return mark
}

// eventually polls with the run's base timeout.
func (h *harness) eventually(g gomega.Gomega, actual any, scale ...float64) gomega.AsyncAssertion {
	d := h.cfg.Timeout
	for _, s := range scale {
		d = time.Duration(float64(d) * s)
	}
	return g.Eventually(actual).WithTimeout(d).WithPolling(250 * time.Millisecond)
}
