// Package mounts finds and removes the mounts under a directory, so that a
// build or daemon that was killed half-way leaves none behind.
package mounts

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
)

// Under lists the mount points at or below dir in this mount namespace.
func Under(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil || dir == "" {
		return nil
	}
	dir = strings.TrimSuffix(dir, "/")
	var ms []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 {
			m := Unescape(f[4])
			if m == dir || strings.HasPrefix(m, dir+"/") {
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// Unmount detaches every mount at or below dir, deepest first.
func Unmount(dir string) error {
	ms := Under(dir)
	sort.Slice(ms, func(i, j int) bool { return len(ms[i]) > len(ms[j]) })
	var errs []error
	for _, m := range ms {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// Unescape decodes the octal escapes of /proc/self/mountinfo.
func Unescape(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}
