package images

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

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

// The oom_score_adj switch turns on only where CAP_SYS_RESOURCE is missing.
func TestContainerdCapsScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "caps")
	if err := os.WriteFile(script, []byte(containerdCapsScript), 0o755); err != nil {
		t.Fatal(err)
	}
	for capBnd, want := range map[string]string{
		"000001ffffffffff": "restrict_oom_score_adj = false", // ordinary host: unchanged
		"000001fffeffffff": "restrict_oom_score_adj = true",  // CAP_SYS_RESOURCE missing
	} {
		status := filepath.Join(dir, "status")
		config := filepath.Join(dir, "config.toml")
		_ = os.WriteFile(status, []byte("Name:\tx\nCapBnd:\t"+capBnd+"\n"), 0o644)
		_ = os.WriteFile(config, []byte("[plugins]\n  restrict_oom_score_adj = false\n"), 0o644)
		cmd := exec.Command("sh", script)
		cmd.Env = append(os.Environ(), "KUBERAY_E2E_STATUS="+status, "KUBERAY_E2E_CONTAINERD_CONFIG="+config)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		got, _ := os.ReadFile(config)
		if !strings.Contains(string(got), "  "+want+"\n") {
			t.Errorf("CapBnd %s: config is %q, want %q", capBnd, got, want)
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

// The CNI manifest renders as kind renders it (the pod subnet filled in)
// into a host-network DaemonSet on the local kube-proxy image that writes a
// valid bridge configuration for that subnet.
func TestCNIManifest(t *testing.T) {
	k, _ := versions.LookupKubernetes(versions.DefaultKubernetes)
	text := CNIManifest(k)
	if !strings.Contains(text, "would you kindly template this file") {
		t.Fatal("kind templates the manifest only when it carries its marker sentence")
	}
	tmpl, err := template.New("cni").Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, struct{ PodSubnet string }{"10.244.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(out.Bytes(), &ds); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	spec := ds.Spec.Template.Spec
	c := spec.Containers[0]
	if !spec.HostNetwork || c.Image != "registry.k8s.io/kube-proxy:"+k.Version || c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("want a host-network pod on the local kube-proxy image, never pulled: %+v", c)
	}
	script := c.Command[2]
	start := strings.Index(script, "<<EOF\n") + len("<<EOF\n")
	end := strings.Index(script, "\nEOF\n")
	conf := script[start:end]
	var conflist struct {
		Plugins []struct {
			Type string
			IPAM struct {
				Ranges [][]struct{ Subnet string }
			}
		}
	}
	if err := json.Unmarshal([]byte(conf), &conflist); err != nil {
		t.Fatalf("conflist: %v\n%s", err, conf)
	}
	if conflist.Plugins[0].Type != "bridge" || conflist.Plugins[0].IPAM.Ranges[0][0].Subnet != "10.244.0.0/16" {
		t.Errorf("conflist: %+v", conflist)
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
