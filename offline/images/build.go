// Package images builds the container images of the offline Kind tier from
// Debian packages and PyPI wheels: no image is pulled from any registry.
// Each image's root file system is built once per recipe and cached as a
// tarball outside the repository; loading it into a Docker daemon is a
// separate, cheap step.
package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/internal/files"
	"github.com/kuberay-docs/pod-security-e2e/offline/mounts"
)

// Logf reports progress.
type Logf func(format string, args ...any)

// CacheDir is where built root file systems and downloaded wheels are
// kept: the binaries' cache (E2E_CACHE_DIR, or ~/.cache/kuberay-pod-security-e2e).
func CacheDir() (string, error) { return binaries.CacheDir() }

// key hashes a recipe's parts into a short cache key.
func key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// command runs name in its own process group, so that cancelling ctx
// (Ctrl-C) kills it together with its children (dpkg, pip, tar).
func command(ctx context.Context, env []string, log io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = env
	var tailBuf tailWriter
	cmd.Stdout = io.MultiWriter(log, &tailBuf)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", name, ctx.Err())
		}
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tailBuf.String())
	}
	return nil
}

// tailWriter keeps the last 4 KiB written, for error messages.
type tailWriter struct{ b []byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}
func (t *tailWriter) String() string { return string(t.b) }

// cleanEnv is the environment of build commands: nothing of the caller's
// (a PIP_* or proxy variable of the host must not change what is built).
func cleanEnv(extra ...string) []string {
	return append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"}, extra...)
}

// workDir makes a temporary directory for a root file system and returns
// its removal, which first detaches any mount a killed step left inside.
func workDir(prefix string) (string, func() error, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	return dir, func() error {
		return errors.Join(mounts.Unmount(dir), os.RemoveAll(dir))
	}, nil
}

// Debootstrap installs a minimal Debian suite with extra packages into dir.
func Debootstrap(ctx context.Context, log io.Writer, dir, suite string, include []string) error {
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return errors.New("debootstrap not found (fix: apt-get install debootstrap, or run scripts/offline-images, which installs it)")
	}
	mirror, err := DebianMirror(suite)
	if err != nil {
		return err
	}
	return command(ctx, cleanEnv(), log, "nice", "-n", "10", "debootstrap", "--variant=minbase",
		"--include="+strings.Join(include, ","), suite, dir, mirror)
}

// Chroot runs a shell script inside dir as root.
func Chroot(ctx context.Context, log io.Writer, dir, script string, env ...string) error {
	return command(ctx, cleanEnv(env...), log, "nice", "-n", "10", "chroot", dir, "/bin/sh", "-ec", script)
}

// Tar writes dir's content to out (numeric owners kept), through a
// temporary file so that out exists only when complete.
func Tar(ctx context.Context, log io.Writer, dir, out string) error {
	tmp := out + ".partial"
	defer os.Remove(tmp)
	if err := command(ctx, cleanEnv(), log, "tar", "--numeric-owner", "--xattrs", "-C", dir, "-cf", tmp,
		"--exclude=./proc/*", "--exclude=./sys/*", "--exclude=./dev/*", "."); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// linkOrCopyTree puts src's files into dst, hard-linked where possible.
func linkOrCopyTree(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if os.Link(s, d) == nil {
			continue
		}
		if err := files.Copy(s, d); err != nil {
			return err
		}
	}
	return nil
}

var (
	cacheEntry = regexp.MustCompile(`^(.+)-([0-9a-f]{12})((?:\.freeze\.txt|\.packages\.txt|\.tar)?)$`)
	keyEntry   = regexp.MustCompile(`^([0-9a-f]{12})((?:\.freeze\.txt|\.packages\.txt|\.tar)?)$`)
)

// PruneStale removes the cache entries of older recipes of the image whose
// current entry is path (a tarball "<name>-<key>.tar" or a directory
// "<dir>/<key>"): the same name, another key. The Ray and node tarballs are
// 0.9-1.4 GB, and a recipe change (a new lock, binary or script) leaves the
// old one behind otherwise. An entry a concurrent build or a kept cluster
// still uses may go too; runs here are one at a time. It returns what it removed.
func PruneStale(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	var prefix, current string
	if m := cacheEntry.FindStringSubmatch(base); m != nil {
		prefix, current = m[1]+"-", m[2]
	} else if m := keyEntry.FindStringSubmatch(base); m != nil && m[2] == "" {
		prefix, current = "", m[1]
	} else {
		return nil, fmt.Errorf("%s is not a cache entry named by a recipe key", path)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		rest := strings.TrimPrefix(name, prefix)
		m := keyEntry.FindStringSubmatch(rest)
		if m == nil || m[1] == current {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return removed, err
		}
		removed = append(removed, name)
	}
	return removed, nil
}
