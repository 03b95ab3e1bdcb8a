package images

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Debian's archive moves: a package version of today's bookworm may be gone
// after the next point release, so the images' Debian packages are not
// pinned (a pin would break cold builds later). What each build got is
// recorded instead, read from the tarball's own dpkg database.

// DebianPackages returns "name version" for every installed package in the
// root file system tarball, sorted.
func DebianPackages(tarball string) ([]string, error) {
	f, err := os.Open(tarball)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s has no var/lib/dpkg/status", tarball)
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimPrefix(h.Name, "./") == "var/lib/dpkg/status" {
			return parseDpkgStatus(tr)
		}
	}
}

// parseDpkgStatus reads dpkg's status file: stanzas of "Field: value"
// separated by blank lines; only installed packages count.
func parseDpkgStatus(r io.Reader) ([]string, error) {
	var out []string
	var name, version, status string
	flush := func() {
		if name != "" && strings.HasSuffix(status, " installed") {
			out = append(out, name+" "+version)
		}
		name, version, status = "", "", ""
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "Package: "):
			name = strings.TrimPrefix(line, "Package: ")
		case strings.HasPrefix(line, "Version: "):
			version = strings.TrimPrefix(line, "Version: ")
		case strings.HasPrefix(line, "Status: "):
			status = strings.TrimPrefix(line, "Status: ")
		}
	}
	flush()
	sort.Strings(out)
	return out, sc.Err()
}

// RecordPackages writes the tarball's Debian packages beside it
// ("<tarball>.packages.txt", kept and pruned with it) unless that file
// exists, and returns them.
func RecordPackages(tarball string) ([]string, error) {
	side := strings.TrimSuffix(tarball, ".tar") + ".packages.txt"
	if data, err := os.ReadFile(side); err == nil {
		return strings.Split(strings.TrimSpace(string(data)), "\n"), nil
	}
	pkgs, err := DebianPackages(tarball)
	if err != nil {
		return nil, err
	}
	return pkgs, os.WriteFile(side, []byte(strings.Join(pkgs, "\n")+"\n"), 0o644)
}

// Pick returns the entries of pkgs for the named packages, in that order.
func Pick(pkgs []string, names ...string) []string {
	var out []string
	for _, n := range names {
		for _, p := range pkgs {
			if strings.HasPrefix(p, n+" ") {
				out = append(out, p)
			}
		}
	}
	return out
}
