// Package binaries builds the pinned programs the local tier runs (the
// Kubernetes control plane, etcd, KWOK, the KubeRay operator) from Go modules
// and caches them by version outside the repository, so that only the first
// run on a machine, or the first after a pin changes, pays for the build.
package binaries

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

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
	// KubeRay is the release whose ray-operator is built (default: the
	// default release).
	KubeRay versions.KubeRayRelease
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

// WithKubeRay builds the ray-operator of release r.
func WithKubeRay(r versions.KubeRayRelease) Option { return func(o *Options) { o.KubeRay = r } }

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
	results, err := ensureAll(ctx, Targets(k, o.KubeRay), o, 2, buildCommand(k, ""))
	if err != nil {
		return Set{}, err
	}
	bins := merged(results)
	return Set{
		APIServer: bins["kube-apiserver"], ControllerManager: bins["kube-controller-manager"], Scheduler: bins["kube-scheduler"],
		Etcd: bins["etcd"], KWOK: bins["kwok"], Operator: bins["ray-operator"],
	}, nil
}

// merged is every target's binaries by name.
func merged(results []map[string]string) map[string]string {
	all := map[string]string{}
	for _, paths := range results {
		maps.Copy(all, paths)
	}
	return all
}

// buildCommand is how a user builds k's binaries without a time limit:
// with flag "" the control plane's, "-node" the Kind node's, "-tools" the
// reader's tools.
func buildCommand(k versions.Kubernetes, flag string) string {
	cmd := "`go run ./cmd/local-binaries -kubernetes " + strings.TrimPrefix(k.Minor(), "v")
	if flag != "" {
		return cmd + " " + flag + "`"
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
	// Builds start in the targets' order, whichever goroutine runs first:
	// each waits for the one before it to have started (or found its
	// binaries cached), so that the longest build, listed first, is never
	// left to the end.
	turns := make([]chan struct{}, len(targets)+1)
	for i := range turns {
		turns[i] = make(chan struct{})
	}
	close(turns[0])
	var wg sync.WaitGroup
	for i, t := range targets {
		q := queue{slots: slots, mine: turns[i], next: turns[i+1]}
		wg.Go(func() { results[i], errs[i] = t.ensure(buildCtx, o, root, q) })
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
		"Build the rest without a time limit with %s, or give the first run more time: `go test ./e2e -timeout 60m`",
		ErrDeadline, o.Deadline.Format(time.TimeOnly), none(building), none(waiting), none(cached), o.CacheDir, fix)
	return errors.Join(append([]error{err}, failed...)...)
}

func options(opts []Option) (Options, error) {
	o := Options{Progress: os.Stderr}
	for _, opt := range opts {
		opt(&o)
	}
	if o.KubeRay.Version == "" {
		r, err := versions.LookupKubeRay("")
		if err != nil {
			return o, err
		}
		o.KubeRay = r
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

// EnsureTarget returns the binaries of the one target of Targets(k, r) called
// name (for example "ray-operator"), building them if they are not cached,
// without building the others.
func EnsureTarget(ctx context.Context, k versions.Kubernetes, name string, opts ...Option) (map[string]string, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	for _, t := range Targets(k, o.KubeRay) {
		if t.Name == name {
			results, err := ensureAll(ctx, []Target{t}, o, 1, buildCommand(k, ""))
			if err != nil {
				return nil, err
			}
			return results[0], nil
		}
	}
	return nil, fmt.Errorf("no binary target %q", name)
}

// EnsureTools returns the reader's tools for Kubernetes release k,
// building those that are not cached.
func EnsureTools(ctx context.Context, k versions.Kubernetes, opts ...Option) (Tools, error) {
	o, err := options(opts)
	if err != nil {
		return Tools{}, err
	}
	results, err := ensureAll(ctx, ToolTargets(k), o, 2, buildCommand(k, "-tools"))
	if err != nil {
		return Tools{}, err
	}
	bins := merged(results)
	return Tools{Kubectl: bins["kubectl"], Helm: bins["helm"]}, nil
}

// EnsureNode returns the binaries of NodeTargets(k) by name ("etcd-node"
// for kubeadm's etcd), building those that are not cached.
func EnsureNode(ctx context.Context, k versions.Kubernetes, opts ...Option) (map[string]string, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	targets := NodeTargets(k)
	results, err := ensureAll(ctx, targets, o, 1, buildCommand(k, "-node"))
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
