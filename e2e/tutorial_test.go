package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/feature"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
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

	rest       *rest.Config
	kubeconfig string
	cs         kubernetes.Interface
	dyn        dynamic.Interface

	auditStart          int64  // audit log offset when the run began
	auditProbe          string // the pod name step 1's audit probe asked for
	completeClusterName string // the RayCluster of 5.1, once 5.1 has run

	mu           sync.Mutex
	nsReady      bool
	operatorUp   bool
	stopOperator func()

	// failed is set when a step or the cluster's setup failed, so that the
	// evidence is saved.
	failed     atomic.Bool
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

// requireAudit skips the calling check, with the provider's reason, where
// the audit log cannot be read; when the run requires it (E2E_REQUIRE), the
// check fails instead.
func requireAudit(ctx context.Context, t *testing.T) {
	t.Helper()
	requireCapability(ctx, t, settings.Audit)
}

// requireContainers does the same for checks that need a running container.
func requireContainers(ctx context.Context, t *testing.T) {
	t.Helper()
	requireCapability(ctx, t, settings.Containers)
}

func requireCapability(ctx context.Context, t *testing.T, capability string) {
	t.Helper()
	h := harnessFrom(ctx)
	ok, reason := h.has(capability)
	switch {
	case ok:
	case h.cfg.Requires(capability):
		t.Fatal(h.lacks(capability))
	default:
		feature.Skip(ctx, t, reason)
	}
}

// checkRequired refuses a run whose provider lacks a capability the run
// must prove (E2E_REQUIRE), before any step: one line naming the provider,
// the capability, why, and the fix.
func (h *harness) checkRequired() error {
	for _, c := range h.cfg.Require {
		if err := h.lacks(c); err != nil {
			return fmt.Errorf("%w (fix: choose a provider that can, or drop %s from E2E_REQUIRE)", err, c)
		}
	}
	return nil
}

// has asks the provider for a capability of settings.Capabilities.
func (h *harness) has(capability string) (bool, string) {
	if capability == settings.Audit {
		return h.provider.Auditing()
	}
	return h.provider.Containers()
}

// lacks is nil when the provider has capability, else the error a run that
// requires it gets.
func (h *harness) lacks(capability string) error {
	if ok, reason := h.has(capability); !ok {
		return fmt.Errorf("E2E_REQUIRE names %s, but provider %s cannot prove it: %s", capability, h.cfg.Provider, reason)
	}
	return nil
}

// eventually polls with the run's base timeout.
func (h *harness) eventually(g gomega.Gomega, actual any, scale ...float64) gomega.AsyncAssertion {
	d := h.cfg.Timeout
	for _, s := range scale {
		d = time.Duration(float64(d) * s)
	}
	return g.Eventually(actual).WithTimeout(d).WithPolling(250 * time.Millisecond)
}

// createNamespace is step 3's action, also used as a prerequisite when a
// later step runs alone.
func (h *harness) createNamespace(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: namespaceLabels}}
	_, err := h.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	h.mu.Lock()
	h.nsReady = true
	h.mu.Unlock()
	return nil
}

