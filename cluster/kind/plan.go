package kind

import (
	"fmt"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Plan says what Create and Destroy will do, without a container engine:
// it reads and checks the kind config, so a dry run catches a broken one.
func (c *Cluster) Plan() ([]string, error) {
	if err := c.Err(); err != nil {
		return nil, err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("create cluster %s, a name made up for this run", c.ClusterName)
	switch {
	case c.reuse:
		name = fmt.Sprintf("reuse the existing Kind cluster %s (E2E_KIND_REUSE=1); it is never deleted", c.ClusterName)
	case c.named:
		name = fmt.Sprintf("create cluster %s (refused if one of that name exists)", c.ClusterName)
	}
	image := fmt.Sprintf("node image %s (Kubernetes %s), kind library %s", c.image, c.image.Kubernetes(), versions.KindLibrary)
	switch {
	case c.image.Local():
		image += "; built on this machine (scripts/offline-images node), refused unless the engine has it"
	case !c.image.Published():
		image += fmt.Sprintf("; not an image kind %s published, it may not work", versions.KindLibrary)
	}
	preload := "images: pulled by the node (E2E_KIND_PRELOAD=1 copies them from the host's engine)"
	switch {
	case c.offline:
		preload = "offline: nothing is pulled; refuse to start unless the engine has " + strings.Join(append([]string{c.image.String()}, c.images...), ", ") + ", then copy all but the node image into the node"
	case c.preload:
		preload = "preload from the host's engine when present: " + strings.Join(c.images, ", ")
	}
	index := "step 5.2's pip3 uses the index the Ray image's pip is configured with (PyPI for the published image)"
	if c.pipIndexDir != "" {
		index = fmt.Sprintf("serve the package index %s from a container of %s on the nodes' network as "+versions.OfflinePipIndexHost+" (no published port), which the offline Ray image's pip.conf names", c.pipIndexDir, c.pipIndexImage)
	}
	logs := "on a failed creation: kind's logs are not saved (no run directory)"
	if c.logsDir != "" {
		logs = "on a failed creation or step: kind's logs (journals, /var/log with the audit log) go to " + c.logsDir
	}
	end := "at the end: delete the cluster and the kubeconfig directory"
	switch {
	case c.reuse:
		end = "at the end: delete the kubeconfig directory; the reused cluster stays"
	case c.keep:
		end = "at the end: keep the cluster and its kubeconfig (E2E_KEEP=1) and print how to delete them"
	}
	return []string{
		"check that a Docker or Podman engine answers; if none does, stop at once and point to E2E_PROVIDER=local",
		fmt.Sprintf("kind config %s, checked; %s mounted at %s on the node; the API server reads --audit-policy-file=%s and writes --audit-log-path=%s", cfg.Path, cfg.AuditPolicyHost, cfg.AuditPolicyNode, cfg.AuditPolicyFile, cfg.AuditLogPath),
		name,
		image,
		fmt.Sprintf("on a cgroup v1 host (the engine says) with kubelet 1.%d or later: add a KubeletConfiguration patch with failCgroupV1: false, and record it in the run's evidence", failCgroupV1Since),
		"kubeconfig: a file of its own in a temporary directory; ~/.kube/config is neither read nor written",
		fmt.Sprintf("wait up to %s for the nodes and the API server to be Ready", c.timeout),
		preload,
		"verify the API server's audit flags and mounts, that the policy it reads equals " + cfg.AuditPolicyHost + ", and that its log exists",
		index,
		"containers run: the XGBoost script, the dashboard's Jobs API (port-forward on 127.0.0.1) and pip run in the head pod",
		logs,
		end,
	}, nil
}
