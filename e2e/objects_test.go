// The harness's hands in the cluster: the namespace and the operator the
// steps build on, objects applied and deleted, and what the steps read back.

package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kuberay-docs/pod-security-e2e/chart"
)

// ensureNamespace makes the namespace as step 3's first block does, where
// step 3 did not run (a step run alone).
func (h *harness) ensureNamespace(ctx context.Context, t *testing.T) {
	t.Helper()
	_, err := h.cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	switch {
	case err == nil:
		return
	case !apierrors.IsNotFound(err):
		t.Fatal(err)
	}
	t.Logf("step 3 has not run: running its first block for namespace %s", namespace)
	h.pageNamespace(ctx, t)
}

// startOperator is what the page's helm install leaves to the tier: where
// the operator runs outside the cluster (the local tier), its process.
func (h *harness) startOperator(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.operatorUp {
		return nil
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

// ensureOperator installs the operator as step 4's blocks do, where step 4
// did not run.
func (h *harness) ensureOperator(ctx context.Context, t *testing.T) {
	t.Helper()
	h.ensureNamespace(ctx, t)
	h.mu.Lock()
	up := h.operatorUp
	h.mu.Unlock()
	if up {
		return
	}
	if _, err := h.operatorDeployment(ctx); err != nil {
		t.Log("step 4 has not run: running its blocks to install the operator")
		plain, _, _ := h.page.phases("4")
		h.runSnips(ctx, t, plain)
	}
	if err := h.startOperator(ctx); err != nil {
		t.Fatal(err)
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