func (h *harness) ensureNamespace(ctx context.Context, t *testing.T) {
	t.Helper()
	h.mu.Lock()
	ready := h.nsReady
	h.mu.Unlock()
	if !ready {
		t.Logf("step 3 has not run: creating namespace %s as a prerequisite", namespace)
		if err := h.createNamespace(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// installOperator is step 4's action: the chart with the hardened values,
// then the operator process where the provider needs one.
func (h *harness) installOperator(ctx context.Context, log io.Writer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.operatorUp {
		return nil
	}
	c, err := chart.Load(h.cfg.Chart, h.run.Path("helm"))
	if err != nil {
		return err
	}
	values, err := fixtures.OperatorValues()
	if err != nil {
		return err
	}
	if err := fixtures.SetOperatorImage(values, h.cfg.OperatorImage); err != nil {
		return err
	}
	in, err := chart.NewInstaller(h.kubeconfig, namespace, log)
	if err != nil {
		return err
	}
	if _, err := in.Install(ctx, c, values, h.cfg.Timeout*3); err != nil {
		return err
	}
	sa, err := h.operatorServiceAccount(ctx)
	if err != nil {
		return err
	}
	stop, err := h.provider.RunOperator(ctx, namespace, sa)
	if err != nil {
		return err
	}
	h.stopOperator = stop
	h.operatorUp = true
	return nil
}

func (h *harness) ensureOperator(ctx context.Context, t *testing.T) {
	t.Helper()
	h.ensureNamespace(ctx, t)
	h.mu.Lock()
	up := h.operatorUp
	h.mu.Unlock()
	if !up {
		t.Log("step 4 has not run: installing the operator as a prerequisite")
		if err := h.installOperator(ctx, testlog.Writer{T: t}); err != nil {
			t.Fatal(err)
		}
	}
}

// operatorDeployment finds the chart's operator Deployment by its labels,
// whatever the chart named it.
func (h *harness) operatorDeployment(ctx context.Context) (string, error) {
	list, err := h.cs.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + chart.ReleaseName})
	if err != nil {
		return "", err
	}
	if len(list.Items) != 1 {
		return "", fmt.Errorf("want one Deployment of release %s in %s, found %d", chart.ReleaseName, namespace, len(list.Items))
	}
	return list.Items[0].Name, nil
}

func (h *harness) operatorServiceAccount(ctx context.Context) (string, error) {
	name, err := h.operatorDeployment(ctx)
	if err != nil {
		return "", err
	}
	d, err := h.cs.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	sa := d.Spec.Template.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	return sa, nil
}

// applyObjects creates objects in the tutorial's namespace (server-side
// apply would also do; create keeps the audit log to one verb).
func (h *harness) applyObjects(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		o = o.DeepCopy()
		o.SetNamespace(namespace)
		gvk := o.GroupVersionKind()
		gvr, err := h.resourceFor(gvk.GroupVersion().String(), gvk.Kind)
		if err != nil {
			return err
		}
		if _, err := h.dyn.Resource(gvr).Namespace(namespace).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create %s %s/%s: %w", gvk.Kind, namespace, o.GetName(), err)
		}
	}
	return nil
}

// applyMarked creates objs in the tutorial's namespace and returns where the
// audit log ended just before, for the step to read what they caused.
func (h *harness) applyMarked(ctx context.Context, t *testing.T, objs []*unstructured.Unstructured) int64 {
	t.Helper()
	mark := h.auditMark(ctx, t)
	if err := h.applyObjects(ctx, objs); err != nil {
		t.Fatal(err)
	}
	return mark
}

func (h *harness) deleteObjects(ctx context.Context, objs []*unstructured.Unstructured) error {
	var errs []error
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		gvr, err := h.resourceFor(gvk.GroupVersion().String(), gvk.Kind)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = h.dyn.Resource(gvr).Namespace(namespace).Delete(ctx, o.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s %s: %w", gvk.Kind, o.GetName(), err))
		}
	}
	return errors.Join(errs...)
}

func (h *harness) resourceFor(apiVersion, kind string) (schema.GroupVersionResource, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return schema.GroupVersionResource{}, err
	}
	resources, err := h.cs.Discovery().ServerResourcesForGroupVersion(apiVersion)
	if err != nil {
		return schema.GroupVersionResource{}, fmt.Errorf("the cluster does not serve %s (is the CRD installed?): %w", apiVersion, err)
	}
	for _, r := range resources.APIResources {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			return gv.WithResource(r.Name), nil
		}
	}
	return schema.GroupVersionResource{}, fmt.Errorf("the cluster serves no %s in %s", kind, apiVersion)
}

// rayPods lists the pods the operator made for a RayCluster.
func (h *harness) rayPods(ctx context.Context, clusterName string) ([]corev1.Pod, error) {
	list, err := h.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "ray.io/cluster=" + clusterName})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

func (h *harness) rayCluster(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	return h.dyn.Resource(rayClusterGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
}

// condition returns a status condition of an unstructured object.
func condition(obj *unstructured.Unstructured, typ string) (metav1.Condition, bool) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		var out metav1.Condition
		out.Type = typ
		out.Status = metav1.ConditionStatus(fmt.Sprint(m["status"]))
		out.Reason, _ = m["reason"].(string)
		out.Message, _ = m["message"].(string)
		return out, true
	}
	return metav1.Condition{}, false
}

// warningEvents returns Warning events about an object, with reason.
func (h *harness) events(ctx context.Context, kind, name, reason string) ([]corev1.Event, error) {
	list, err := h.cs.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=" + kind + ",involvedObject.name=" + name + ",reason=" + reason,
	})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// cleanup removes what the tutorial made, for providers whose cluster
