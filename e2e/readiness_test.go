// What the steps can say of a pod's life on each tier. Admission and
// scheduling are the API server's and the scheduler's on every tier; a pod
// that runs and is Ready is a kubelet's word, which only a tier with
// containers has (the local tier's KWOK node reports every pod Ready without
// running anything), so readiness checks are container checks.

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
)

// podScheduled matches a pod the scheduler bound to a node: admitted, and
// placed, which every tier proves.
func podScheduled() types.GomegaMatcher {
	return gomega.WithTransform(func(p corev1.Pod) string {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled {
				return fmt.Sprintf("PodScheduled=%s node=%q", c.Status, p.Spec.NodeName)
			}
		}
		return fmt.Sprintf("PodScheduled=unknown node=%q", p.Spec.NodeName)
	}, gomega.MatchRegexp(`^PodScheduled=True node="[^"]+"$`))
}

// stillPossible is for the polled function of a wait for pods to be Ready:
// it returns an error that stops the wait at once (gomega.StopTrying) when
// one of pods can no longer become Ready, saying why, instead of letting
// the wait run out its time in silence.
func (h *harness) stillPossible(ctx context.Context, pods []corev1.Pod) error {
	nodes := map[string]*corev1.Node{}
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			continue
		}
		n, ok := nodes[p.Spec.NodeName]
		if !ok {
			var err error
			if n, err = h.cs.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{}); err != nil {
				n = nil
			}
			nodes[p.Spec.NodeName] = n
		}
		if why := cluster.CannotBecomeReady(p, n); why != "" {
			return gomega.StopTrying(why)
		}
	}
	return nil
}

// podsReady waits for pods (got lists them afresh) to be Running and Ready,
// a container check: where no container runs it is skipped with the
// reason. It stops early when a pod can no longer become Ready.
func (h *harness) podsReady(ctx context.Context, t *testing.T, what string, got func() ([]corev1.Pod, error), want types.GomegaMatcher, scale float64) []corev1.Pod {
	t.Helper()
	requireContainers(ctx, t)
	g := gomega.NewWithT(t)
	var pods []corev1.Pod
	h.eventually(g, func() ([]corev1.Pod, error) {
		var err error
		if pods, err = got(); err != nil {
			return nil, err
		}
		return pods, h.stillPossible(ctx, pods)
	}, scale).Should(gomega.And(want, gomega.HaveEach(podReady())), "%s never became Ready", what)
	return pods
}

// podNames is for notes.
func podNames(pods []corev1.Pod) string {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}
