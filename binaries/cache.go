package binaries

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

// key identifies the build's inputs: a changed pin, wrapper module or flag
// yields a new cache directory and so a rebuild.
func (t Target) key(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n%s/%s\n", t.Name, t.Version, strings.Join(t.Packages, " "), t.Toolchain, t.LDFlags, runtime.GOOS, runtime.GOARCH)
	if t.ModuleDir != "" {
		for _, f := range []string{"go.mod", "go.sum"} {
			data, err := os.ReadFile(filepath.Join(root, t.ModuleDir, f))
			if err != nil {
				return "", fmt.Errorf("wrapper module for %s %s: %w (is the checkout complete?)", t.Name, t.Version, err)
			}
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// queue is a target's place among the builds: it takes one of slots in its
// turn (mine closed), and passes the turn on (closes next) once it has a
// slot or needs none, and its turn has come.
type queue struct {
	slots      chan struct{}
	mine, next chan struct{}
	passed     bool
}

// pass passes the turn on once it has come: a target found in the cache,
// or one that failed early, must not let the next one start before an
// earlier one has.
func (q *queue) pass() {
	if q.passed {
		return
	}
	q.passed = true
	go func() {
		<-q.mine
		close(q.next)
	}()
}

// ensure returns t's binaries from the cache, or builds them once its turn
// has come and a slot is free. A damaged cache entry is removed and built
// again.
func (t Target) ensure(ctx context.Context, o Options, root string, q queue) (map[string]string, error) {
	defer q.pass()
	key, err := t.key(root)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.CacheDir, "bin", t.Name+"-"+t.Version+"-"+key)
	paths := map[string]string{}
	for _, b := range t.Binaries {
		paths[b] = filepath.Join(dir, b)
	}
	switch err := checkCached(dir, t.Binaries); {
	case err == nil:
		return paths, nil
	case !errors.Is(err, errNotCached):
		fmt.Fprintf(o.Progress, "binaries: cached %s %s cannot be used: %v; removing %s and rebuilding it\n", t.Name, t.Version, err, dir)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove damaged cache entry: %w (remove %s by hand)", err, dir)
		}
	}
	if err := acquire(ctx, q.mine, q.slots); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %w", t.Name, t.Version, errNotStarted, err)
	}
	q.pass()
	defer func() { <-q.slots }()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("create binary cache: %w (set E2E_CACHE_DIR to a writable directory)", err)
	}
	// Build into a private directory and rename it into place, so a
	// concurrent or interrupted build never leaves a half-written binary that
	// a later run would take for a cached one.
	removeStaleBuildDirs(o.CacheDir)
	tmp, err := os.MkdirTemp(o.CacheDir, fmt.Sprintf(".build-%s-%d-", t.Name, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("create build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	// os.Exit on Ctrl-C skips the defer.
	defer proc.OnInterrupt(func() { os.RemoveAll(tmp) })()

	start := time.Now()
	fmt.Fprintf(o.Progress, "binaries: building %s %s (%s) into %s; first use only, later runs take it from the cache\n",
		t.Name, t.Version, strings.Join(t.Binaries, ", "), dir)
	stopTicker := ticker(o.Progress, t.Name, start)
	out, err := t.build(ctx, root, tmp)
	stopTicker()
	// The go command's own work directory lives inside tmp (GOTMPDIR), so
	// that a stopped or killed build leaves none behind in TMPDIR; it is not
	// part of what goes into the cache.
	_ = os.RemoveAll(filepath.Join(tmp, goTmpDir))
	if errors.Is(err, ErrDeadline) {
		return nil, fmt.Errorf("%s %s: stopped after %s: %w", t.Name, t.Version, time.Since(start).Round(time.Second), err)
	}
	if err != nil {
		return nil, fmt.Errorf("build %s %s failed: %w\n%s", t.Name, t.Version, err, tail(out, 40))
	}
	for _, b := range t.Binaries {
		if _, err := os.Stat(filepath.Join(tmp, b)); err != nil {
			return nil, fmt.Errorf("build %s %s produced no %s: %w", t.Name, t.Version, b, err)
		}
	}
	if err := writeManifest(tmp, t.Binaries); err != nil {
		return nil, fmt.Errorf("record the checksums of %s %s: %w", t.Name, t.Version, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another run finished the same build first; its result is as good.
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, fmt.Errorf("move %s into the cache: %w", t.Name, err)
		}
	}
	fmt.Fprintf(o.Progress, "binaries: built %s %s in %s\n", t.Name, t.Version, time.Since(start).Round(time.Second))
	return paths, nil
}

// acquire waits for turn, then takes one of slots, unless ctx ends first.
// An ended ctx always wins, so that no build starts after the deadline:
// select alone picks at random among ready cases.
func acquire(ctx context.Context, turn <-chan struct{}, slots chan struct{}) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	select {
	case <-turn:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// removeStaleBuildDirs removes build directories whose harness is gone (it
// was killed mid-build); the pid is part of each directory's name.
func removeStaleBuildDirs(cacheDir string) {
	dirs, _ := filepath.Glob(filepath.Join(cacheDir, ".build-*"))
	for _, d := range dirs {
		parts := strings.Split(filepath.Base(d), "-")
		if len(parts) < 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[len(parts)-2])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			_ = os.RemoveAll(d)
		}
	}
}
