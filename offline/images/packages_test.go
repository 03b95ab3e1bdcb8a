package images

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const dpkgStatus = `Package: runc
Status: install ok installed
Version: 1.1.5+ds1-1+deb12u1

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

Package: containerd
Status: install ok installed
Architecture: amd64
Version: 1.6.20~ds1-1+b1
Description: daemon
 a continuation line
`

func TestRecordPackages(t *testing.T) {
	dir := t.TempDir()
	tarball := filepath.Join(dir, "node-v1-bookworm-aaaaaaaaaaaa.tar")
	f, err := os.Create(tarball)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, e := range []struct{ name, body string }{{"./etc/hostname", ""}, {"./var/lib/dpkg/status", dpkgStatus}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	f.Close()
	pkgs, err := RecordPackages(tarball)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"containerd 1.6.20~ds1-1+b1", "runc 1.1.5+ds1-1+deb12u1"}
	if !slices.Equal(pkgs, want) {
		t.Errorf("packages %q, want %q (removed packages left out, sorted)", pkgs, want)
	}
	side, err := os.ReadFile(strings.TrimSuffix(tarball, ".tar") + ".packages.txt")
	if err != nil || string(side) != strings.Join(want, "\n")+"\n" {
		t.Errorf("recorded file %q, %v", side, err)
	}
	if got := Pick(pkgs, "runc", "containerd", "absent"); !slices.Equal(got, []string{"runc 1.1.5+ds1-1+deb12u1", "containerd 1.6.20~ds1-1+b1"}) {
		t.Errorf("Pick: %q", got)
	}
	// The record sits beside its tarball and goes with it when pruned.
	if removed, _ := PruneStale(filepath.Join(dir, "node-v1-bookworm-bbbbbbbbbbbb.tar")); len(removed) != 2 {
		t.Errorf("pruning an older recipe removed %v; want its tarball and its package record", removed)
	}
	empty := filepath.Join(dir, "empty.tar")
	ef, _ := os.Create(empty)
	tar.NewWriter(ef).Close()
	ef.Close()
	if _, err := DebianPackages(empty); err == nil {
		t.Error("a tarball without a dpkg database: want an error")
	}
}
