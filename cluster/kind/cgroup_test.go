package kind

import (
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestHostAdaptations(t *testing.T) {
	for _, tc := range []struct {
		cgroup, node string
		patch        bool
		note         string
	}{
		// Fires: kubelet 1.35+ on a cgroup v1 host.
		{"1", "v1.37.2", true, "failCgroupV1: false"},
		{"1", "v1.35.0", true, "failCgroupV1: false"},
		// Quiet: an older kubelet, a cgroup v2 host, or nothing known.
		{"1", "v1.34.4", false, "accepts it by default"},
		{"1", "v1.24.17", false, "accepts it by default"},
		{"2", "v1.37.2", false, "cgroup v2"},
		{"", "v1.37.2", false, "unknown"},
		{"1", "", false, "failCgroupV1 left unset"},
		{"1", "latest", false, "failCgroupV1 left unset"},
	} {
		patches, note := hostAdaptations(Engine{Name: "docker", Cgroup: tc.cgroup}, tc.node)
		if got := slices.Contains(patches, kubeletAcceptsCgroupV1); got != tc.patch || (!tc.patch && len(patches) > 0) {
			t.Errorf("cgroup %q node %q: patches %q, want the failCgroupV1 patch: %v", tc.cgroup, tc.node, patches, tc.patch)
		}
		if !strings.Contains(note, tc.note) {
			t.Errorf("cgroup %q node %q: note %q, want it to say %q", tc.cgroup, tc.node, note, tc.note)
		}
	}
}

// The patch reaches the config kind reads, next to the audit patch, only
// where it is needed.
func TestWriteConfigAddsTheCgroupPatch(t *testing.T) {
	for _, tc := range []struct {
		cgroup string
		image  string
		want   bool
	}{
		{"1", "kuberay-e2e/node:v1.37.2", true},
		{"2", "kuberay-e2e/node:v1.37.2", false},
		{"1", "kuberay-e2e/node:v1.24.17", false},
	} {
		img, err := LocalNodeImage(tc.image)
		if err != nil {
			t.Fatal(err)
		}
		c := newCluster(t, WithNodeImage(img), WithProgress(io.Discard))
		if c.cfg, err = c.loadConfig(); err != nil {
			t.Fatal(err)
		}
		c.engine = Engine{Name: "docker", Cgroup: tc.cgroup}
		file := filepath.Join(t.TempDir(), "kind-config.yaml")
		if err := c.writeConfig(file); err != nil {
			t.Fatal(err)
		}
		written, err := LoadConfig(file)
		if err != nil {
			t.Fatalf("the written config does not load: %v", err)
		}
		patches := written.Cluster.KubeadmConfigPatches
		if got := slices.Contains(patches, kubeletAcceptsCgroupV1); got != tc.want {
			t.Errorf("cgroup v%s, %s: failCgroupV1 patch written: %v, want %v (%q)", tc.cgroup, tc.image, got, tc.want, patches)
		}
		if len(c.cfg.Cluster.KubeadmConfigPatches) != 1 {
			t.Errorf("writeConfig changed the loaded config: %q", c.cfg.Cluster.KubeadmConfigPatches)
		}
		if c.HostAdaptation() == "" {
			t.Error("no host note recorded")
		}
	}
}
