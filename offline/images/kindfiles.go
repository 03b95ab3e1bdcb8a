package images

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var sandboxImageRE = regexp.MustCompile(`(?m)^\s*sandbox_image = "registry\.k8s\.io/pause:([^"]+)"`)

// SandboxPauseTag is the pause tag of sandbox_image in the containerd
// configuration among kind's base files: the image containerd runs every
// pod's sandbox from, which the node must have since it can pull nothing.
func SandboxPauseTag(kindFiles string) (string, error) {
	p := filepath.Join(kindFiles, "etc", "containerd", "config.toml")
	data, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	m := sandboxImageRE.FindSubmatch(data)
	if m == nil {
		return "", fmt.Errorf("%s names no registry.k8s.io/pause sandbox_image: the node recipe needs updating for kind %s", p, versions.KindLibrary)
	}
	return string(m[1]), nil
}

// KindBaseFiles returns images/base/files of the kind module go.mod
// selects (downloading it through the module proxy if needed).
func KindBaseFiles(ctx context.Context) (string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", "sigs.k8s.io/kind")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locate the sigs.k8s.io/kind module: %v (fix: go mod download sigs.k8s.io/kind)", err)
	}
	version, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if version != versions.KindLibrary {
		return "", fmt.Errorf("go.mod selects sigs.k8s.io/kind %s, versions.KindLibrary is %s", version, versions.KindLibrary)
	}
	if dir == "" {
		cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", "sigs.k8s.io/kind@"+version)
		cmd.Dir = root
		b, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("download sigs.k8s.io/kind %s: %v", version, err)
		}
		var m struct{ Dir string }
		if err := json.Unmarshal(b, &m); err != nil || m.Dir == "" {
			return "", fmt.Errorf("download sigs.k8s.io/kind %s: no directory", version)
		}
		dir = m.Dir
	}
	files := filepath.Join(dir, "images", "base", "files")
	if _, err := os.Stat(filepath.Join(files, "usr", "local", "bin", "entrypoint")); err != nil {
		return "", fmt.Errorf("kind %s has no base-image entrypoint at %s: %w", version, files, err)
	}
	return files, nil
}

// installKindFiles puts kind's base-image files into the root and adapts
// them: Debian's containerd lives in /usr/bin, and no fuse-overlayfs
// snapshotter is installed (rootless only).
func (n Node) installKindFiles(root string) error {
	return filepath.WalkDir(n.KindFiles, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(n.KindFiles, p)
		if strings.HasPrefix(rel, "LICENSES/") || strings.Contains(rel, "fuse-overlayfs") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(rel, "usr/local/bin/") || strings.HasPrefix(rel, "kind/bin/") {
			mode = 0o755
		}
		text := string(b)
		switch rel {
		case "etc/systemd/system/containerd.service":
			text, err = replaceOnce(text, "ExecStart=/usr/local/bin/containerd", "ExecStart=/usr/bin/containerd", rel)
		case "etc/containerd/config.toml":
			text, err = adaptContainerdConfig(text)
		}
		if err != nil {
			return err
		}
		return writeFile(root, rel, text, mode)
	})
}

// adaptContainerdConfig drops the fuse-overlayfs proxy plugin (not
// installed) and checks that the settings the node relies on are there.
func adaptContainerdConfig(text string) (string, error) {
	var out []string
	skip := false
	for _, line := range strings.Split(text, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "[") {
			skip = strings.HasPrefix(trim, "[proxy_plugins")
		}
		if skip {
			continue
		}
		out = append(out, line)
	}
	text = strings.Join(out, "\n")
	for _, want := range []string{"restrict_oom_score_adj = false", "sandbox_image = ", `base_runtime_spec = "/etc/containerd/cri-base.json"`} {
		if !strings.Contains(text, want) {
			return "", fmt.Errorf("kind's containerd config.toml lacks %q: the adaptation needs updating for kind %s", want, versions.KindLibrary)
		}
	}
	return text, nil
}

// criBaseSpec is containerd's default spec with kind's product-files hook
// at container creation and without rlimits, as kind's base image has it.
func criBaseSpec(spec []byte) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(spec))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("ctr oci spec: %w", err)
	}
	if p, ok := doc["process"].(map[string]any); ok {
		delete(p, "rlimits")
	}
	hooks, _ := doc["hooks"].(map[string]any)
	if hooks == nil {
		hooks = map[string]any{}
		doc["hooks"] = hooks
	}
	list, _ := hooks["createContainer"].([]any)
	hooks["createContainer"] = append(list, map[string]any{"path": "/kind/bin/mount-product-files.sh"})
	return json.MarshalIndent(doc, "", "  ")
}

func replaceOnce(text, old, new, name string) (string, error) {
	if strings.Count(text, old) != 1 {
		return "", fmt.Errorf("kind's %s does not contain %q once: the adaptation needs updating for kind %s", name, old, versions.KindLibrary)
	}
	return strings.Replace(text, old, new, 1), nil
}
