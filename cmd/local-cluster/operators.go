package main

import (
	"context"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kuberay-docs/pod-security-e2e/cluster/local"
)

// operatorSelector matches the operator Deployment of the kuberay-operator
// chart, whatever its release is called: both KubeRay's published chart and
// this project's stand-in label it with the chart's name.
const operatorSelector = "app.kubernetes.io/name=kuberay-operator"

// resync re-offers every operator Deployment to the handler, so an operator
// that failed to start (its ServiceAccount token, say) is tried again.
const resync = 10 * time.Second

// watchOperators makes the cluster behave like a real one for the KubeRay
// operator. Its node is a KWOK fake: the chart's operator pod is reported
// Running, but no container runs, so nothing would reconcile RayClusters. In
// a test run the local provider starts the operator binary itself after
// Helm's install (RunOperator); a suite run with E2E_PROVIDER=existing knows
// nothing of local processes. So this command does what the kubelet would:
// for each chart Deployment that appears it runs the operator in that
// namespace with the Deployment's ServiceAccount, and stops it when the
// Deployment is deleted (helm uninstall, or its namespace's deletion).
// stop ends the watch; Destroy stops the operators that are still running.
func watchOperators(ctx context.Context, lc *local.Cluster, log io.Writer) (stop func(), err error) {
	cs, err := kubernetes.NewForConfig(lc.KubernetesRestConfig())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	factory := informers.NewSharedInformerFactoryWithOptions(cs, resync, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = operatorSelector
	}))
	inf := factory.Apps().V1().Deployments().Informer()
	ops := &operators{lc: lc, log: log, running: map[string]func(){}}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { ops.start(ctx, obj) },
		UpdateFunc: func(_, obj any) { ops.start(ctx, obj) },
		DeleteFunc: ops.stop,
	}); err != nil {
		cancel()
		return nil, err
	}
	stop = func() {
		cancel()
		factory.Shutdown() // waits for a handler that is still starting an operator
	}
	factory.Start(ctx.Done())
	// Ready means watching: a chart installed right after the export lines
	// are printed is seen.
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		stop()
		return nil, fmt.Errorf("watch Deployments labelled %s: %w", operatorSelector, context.Cause(ctx))
	}
	return stop, nil
}

// operators are the operator processes, by Deployment namespace/name. The
// informer delivers a handler's notifications one at a time, so the map
// needs no lock.
type operators struct {
	lc      *local.Cluster
	log     io.Writer
	running map[string]func()
}

func (o *operators) start(ctx context.Context, obj any) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok || d.DeletionTimestamp != nil {
		return
	}
	key := d.Namespace + "/" + d.Name
	if _, up := o.running[key]; up {
		return
	}
	sa := d.Spec.Template.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	stop, err := o.lc.RunOperator(ctx, d.Namespace, sa)
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(o.log, "local-cluster: KubeRay operator for Deployment %s: %v (trying again in %s)\n", key, err, resync)
		}
		return
	}
	o.running[key] = stop
	fmt.Fprintf(o.log, "local-cluster: KubeRay operator started for Deployment %s (ServiceAccount %s)\n", key, sa)
}

func (o *operators) stop(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	stop, up := o.running[key]
	delete(o.running, key)
	if up {
		stop()
		fmt.Fprintf(o.log, "local-cluster: KubeRay operator stopped: Deployment %s deleted\n", key)
	}
}
