// Package binaries builds the pinned programs the local tier runs (the
// Kubernetes control plane, etcd, KWOK, the KubeRay operator) from Go modules
// and caches them by version outside the repository, so that only the first
// run on a machine, or the first after a pin changes, pays for the build.
package binaries

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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Set is one complete set of local-tier programs, as absolute paths.
type Set struct {
	APIServer         string
	ControllerManager string
	Scheduler         string
	Etcd              string
	KWOK              string
	Operator          string
}

// Options tune where binaries are cached, where progress goes and how long
// builds may take.
type Options struct {
	CacheDir string    // default: CacheDir()
	Progress io.Writer // default: os.Stderr
	// Deadline, when set, is when Ensure, EnsureTarget or EnsureNode must
	// have returned: builds unfinished by then are stopped, and the error
	// wraps ErrDeadline.
	Deadline time.Time
}

// Option changes Options.
type Option func(*Options)

// WithCacheDir caches binaries under dir instead of the user cache directory.
func WithCacheDir(dir string) Option { return func(o *Options) { o.CacheDir = dir } }

// WithProgress sends build progress to w.
func WithProgress(w io.Writer) Option { return func(o *Options) { o.Progress = w } }

// WithDeadline stops unfinished builds in time for Ensure to return by t
// (zero: no deadline). Builds that finished stay cached, so the next call
// goes on from there; cached binaries are returned however late it is.
func WithDeadline(t time.Time) Option { return func(o *Options) { o.Deadline = t } }

// ErrDeadline is wrapped by the error of Ensure, EnsureTarget and EnsureNode
// when WithDeadline's time came before every build had finished.
var ErrDeadline = errors.New("build deadline reached")

// errNotStarted marks a target whose build was still waiting for its turn
// at the deadline.
var errNotStarted = errors.New("build not started")

// stopGrace is how long a stopped build's go command, compilers and linkers
// get to exit on SIGTERM before SIGKILL.
const stopGrace = 2 * time.Second

// CacheDir is $E2E_CACHE_DIR, or kuberay-pod-security-e2e under the user cache
// directory (~/.cache on Linux).
func CacheDir() (string, error) { return settings.CacheDir() }

// Ensure returns the binaries for Kubernetes release k, building those that
// are not cached yet.
func Ensure(ctx context.Context, k versions.Kubernetes, opts ...Option) (Set, error) {
	o, err := options(opts)
	if err != nil {
		return Set{}, err
	}
	// Two builds at a time: one go build leaves a core idle during its long
	// single-threaded link steps, which the other build fills (measured cold
	// on 2 cores: 8m40s one after another, 7m36s two at a time).
	results, err := ensureAll(ctx, Targets(k), o, 2, buildCommand(k, false))
	if err != nil {
		return Set{}, err
	}
	var set Set
	for _, paths := range results {
		for bin, p := range paths {
			switch bin {
			case "kube-apiserver":
				set.APIServer = p
			case "kube-controller-manager":
				set.ControllerManager = p
			case "kube-scheduler":
				set.Scheduler = p
			case "etcd":
				set.Etcd = p
			case "kwok":
				set.KWOK = p
			case "ray-operator":
				set.Operator = p
			}
		}
	}
	return set, nil
}

// buildCommand is how a user builds k's binaries without a time limit.
func buildCommand(k versions.Kubernetes, node bool) string {
	cmd := "`go run ./cmd/local-binaries -kubernetes " + strings.TrimPrefix(k.Minor(), "v")
	if node {
		return cmd + " -node`"
	}
	return cmd + "` (`make binaries` builds the default versions)"
}

