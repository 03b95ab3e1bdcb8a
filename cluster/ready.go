package cluster

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// CannotBecomeReady says why pod p, on node n (nil when it could not be
// read), can no longer become Ready, or "" when it still can: its node is
// NotReady, or the node lifecycle controller marked p NotReady when its
// simulated node stopped reporting, which KWOK never undoes.
func CannotBecomeReady(p corev1.Pod, n *corev1.Node) string {
	if n == nil {
		return ""
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
			return fmt.Sprintf("pod %s cannot become Ready: its node %s is NotReady (Ready=%s since %s, %s: %s)",
				p.Name, n.Name, c.Status, c.LastTransitionTime.Format(time.RFC3339), c.Reason, c.Message)
		}
	}
	if n.Annotations[KWOKNodeAnnotation] != KWOKNodeFake || p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) == 0 {
		return ""
	}
	for _, cs := range p.Status.ContainerStatuses {
		if !cs.Ready {
			return ""
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse {
			return fmt.Sprintf("pod %s was marked NotReady at %s while its containers were reported ready: the node lifecycle controller does that when node %s misses its heartbeat, and KWOK never marks the pod Ready again, so the wait cannot succeed",
				p.Name, c.LastTransitionTime.Format(time.RFC3339), n.Name)
		}
	}
	return ""
}
