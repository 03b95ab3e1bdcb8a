package images

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The lock serves exactly the packages versions pins, each with a hash, so
// pip's --require-hashes download cannot fetch anything else.
func TestPipIndexLockMatchesThePins(t *testing.T) {
	got := strings.Join(PipIndex{}.Pins(), " ")
	if got != versions.PipIndexPackages {
		t.Errorf("pip-index.lock pins %q, versions.PipIndexPackages is %q", got, versions.PipIndexPackages)
	}
	if n := len(regexp.MustCompile(`--hash=sha256:[0-9a-f]{64}`).FindAllString(pipIndexLock, -1)); n != len(PipIndex{}.Pins()) {
		t.Errorf("%d hashes for %d pins", n, len(PipIndex{}.Pins()))
	}
}

func TestWriteSimpleIndex(t *testing.T) {
	root := t.TempDir()
	wheels := filepath.Join(root, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"jsonpatch-1.33-py2.py3-none-any.whl", "Some_Project-2.0-py3-none-any.whl", "README"} {
		if err := os.WriteFile(filepath.Join(wheels, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteSimpleIndex(root); err != nil {
		t.Fatal(err)
	}
	top, _ := os.ReadFile(filepath.Join(root, "simple", "index.html"))
	if !strings.Contains(string(top), `href="jsonpatch/"`) || !strings.Contains(string(top), `href="some-project/"`) || strings.Contains(string(top), "README") {
		t.Errorf("simple/index.html:\n%s", top)
	}
	page, err := os.ReadFile(filepath.Join(root, "simple", "some-project", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := fileSHA256(filepath.Join(wheels, "Some_Project-2.0-py3-none-any.whl"))
	if want := `href="../../wheels/Some_Project-2.0-py3-none-any.whl#sha256=` + sum + `"`; !strings.Contains(string(page), want) {
		t.Errorf("project page lacks %s:\n%s", want, page)
	}
	empty := t.TempDir()
	_ = os.MkdirAll(filepath.Join(empty, "wheels"), 0o755)
	if err := WriteSimpleIndex(empty); err == nil {
		t.Error("an index over no wheels: want an error")
	}
}

func TestPEP503Name(t *testing.T) {
	for in, want := range map[string]string{"jsonpatch": "jsonpatch", "Some_Project": "some-project", "a.-_b": "a-b", "XGBoost-CPU": "xgboost-cpu"} {
		if got := PEP503Name(in); got != want {
			t.Errorf("PEP503Name(%q) = %q, want %q", in, got, want)
		}
	}
}