// ensureAll finds or builds targets, at most parallel builds at a time, and
// returns each one's binaries by name, in the order of targets. fix is the
// command that builds them without a deadline, for the deadline's error.
func ensureAll(ctx context.Context, targets []Target, o Options, parallel int, fix string) ([]map[string]string, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	// Only builds run under the deadline, and they stop early enough to be
	// stopped by it; cache lookups do not, so a warm cache is used however
	// late it is.
	buildCtx := ctx
	if !o.Deadline.IsZero() {
		var cancel context.CancelFunc
		buildCtx, cancel = context.WithDeadlineCause(ctx, o.Deadline.Add(-stopGrace), ErrDeadline)
		defer cancel()
	}
	results := make([]map[string]string, len(targets))
	errs := make([]error, len(targets))
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { results[i], errs[i] = t.ensure(buildCtx, o, root, slots) })
	}
	wg.Wait()
	err = errors.Join(errs...)
	if err != nil && errors.Is(context.Cause(buildCtx), ErrDeadline) {
		return nil, deadlineError(targets, errs, o, fix)
	}
	return results, err
}

// deadlineError is one error for every target at the deadline: what was
// still building, what had not started, what is cached, and how to go on.
func deadlineError(targets []Target, errs []error, o Options, fix string) error {
	var building, waiting, cached []string
	var failed []error
	for i, t := range targets {
		name := t.Name + " " + t.Version
		switch {
		case errs[i] == nil:
			cached = append(cached, name)
		case errors.Is(errs[i], errNotStarted):
			waiting = append(waiting, name)
		case errors.Is(errs[i], ErrDeadline):
			building = append(building, name+" ("+strings.Join(t.Binaries, ", ")+")")
		default:
			failed = append(failed, errs[i])
		}
	}
	none := func(l []string) string {
		if len(l) == 0 {
			return "none"
		}
		return strings.Join(l, ", ")
	}
	err := fmt.Errorf("%w at %s, before every binary was built:\n"+
		"  still building (stopped, unfinished work removed): %s\n"+
		"  not started: %s\n"+
		"  cached: %s\n"+
		"Finished builds stay in the cache (%s), so the next run goes on from there. "+
		"Build the rest without a time limit with %s, or give the first run more time: `go test ./e2e -timeout 30m`",
		ErrDeadline, o.Deadline.Format(time.TimeOnly), none(building), none(waiting), none(cached), o.CacheDir, fix)
	return errors.Join(append([]error{err}, failed...)...)
}

func options(opts []Option) (Options, error) {
	o := Options{Progress: os.Stderr}
	for _, opt := range opts {
		opt(&o)
	}
	if o.CacheDir == "" {
		dir, err := CacheDir()
		if err != nil {
			return o, err
		}
		o.CacheDir = dir
	}
	if _, err := exec.LookPath("go"); err != nil {
		return o, errors.New("the local tier builds its binaries with the go command, which is not on PATH: install Go (https://go.dev/dl) or use E2E_PROVIDER=kind/existing")
	}
	return o, nil
}

// EnsureTarget returns the binaries of the one target of Targets(k) called
// name (for example "ray-operator"), building them if they are not cached,
// without building the others.
func EnsureTarget(ctx context.Context, k versions.Kubernetes, name string, opts ...Option) (map[string]string, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	for _, t := range Targets(k) {
		if t.Name == name {
			results, err := ensureAll(ctx, []Target{t}, o, 1, buildCommand(k, false))
			if err != nil {
				return nil, err
			}
			return results[0], nil
		}
	}
	return nil, fmt.Errorf("no binary target %q", name)
}

// Target is one go build or go install producing one or more binaries.
type Target struct {
	// Name and Version name the cache directory.
	Name, Version string
	// Binaries are the output names.
	Binaries []string
	// ModuleDir, when set, is a wrapper module under tools/ to build in;
	// Packages are then import paths within its build list. Without it,
	// Packages are `go install pkg@version` arguments.
	ModuleDir string
	Packages  []string
	// Toolchain is the GOTOOLCHAIN value; "auto" uses the local go when new enough.
	Toolchain string
	LDFlags   string
}