// outlives the run; on throw-away clusters it is fast and harmless.
func (h *harness) cleanup(ctx context.Context) {
	if h.cs == nil || h.cfg.Keep {
		return
	}
	h.stopOperator()
	h.stopOperator = func() {}
	if list, err := h.dyn.Resource(rayClusterGVR).Namespace(namespace).List(ctx, metav1.ListOptions{}); err == nil {
		for _, rc := range list.Items {
			_ = h.dyn.Resource(rayClusterGVR).Namespace(namespace).Delete(ctx, rc.GetName(), metav1.DeleteOptions{})
		}
	}
	if in, err := chart.NewInstaller(h.kubeconfig, namespace, nil); err == nil {
		if err := in.Uninstall(h.cfg.Timeout); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: uninstall %s: %v\n", chart.ReleaseName, err)
		}
	}
	if err := h.cs.CoreV1().Namespaces().Delete(ctx, namespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		fmt.Fprintf(os.Stderr, "e2e: delete namespace %s: %v\n", namespace, err)
	}
}

// saveEvidence writes logs, events, objects and the audit log into the run
// directory when a step failed or the user asked for them.
func (h *harness) saveEvidence(ctx context.Context) {
	if !h.failed.Load() && !h.run.Failed() && h.cfg.Artifacts != "always" {
		return
	}
	report("cluster logs", h.provider.ExportLogs(ctx, h.run.Path("cluster")))
	if rc, err := h.provider.AuditLog(ctx); err == nil {
		data, err := io.ReadAll(rc)
		rc.Close()
		report("audit log", err)
		report("audit log", h.run.WriteFile("audit.log", data))
	}
	h.saveNamespace(ctx, h.run.Dir)
}

// saveStepEvidence is what a failed step leaves in its own directory, saved
// before its teardown removes what it made: the namespace's objects and
// events as the step left them, and the audit events of the namespace.
func saveStepEvidence(ctx context.Context, t *testing.T, dir string) {
	h := harnessFrom(ctx)
	h.saveNamespace(ctx, dir)
	if ok, _ := h.provider.Auditing(); !ok {
		return
	}
	evs, err := h.readAudit(ctx, h.auditStart, audit.Filter{Namespace: namespace})
	report("the step's audit events", err)
	var b strings.Builder
	for _, e := range evs {
		line, err := json.Marshal(e)
		report("the step's audit events", err)
		b.Write(append(line, '\n'))
	}
	report("the step's audit events", evidence.Write(dir, "audit-events.jsonl", []byte(b.String())))
	t.Logf("evidence of the failed step saved in %s", dir)
}

// saveNamespace writes the tutorial namespace's events and its pods,
// Deployments and RayClusters as YAML into dir.
func (h *harness) saveNamespace(ctx context.Context, dir string) {
	if h.cs == nil {
		return
	}
	if evs, err := h.cs.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{}); err == nil {
		sort.Slice(evs.Items, func(i, j int) bool { return evs.Items[i].LastTimestamp.Before(&evs.Items[j].LastTimestamp) })
		var b strings.Builder
		for _, e := range evs.Items {
			fmt.Fprintf(&b, "%s\t%s\t%s/%s\t%s\t%s\n", e.LastTimestamp.Format(time.RFC3339), e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
		report("events", evidence.Write(dir, "events.txt", []byte(b.String())))
	}
	dump := func(name string, list any, err error) {
		if err != nil {
			return
		}
		data, err := yaml.Marshal(list)
		report(name, err)
		report(name, evidence.Write(dir, "objects/"+name+".yaml", data))
	}
	pods, err := h.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	dump("pods", pods, err)
	deps, err := h.cs.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{})
	dump("deployments", deps, err)
	rcs, err := h.dyn.Resource(rayClusterGVR).Namespace(namespace).List(ctx, metav1.ListOptions{})
	dump("rayclusters", rcs, err)
}

// report says on stderr what could not be saved; saving evidence never fails
// a run.
func report(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: saving %s: %v\n", what, err)
	}
}

// note records the step's evidence line.
func note(ctx context.Context, t *testing.T, format string, args ...any) {
	t.Helper()
	harnessFrom(ctx).run.Note(feature.StepName(ctx), format, args...)
	t.Logf("evidence: "+format, args...)
}
