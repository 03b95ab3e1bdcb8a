package kind

import (
	"fmt"
	"strconv"
	"strings"
)

// failCgroupV1Since is the first kubelet minor (1.35) whose FailCgroupV1
// defaults to true: on a cgroup v1 host it refuses to start, and so kubeadm
// never finishes. kind v0.33.0 only warns about such a host.
const failCgroupV1Since = 35

// kubeletAcceptsCgroupV1 is the kubeadm patch that lets such a kubelet run
// on a cgroup v1 host. kubeadm passes it to the kubelet's configuration.
const kubeletAcceptsCgroupV1 = "kind: KubeletConfiguration\nfailCgroupV1: false\n"

// hostAdaptations says what the nodes need on this host: kubeadm config
// patches to add, and a note for the run's record that says what was
// decided and why (also when nothing changed, so a reader knows the host
// was looked at). node is the node image's Kubernetes version, "" when its
// tag names none.
func hostAdaptations(e Engine, node string) (patches []string, note string) {
	minor, known := kubeletMinor(node)
	switch {
	case e.Cgroup == "2":
		return nil, "host cgroup v2: the kubelet runs with its defaults"
	case e.Cgroup != "1":
		return nil, fmt.Sprintf("host cgroup version unknown (%s info does not say): the kubelet runs with its defaults", e.Name)
	case !known:
		return nil, "host cgroup v1, node image with no Kubernetes version in its tag: failCgroupV1 left unset; a kubelet of 1.35 or later will refuse this host"
	case minor < failCgroupV1Since:
		return nil, fmt.Sprintf("host cgroup v1: kubelet %s accepts it by default, nothing changed", node)
	}
	return []string{kubeletAcceptsCgroupV1}, fmt.Sprintf("host cgroup v1: kubelet %s refuses cgroup v1 by default (since 1.35), so the kind config gets a KubeletConfiguration patch with failCgroupV1: false", node)
}

// kubeletMinor is 37 for "v1.37.2"; false when v names no 1.x version.
func kubeletMinor(v string) (int, bool) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 || parts[0] != "1" {
		return 0, false
	}
	n, err := strconv.Atoi(parts[1])
	return n, err == nil
}
