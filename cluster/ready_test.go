package cluster

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCannotBecomeReady(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 12, 6, 22, 0, 40, 0, time.UTC))
	node := func(ready corev1.ConditionStatus, kwok bool) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: ready, LastTransitionTime: at, Reason: "NodeStatusUnknown", Message: "Kubelet stopped posting node status."},
		}}}
		if kwok {
			n.Annotations = map[string]string{KWOKNodeAnnotation: KWOKNodeFake}
		}
		return n
	}
	pod := func(phase corev1.PodPhase, containersReady bool, ready corev1.ConditionStatus) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Status: corev1.PodStatus{
			Phase:             phase,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "c", Ready: containersReady}},
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: ready, LastTransitionTime: at}},
		}}
	}
	for _, c := range []struct {
		name string
		pod  corev1.Pod
		node *corev1.Node
		want string
	}{
		{"node NotReady", pod(corev1.PodRunning, false, corev1.ConditionFalse), node(corev1.ConditionUnknown, false),
			"pod p cannot become Ready: its node n is NotReady (Ready=Unknown since 2026-12-06T22:00:40Z, NodeStatusUnknown: Kubelet stopped posting node status.)"},
		{"marked NotReady on KWOK", pod(corev1.PodRunning, true, corev1.ConditionFalse), node(corev1.ConditionTrue, true),
			"pod p was marked NotReady at 2026-12-06T22:00:40Z while its containers were reported ready"},
		{"still starting", pod(corev1.PodPending, false, corev1.ConditionFalse), node(corev1.ConditionTrue, true), ""},
		{"Ready", pod(corev1.PodRunning, true, corev1.ConditionTrue), node(corev1.ConditionTrue, true), ""},
		// A real kubelet reports its pods again: not stuck.
		{"real node", pod(corev1.PodRunning, true, corev1.ConditionFalse), node(corev1.ConditionTrue, false), ""},
		{"node unread", pod(corev1.PodRunning, true, corev1.ConditionFalse), nil, ""},
	} {
		got := CannotBecomeReady(c.pod, c.node)
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