// Targets lists what the local tier needs for Kubernetes release k.
func Targets(k versions.Kubernetes) []Target {
	return []Target{
		{
			Name: "kubernetes", Version: k.Version,
			Binaries:  []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"},
			ModuleDir: filepath.Join("tools", "kubernetes", k.Version),
			Packages: []string{
				"k8s.io/kubernetes/cmd/kube-apiserver",
				"k8s.io/kubernetes/cmd/kube-controller-manager",
				"k8s.io/kubernetes/cmd/kube-scheduler",
			},
			Toolchain: k.GoToolchain,
			LDFlags:   stamp(k),
		},
		{
			Name: "etcd", Version: versions.Etcd, Binaries: []string{"etcd"},
			ModuleDir: filepath.Join("tools", "etcd"), Packages: []string{"."},
			Toolchain: "auto",
		},
		{
			Name: "kwok", Version: versions.KWOK, Binaries: []string{"kwok"},
			Packages:  []string{"sigs.k8s.io/kwok/cmd/kwok@" + versions.KWOK},
			Toolchain: "auto",
		},
		{
			Name: "ray-operator", Version: versions.KubeRay, Binaries: []string{"ray-operator"},
			Packages:  []string{"github.com/ray-project/kuberay/ray-operator@" + versions.KubeRay},
			Toolchain: "auto",
		},
	}
}

// stamp is the -ldflags that give Kubernetes binaries their version.
// Unstamped binaries report v0.0.0-master, which breaks version checks in
// clients and Helm charts, and which kubeadm refuses.
func stamp(k versions.Kubernetes) string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(k.Minor(), "v"), ".")
	var ld []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ld = append(ld,
			"-X "+pkg+".gitVersion="+k.Version,
			"-X "+pkg+".gitMajor="+major,
			"-X "+pkg+".gitMinor="+minor,
			"-X "+pkg+".gitTreeState=clean",
		)
	}
	return strings.Join(ld, " ")
}

// NodeTarget is the Kind node's Kubernetes binaries (kubelet, kubeadm,
// kubectl, kube-proxy), built from the same wrapper module and stamped like
// the control plane. It is not one of Targets: the local tier needs none.
func NodeTarget(k versions.Kubernetes) Target {
	return Target{
		Name: "kubernetes-node", Version: k.Version,
		Binaries:  []string{"kubelet", "kubeadm", "kubectl", "kube-proxy"},
		ModuleDir: filepath.Join("tools", "kubernetes", k.Version),
		Packages: []string{
			"k8s.io/kubernetes/cmd/kubelet",
			"k8s.io/kubernetes/cmd/kubeadm",
			"k8s.io/kubernetes/cmd/kubectl",
			"k8s.io/kubernetes/cmd/kube-proxy",
		},
		Toolchain: k.GoToolchain,
		LDFlags:   stamp(k),
	}
}

// NodeTargets are what the offline Kind node image needs built besides the
// control plane: the node binaries, crictl, and CoreDNS at the version
// kubeadm expects for k (built with k's Go toolchain, of the same era).
func NodeTargets(k versions.Kubernetes) []Target {
	return []Target{
		NodeTarget(k),
		{
			Name: "crictl", Version: versions.CriTools, Binaries: []string{"crictl"},
			Packages:  []string{"sigs.k8s.io/cri-tools/cmd/crictl@" + versions.CriTools},
			Toolchain: "auto",
			LDFlags:   "-X sigs.k8s.io/cri-tools/pkg/version.Version=" + versions.CriTools,
		},
		{
			Name: "coredns", Version: k.Kubeadm.CoreDNS, Binaries: []string{"coredns"},
			Packages:  []string{"github.com/coredns/coredns@" + k.Kubeadm.CoreDNS},
			Toolchain: k.GoToolchain,
		},
		{
			// The etcd kubeadm's image tag names (3.5.6-0 is etcd v3.5.6), from a
			// wrapper module per version, tools/etcd-v3.5.6.
			Name: "etcd-node", Version: EtcdForKubeadm(k), Binaries: []string{"etcd"},
			ModuleDir: filepath.Join("tools", "etcd-"+EtcdForKubeadm(k)), Packages: []string{"."},
			Toolchain: k.GoToolchain,
		},
	}
}

