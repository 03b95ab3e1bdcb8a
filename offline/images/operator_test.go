package images

import (
	"archive/tar"
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
	o := Operator{Name: versions.OfflineOperatorImage, Binary: bin}
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
