// The run's end and its record: the tutorial's objects removed, and what a
// failed step or run leaves in its evidence directory.

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/internal/feature"
)

// cleanup removes what the tutorial made, for providers whose cluster
// outlives the run; on throw-away clusters it is fast and harmless.
func (h *harness) cleanup(ctx context.Context) {
	if h.cs == nil || h.cfg.Keep || h.gone.Load() {
		return
	}
	// KubeRay holds each RayJob by a finalizer it removes itself: the
	// RayJobs go while the operator still runs.
	h.deleteRayJobs(ctx)
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
	if h.gone.Load() || !h.failed.Load() && !h.run.Failed() && h.cfg.Artifacts != "always" {
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
	if h.gone.Load() {
		return
	}
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
// Deployments, RayClusters, RayJobs and Jobs as YAML into dir.
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
	rjs, err := h.dyn.Resource(rayJobGVR).Namespace(namespace).List(ctx, metav1.ListOptions{})
	dump("rayjobs", rjs, err)
	jobs, err := h.cs.BatchV1().Jobs(namespace).List(ctx, metav1.ListOptions{})
	dump("jobs", jobs, err)
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