// EtcdForKubeadm is the etcd release of kubeadm's etcd image tag for k
// ("3.5.6-0" is v3.5.6).
func EtcdForKubeadm(k versions.Kubernetes) string {
	v, _, _ := strings.Cut(k.Kubeadm.Etcd, "-")
	return "v" + v
}

// EnsureNode returns the binaries of NodeTargets(k) by name ("etcd-node"
// for kubeadm's etcd), building those that are not cached.
func EnsureNode(ctx context.Context, k versions.Kubernetes, opts ...Option) (map[string]string, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	targets := NodeTargets(k)
	results, err := ensureAll(ctx, targets, o, 1, buildCommand(k, true))
	if err != nil {
		return nil, err
	}
	all := map[string]string{}
	for i, t := range targets {
		for b, p := range results[i] {
			if t.Name == "etcd-node" {
				b = "etcd-node"
			}
			all[b] = p
		}
	}
	return all, nil
}

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

// ensure returns t's binaries from the cache, or builds them once one of
// slots is free. A damaged cache entry is removed and built again.
func (t Target) ensure(ctx context.Context, o Options, root string, slots chan struct{}) (map[string]string, error) {
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
	if err := acquire(ctx, slots); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %w", t.Name, t.Version, errNotStarted, err)
	}
	defer func() { <-slots }()
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

// acquire takes one of slots unless ctx ends first. An ended ctx always
// wins, so that no build starts after the deadline: select alone picks at
// random among ready cases.
func acquire(ctx context.Context, slots chan struct{}) error {
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

// goTmpDir is the go command's GOTMPDIR inside a build directory.
const goTmpDir = ".gotmp"

func (t Target) build(ctx context.Context, root, outDir string) ([]byte, error) {
	var args []string
	var dir string
	if t.ModuleDir != "" {
		dir = filepath.Join(root, t.ModuleDir)
		args = []string{"build", "-trimpath"}
		if t.LDFlags != "" {
			args = append(args, "-ldflags", t.LDFlags)
		}
		// A trailing separator makes go build write every package's binary
		// into the directory under its own name.
		out := outDir + string(filepath.Separator)
		if len(t.Binaries) == 1 {
			out = filepath.Join(outDir, t.Binaries[0])
		}
		args = append(args, "-o", out)
		args = append(args, t.Packages...)
	} else {
		dir = outDir
		args = []string{"install", "-trimpath"}
		if t.LDFlags != "" {
			args = append(args, "-ldflags", t.LDFlags)
		}
		args = append(args, t.Packages...)
	}
	// A go command stopped at the deadline, or killed with the harness,
	// leaves its go-build* work directory (hundreds of MB for Kubernetes)
	// wherever GOTMPDIR points: inside outDir, which is removed with it.
	goTmp := filepath.Join(outDir, goTmpDir)
	if err := os.MkdirAll(goTmp, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOTMPDIR="+goTmp,
		"GOTOOLCHAIN="+t.Toolchain,
		"GOBIN="+outDir,
		"CGO_ENABLED=0",
		// The wrapper modules' go.sum is complete; a build must not edit it.
		"GOFLAGS=-mod=readonly",
		"GOWORK=off",
	)
	// Through proc, the go command and the compilers and linkers it starts
	// share a process group that dies with the harness (Ctrl-C, kill -9).
	var buf proc.Output
	p, err := proc.Start("go build "+t.Name, cmd, &buf)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.Exited():
	case <-ctx.Done():
		p.Stop(stopGrace)
		return buf.Bytes(), context.Cause(ctx)
	}
	return buf.Bytes(), p.Wait()
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

// ticker prints a line every 30 s so a cold build does not look like a hang.
func ticker(w io.Writer, name string, start time.Time) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "binaries: still building %s (%s)\n", name, time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() { close(done) }
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
