package images

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPruneStale(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"node-v1.24.17-bookworm-aaaaaaaaaaaa.tar", // old recipe: removed
		"node-v1.24.17-bookworm-bbbbbbbbbbbb.tar", // current
		"node-v1.29.2-bookworm-cccccccccccc.tar",  // another version: kept
		"ray-2.46.0-bookworm-dddddddddddd.tar",
		"ray-2.46.0-bookworm-dddddddddddd.freeze.txt",
		"ray-2.46.0-bookworm-eeeeeeeeeeee.freeze.txt", // old recipe's freeze: removed
		"ray-2.46.0-bookworm-eeeeeeeeeeee.tar",
		"build.log",
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := PruneStale(filepath.Join(dir, "node-v1.24.17-bookworm-bbbbbbbbbbbb.tar"))
	if err != nil || !slices.Equal(removed, []string{"node-v1.24.17-bookworm-aaaaaaaaaaaa.tar"}) {
		t.Errorf("node: removed %v, %v", removed, err)
	}
	removed, err = PruneStale(filepath.Join(dir, "ray-2.46.0-bookworm-dddddddddddd.tar"))
	if err != nil || !slices.Equal(removed, []string{"ray-2.46.0-bookworm-eeeeeeeeeeee.freeze.txt", "ray-2.46.0-bookworm-eeeeeeeeeeee.tar"}) {
		t.Errorf("ray: removed %v, %v", removed, err)
	}
	for _, keep := range []string{"node-v1.29.2-bookworm-cccccccccccc.tar", "ray-2.46.0-bookworm-dddddddddddd.freeze.txt", "build.log"} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s was removed", keep)
		}
	}
	// A directory named by its key (the package index).
	idx := t.TempDir()
	for _, d := range []string{"111111111111", "222222222222", "222222222222.partial"} {
		_ = os.MkdirAll(filepath.Join(idx, d), 0o755)
	}
	removed, err = PruneStale(filepath.Join(idx, "222222222222"))
	if err != nil || !slices.Equal(removed, []string{"111111111111"}) {
		t.Errorf("index: removed %v, %v", removed, err)
	}
	if _, err := PruneStale(filepath.Join(dir, "build.log")); err == nil {
		t.Error("build.log is no cache entry: want an error")
	}
}
