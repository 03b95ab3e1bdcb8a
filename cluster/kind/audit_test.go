package kind

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// apiServerPod is shaped like kubeadm's kube-apiserver static pod; audit
// adds the flags and volumes kind-config.yaml asks for.
func apiServerPod(audit bool) *corev1.Pod {
	ctr := corev1.Container{
		Name: "kube-apiserver",
		Command: []string{
			"kube-apiserver",
			"--advertise-address=172.18.0.2",
			"--authorization-mode=Node,RBAC",
			"--secure-port=6443",
		},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "ca-certs", MountPath: "/etc/ssl/certs", ReadOnly: true},
			{Name: "k8s-certs", MountPath: "/etc/kubernetes/pki", ReadOnly: true},
		},
	}
	if audit {
		ctr.Command = append(ctr.Command,
			"--audit-log-format=json",
			"--audit-log-path=/var/log/kubernetes/kube-apiserver-audit.log",
			"--audit-policy-file=/etc/kubernetes/audit/audit-policy.yaml",
		)
		ctr.VolumeMounts = append(ctr.VolumeMounts,
			corev1.VolumeMount{Name: "audit-policy", MountPath: "/etc/kubernetes/audit", ReadOnly: true},
			corev1.VolumeMount{Name: "audit-log", MountPath: "/var/log/kubernetes"},
		)
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-x-control-plane", Namespace: "kube-system", Labels: map[string]string{"component": "kube-apiserver"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{ctr}},
	}
}

func TestAPIServerPodThatAudits(t *testing.T) {
	if err := checkAPIServerPod(apiServerPod(true), repoConfig(t)); err != nil {
		t.Errorf("a pod made from kind-config.yaml: %v", err)
	}
}

// The classic failure: a cluster of the same name made without the config.
func TestAPIServerPodWithoutAuditing(t *testing.T) {
	err := checkAPIServerPod(apiServerPod(false), repoConfig(t))
	requireAll(t, err, "without --audit-policy-file", "without --audit-log-path", "no volume of pod kube-apiserver-x-control-plane holds /etc/kubernetes/audit/audit-policy.yaml", "no writable volume")
}

func TestAPIServerPodThatAuditsElsewhere(t *testing.T) {
	p := apiServerPod(true)
	ctr := &p.Spec.Containers[0]
	for i, a := range ctr.Command {
		switch {
		case strings.HasPrefix(a, "--audit-log-path="):
			ctr.Command[i] = "--audit-log-path=/var/log/audit.log"
		case strings.HasPrefix(a, "--audit-log-format="):
			ctr.Command[i] = "--audit-log-format=legacy"
		}
	}
	ctr.VolumeMounts[len(ctr.VolumeMounts)-1].ReadOnly = true
	err := checkAPIServerPod(p, repoConfig(t))
	requireAll(t, err, "--audit-log-path=/var/log/audit.log, not /var/log/kubernetes/kube-apiserver-audit.log", "as legacy, not json", "no writable volume")
	if strings.Contains(err.Error(), "audit-policy-file") {
		t.Errorf("the policy flag is right, yet: %v", err)
	}
}

func TestNotAuditingNamesTheFix(t *testing.T) {
	c := newCluster(t)
	c.ClusterName, c.cfg = "old", repoConfig(t)
	fresh := c.notAuditing(checkAPIServerPod(apiServerPod(false), c.cfg))
	requireAll(t, fresh, "the new cluster old does not audit", c.cfg.Path, "without --audit-log-path")

	c.reuse = true
	reused := c.notAuditing(checkAPIServerPod(apiServerPod(false), c.cfg))
	requireAll(t, reused, "reused cluster old does not audit", "without E2E_KIND_REUSE", "kind delete cluster --name old", "E2E_KEEP=1")
}

func TestAuditLogBeforeCreate(t *testing.T) {
	if _, err := newCluster(t).AuditLog(context.Background()); err == nil || !strings.Contains(err.Error(), "not created yet") {
		t.Errorf("AuditLog before Create: %v", err)
	}
}
