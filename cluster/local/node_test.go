package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// holdReady is how long the node and a pod on it must stay Ready: many
// times the controller manager's node-monitor grace period (40 s), past
// which a node whose heartbeat is late is marked NotReady, and every pod on
// it with it.
const holdReady = 5 * time.Minute

// The KWOK node stays Ready for the whole of a run, and so does a pod on it:
// nothing marks either NotReady, so a slow run cannot hang on a readiness
// that was taken away.
func TestNodeAndPodStayReady(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local control plane and watches it for 5 minutes; go test -short skips it")
	}
	g := gomega.NewWithT(t)
	ctx := context.Background()
	c := newCluster(t, WithVersion(versions.DefaultKubernetes), WithProgress(testlog.Writer{T: t}))
	t.Cleanup(func() { _ = c.Destroy(ctx) })
	_, err := c.Create(ctx)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(c.WaitForControlPlane(ctx, nil)).To(gomega.Succeed())
	cs, err := kubernetes.NewForConfig(c.KubernetesRestConfig())
	g.Expect(err).NotTo(gomega.HaveOccurred())

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "stays-ready", Namespace: "default"},
		Spec: corev1.PodSpec{
			Containers:                    []corev1.Container{{Name: "pause", Image: versions.PauseImage}},
			TerminationGracePeriodSeconds: ptr.To(int64(0)),
		},
	}
	_, err = cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	g.Expect(err).NotTo(gomega.HaveOccurred())

	// Node and pod Ready, and no NodeNotReady event yet: "ok".
	start := time.Now()
	state := func() (string, error) {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		p, err := cs.CoreV1().Pods("default").Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		evs, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "reason=NodeNotReady"})
		if err != nil {
			return "", err
		}
		node, ready := "node "+NodeName+" Ready="+conditionOf(n.Status.Conditions), "pod Ready="
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady {
				ready += string(cond.Status)
			}
		}
		if node == "node "+NodeName+" Ready=True" && ready == "pod Ready=True" && len(evs.Items) == 0 {
			return "ok", nil
		}
		return fmt.Sprintf("%s after %s: %s, %d NodeNotReady events", ready, time.Since(start).Round(time.Second), node, len(evs.Items)), nil
	}
	g.Eventually(state).WithTimeout(30 * time.Second).WithPolling(250 * time.Millisecond).Should(gomega.Equal("ok"))
	g.Consistently(state).WithTimeout(holdReady).WithPolling(time.Second).Should(gomega.Equal("ok"),
		"the node and the pod must stay Ready for %s", holdReady)
}

func conditionOf(conds []corev1.NodeCondition) string {
	for _, c := range conds {
		if c.Type == corev1.NodeReady {
			return string(c.Status)
		}
	}
	return "unknown"
}
