package images

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestOperatorTarball(t *testing.T) {
	cache := t.TempDir()
	binDir := filepath.Join(t.TempDir(), "ray-operator-"+versions.KubeRay+"-0123456789ab")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "ray-operator")
	if err := os.WriteFile(bin, []byte("\x7fELF fake operator"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := NewOperator(versions.DefaultKubeRay(), bin)
	path, cached, err := o.Build(cache)
	if err != nil || cached {
		t.Fatalf("first build: cached=%v err=%v", cached, err)
	}
	if _, cached, _ := o.Build(cache); !cached {
		t.Error("second build: want the cached tarball")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = string(b)
		if h.Name == "manager" && h.Mode != 0o755 {
			t.Errorf("/manager mode %o", h.Mode)
		}
	}
	if got["manager"] != "\x7fELF fake operator" {
		t.Errorf("/manager is not the operator binary")
	}
	if !strings.Contains(got["etc/passwd"], "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd: %q", got["etc/passwd"])
	}
	args := strings.Join(o.ImportArgs(path), " ")
	for _, want := range []string{"USER 65532:65532", `ENTRYPOINT ["/manager"]`, RecipeLabel + "=" + o.Key()} {
		if !strings.Contains(args, want) {
			t.Errorf("import arguments lack %q", want)
		}
	}
	if strings.HasPrefix(o.Name, "quay.io/") {
		t.Errorf("the offline operator image must have its own name, not %s", o.Name)
	}
}

// A docker-save archive as WriteDockerArchive writes it: the manifest names
// the image, the config's diff_id is the layer's digest, the layer holds
// the files under their paths.
func TestWriteDockerArchive(t *testing.T) {
	var buf bytes.Buffer
	files := []File{{Path: "usr/local/bin/x", Mode: 0o755, Body: []byte("binary")}}
	if err := WriteDockerArchive(&buf, "registry.k8s.io/x:v1", "", files, Config{Entrypoint: []string{"/usr/local/bin/x"}, User: "65535:65535"}); err != nil {
		t.Fatal(err)
	}
	entries := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		entries[h.Name] = b
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v %s", err, entries["manifest.json"])
	}
	m := manifest[0]
	if len(m.RepoTags) != 1 || m.RepoTags[0] != "registry.k8s.io/x:v1" || len(m.Layers) != 1 {
		t.Errorf("manifest: %+v", m)
	}
	var cfg struct {
		Config struct {
			Entrypoint []string
			User       string
		}
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(entries[m.Config], &cfg); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(entries[m.Layers[0]])
	if len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("diff_ids %v do not match the layer", cfg.RootFS.DiffIDs)
	}
	if cfg.Config.User != "65535:65535" || cfg.Config.Entrypoint[0] != "/usr/local/bin/x" {
		t.Errorf("config: %+v", cfg.Config)
	}
	layer := tar.NewReader(bytes.NewReader(entries[m.Layers[0]]))
	found := false
	for {
		h, err := layer.Next()
		if err != nil {
			break
		}
		if h.Name == "usr/local/bin/x" && h.Mode == 0o755 {
			found = true
		}
	}
	if !found {
		t.Error("the layer lacks usr/local/bin/x with mode 755")
	}
}

// The probe image is the one-binary recipe with pause's path and user: step
// 3's hardened probe names uid 65535 and the pod gives no command. This
// builds cmd/pause (a second or two) into a cache of the test's own.
func TestPauseImageRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds cmd/pause")
	}
	t.Setenv("E2E_CACHE_DIR", t.TempDir())
	p, err := PauseFromCache(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != versions.OfflinePauseImage || p.Path != "pause" || p.UID != 65535 {
		t.Errorf("probe recipe %+v", p)
	}
	if fi, err := os.Stat(p.Binary); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("pause binary %s: %v", p.Binary, err)
	}
	if op := NewOperator(versions.DefaultKubeRay(), p.Binary); p.Key() == op.Key() {
		t.Error("the pause and operator recipes share a key")
	}
	cache, _ := CacheDir()
	path, _, err := p.Build(cache)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(p.ImportArgs(path), " ")
	for _, want := range []string{"USER 65535:65535", `ENTRYPOINT ["/pause"]`, " " + versions.OfflinePauseImage} {
		if !strings.Contains(args, want) {
			t.Errorf("import arguments %q lack %q", args, want)
		}
	}
	if strings.HasPrefix(p.Name, "registry.k8s.io/") {
		t.Errorf("the probe image must have its own name, not %s", p.Name)
	}
}
