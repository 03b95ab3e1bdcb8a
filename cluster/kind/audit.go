package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// apiServerSelector finds kubeadm's kube-apiserver static pod (its mirror
// pod in the API).
const apiServerSelector = "component=kube-apiserver"

// waitReady waits until every node is Ready and the API server's mirror pod
// is Ready, polling the API.
func (c *Cluster) waitReady(ctx context.Context, cs kubernetes.Interface) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, c.timeout, true, func(ctx context.Context) (bool, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		if len(nodes.Items) == 0 {
			last = "no node registered"
			return false, nil
		}
		for _, n := range nodes.Items {
			if !nodeReady(n) {
				last = "node " + n.Name + " is not Ready"
				return false, nil
			}
		}
		pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: apiServerSelector})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		if len(pods.Items) == 0 || !podReady(pods.Items[0]) {
			last = "the kube-apiserver pod is not Ready"
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("cluster %s is not ready after %s: %s (raise E2E_TIMEOUT on a slow machine)", c.ClusterName, c.timeout, last)
	}
	return nil
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// verifyAuditing shows that the API server writes the audit log under this
// repository's policy: its flags and mounts say so, the policy file it reads
// is byte for byte audit-policy.yaml, and the log file exists. This matters
// most for a reused cluster, which may have been made without the config.
func (c *Cluster) verifyAuditing(ctx context.Context, cs kubernetes.Interface) error {
	pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: apiServerSelector})
	if err != nil {
		return fmt.Errorf("find the kube-apiserver pod of cluster %s: %w", c.ClusterName, err)
	}
	if len(pods.Items) != 1 {
		return fmt.Errorf("cluster %s has %d kube-apiserver pods; the suite reads the audit log of exactly one", c.ClusterName, len(pods.Items))
	}
	if err := checkAPIServerPod(&pods.Items[0], c.cfg); err != nil {
		return c.notAuditing(err)
	}
	node, err := c.controlPlane()
	if err != nil {
		return err
	}
	var onNode, stderr bytes.Buffer
	if err := node.CommandContext(ctx, "cat", c.cfg.AuditPolicyNode).SetStdout(&onNode).SetStderr(&stderr).Run(); err != nil {
		return c.notAuditing(fmt.Errorf("read the audit policy %s on node %s: %v: %s", c.cfg.AuditPolicyNode, node, err, strings.TrimSpace(stderr.String())))
	}
	onHost, err := os.ReadFile(c.cfg.AuditPolicyHost)
	if err != nil {
		return err
	}
	if !bytes.Equal(onNode.Bytes(), onHost) {
		return c.notAuditing(fmt.Errorf("the audit policy the API server reads (%s on node %s) differs from %s", c.cfg.AuditPolicyNode, node, c.cfg.AuditPolicyHost))
	}
	rc, err := c.AuditLog(ctx)
	if err != nil {
		return c.notAuditing(err)
	}
	n, _ := io.Copy(io.Discard, rc)
	rc.Close()
	fmt.Fprintf(c.progress, "kind: the API server of %s audits under %s (log %s, %d bytes so far)\n", c.ClusterName, c.cfg.AuditPolicyHost, c.cfg.AuditLogNode, n)
	return nil
}

func (c *Cluster) notAuditing(err error) error {
	if c.reuse {
		return fmt.Errorf("reused cluster %s does not audit as %s asks: %w. Run without E2E_KIND_REUSE so that the harness creates a cluster from it, or delete this one (kind delete cluster --name %s) and keep a new one with E2E_KEEP=1", c.ClusterName, c.cfg.Path, err, c.ClusterName)
	}
	return fmt.Errorf("the new cluster %s does not audit as %s asks: %w", c.ClusterName, c.cfg.Path, err)
}

// checkAPIServerPod checks the API server's flags and mounts against cfg.
func checkAPIServerPod(p *corev1.Pod, cfg *Config) error {
	if len(p.Spec.Containers) == 0 {
		return fmt.Errorf("pod %s has no container", p.Name)
	}
	ctr := p.Spec.Containers[0]
	args := append(append([]string{}, ctr.Command...), ctr.Args...)
	flag := func(name string) (string, bool) {
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
				return v, true
			}
		}
		return "", false
	}
	var problems []string
	for name, want := range map[string]string{"audit-policy-file": cfg.AuditPolicyFile, "audit-log-path": cfg.AuditLogPath} {
		got, ok := flag(name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("kube-apiserver runs without --%s", name))
		case got != want:
			problems = append(problems, fmt.Sprintf("kube-apiserver runs with --%s=%s, not %s", name, got, want))
		}
	}
	if f, ok := flag("audit-log-format"); ok && f != "json" {
		problems = append(problems, fmt.Sprintf("kube-apiserver writes the audit log as %s, not json", f))
	}
	if !mounted(ctr.VolumeMounts, cfg.AuditPolicyFile, false) {
		problems = append(problems, fmt.Sprintf("no volume of pod %s holds %s", p.Name, cfg.AuditPolicyFile))
	}
	if !mounted(ctr.VolumeMounts, path.Dir(cfg.AuditLogPath), true) {
		problems = append(problems, fmt.Sprintf("no writable volume of pod %s holds %s, so the log stays inside its container", p.Name, path.Dir(cfg.AuditLogPath)))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func mounted(mounts []corev1.VolumeMount, p string, writable bool) bool {
	for _, m := range mounts {
		if writable && m.ReadOnly {
			continue
		}
		if _, ok := under(p, m.MountPath); ok {
			return true
		}
	}
	return false
}

// controlPlane is the node whose API server writes the audit log.
func (c *Cluster) controlPlane() (nodes.Node, error) {
	all, err := c.kind.ListInternalNodes(c.ClusterName)
	if err != nil {
		return nil, fmt.Errorf("list the nodes of cluster %s: %w", c.ClusterName, err)
	}
	cps, err := nodeutils.ControlPlaneNodes(all)
	if err != nil {
		return nil, fmt.Errorf("find the control-plane node of cluster %s: %w", c.ClusterName, err)
	}
	if len(cps) != 1 {
		return nil, fmt.Errorf("cluster %s has %d control-plane nodes; the suite reads the audit log of exactly one", c.ClusterName, len(cps))
	}
	return cps[0], nil
}

// AuditLog reads the API server's audit log from the control-plane node.
// The API server creates the file when it starts, so a missing file is an
// error, not an empty log.
func (c *Cluster) AuditLog(ctx context.Context) (io.ReadCloser, error) {
	if c.kind == nil || c.cfg == nil {
		return nil, errors.New("the kind cluster is not created yet")
	}
	node, err := c.controlPlane()
	if err != nil {
		return nil, err
	}
	var out, stderr bytes.Buffer
	if err := node.CommandContext(ctx, "cat", c.cfg.AuditLogNode).SetStdout(&out).SetStderr(&stderr).Run(); err != nil {
		return nil, fmt.Errorf("read the audit log %s on node %s: %v: %s", c.cfg.AuditLogNode, node, err, strings.TrimSpace(stderr.String()))
	}
	return io.NopCloser(&out), nil
}
