package files

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(src, []byte("audit line\n"), 0o600)
	os.WriteFile(dst, []byte("older and longer content"), 0o600)
	if err := Copy(src, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "audit line\n" {
		t.Errorf("dst = %q", got)
	}
	if err := Copy(filepath.Join(dir, "missing"), dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing source: %v", err)
	}
}
