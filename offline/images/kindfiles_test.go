package images

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The pinned kind module's base files are found, installed and adapted:
// containerd from Debian's path, no fuse-overlayfs, executables executable.
func TestInstallKindFiles(t *testing.T) {
	files, err := KindBaseFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(files, "sigs.k8s.io/kind@"+versions.KindLibrary) {
		t.Errorf("kind files from %s, want the module at %s", files, versions.KindLibrary)
	}
	root := t.TempDir()
	if err := (Node{KindFiles: files}).installKindFiles(root); err != nil {
		t.Fatal(err)
	}
	unit, _ := os.ReadFile(filepath.Join(root, "etc/systemd/system/containerd.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/bin/containerd\n") || strings.Contains(string(unit), "/usr/local/bin/containerd") {
		t.Errorf("containerd.service not adapted to Debian's containerd:\n%s", unit)
	}
	cfg, _ := os.ReadFile(filepath.Join(root, "etc/containerd/config.toml"))
	if strings.Contains(string(cfg), "fuse-overlayfs") || !strings.Contains(string(cfg), "restrict_oom_score_adj = false") {
		t.Errorf("config.toml not adapted:\n%s", cfg)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/system/containerd-fuse-overlayfs.service")); err == nil {
		t.Error("the fuse-overlayfs unit was installed")
	}
	for _, exe := range []string{"usr/local/bin/entrypoint", "usr/local/bin/clean-install", "kind/bin/mount-product-files.sh", "kind/bin/undo-mount-hacks.sh"} {
		fi, err := os.Stat(filepath.Join(root, exe))
		if err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v %v, want mode 755", exe, fi, err)
		}
	}
}

func TestCRIBaseSpec(t *testing.T) {
	out, err := criBaseSpec([]byte(`{"process":{"args":["sh"],"rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]},"hooks":{"createContainer":[{"path":"/x"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Process map[string]any
		Hooks   map[string][]map[string]any
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Process["rlimits"]; ok {
		t.Error("rlimits kept")
	}
	hooks := doc.Hooks["createContainer"]
	if len(hooks) != 2 || hooks[1]["path"] != "/kind/bin/mount-product-files.sh" {
		t.Errorf("createContainer hooks: %v", hooks)
	}
}

// kind v0.22.0 fixes containerd's sandbox image at pause 3.7; kubeadm v1.29
// asks for 3.9. A v1.29 node needs both, since it can pull neither.
func TestSandboxPauseTag(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc", "containerd"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := "[plugins.\"io.containerd.grpc.v1.cri\"]\n  # use fixed sandbox image\n  sandbox_image = \"registry.k8s.io/pause:3.7\"\n"
	if err := os.WriteFile(filepath.Join(dir, "etc", "containerd", "config.toml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	tag, err := SandboxPauseTag(dir)
	if err != nil || tag != "3.7" {
		t.Errorf("SandboxPauseTag = %q, %v; want 3.7", tag, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "containerd", "config.toml"), []byte("[plugins]\n"), 0o644); err == nil {
		if _, err := SandboxPauseTag(dir); err == nil {
			t.Error("a config without sandbox_image: want an error")
		}
	}
	// The pinned kind release's own file, from the module cache.
	files, err := KindBaseFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tag, err := SandboxPauseTag(files); err != nil || tag == "" {
		t.Errorf("kind %s's config.toml: %q, %v", versions.KindLibrary, tag, err)
	}
}
