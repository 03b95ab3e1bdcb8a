// Command offline-images builds the offline Kind tier's images from Debian
// packages and PyPI wheels (package offline/images) and caches their root
// file systems by recipe; with -load it imports them into a Docker daemon.
// scripts/offline-images is its entry point.
//
//	offline-images [-load] [ray] [operator] [pause] [node] [pip-index]     (no name: all)
//
// ray is the Ray image of E2E_RAY_VERSION (default 2.46.0), operator the
// operator image of E2E_KUBERAY_VERSION, and node the Kind node image of
// E2E_KUBERNETES_VERSION (default v1.24.17).
// pause is step 3's probe image. pip-index is not an image: the wheels and
// static index step 5.2's pip installs from, served by the kind provider.
//
// -load imports into the daemon DOCKER_HOST names; when DOCKER_HOST is
// unset, into the private daemon of scripts/docker-netns (never the host's
// /var/run/docker.sock).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/offline/dockerns"
	"github.com/kuberay-docs/pod-security-e2e/offline/images"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func main() {
	load := flag.Bool("load", false, "import the images into the Docker daemon (DOCKER_HOST, else the private daemon of scripts/docker-netns)")
	verbose := flag.Bool("v", false, "show the build commands' output")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: offline-images [-load] [-v] [ray] [operator] [pause] [node] [pip-index]")
		flag.PrintDefaults()
	}
	flag.Parse()
	want := map[string]bool{}
	for _, a := range flag.Args() {
		if !slices.Contains(targets, a) {
			flag.Usage()
			os.Exit(2)
		}
		want[a] = true
	}
	if len(want) == 0 {
		for _, t := range targets {
			want[t] = true
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, want, *load, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "offline-images:", err)
		os.Exit(1)
	}
}

var targets = []string{"ray", "operator", "pause", "node", "pip-index"}

// image is what every recipe offers.
type image struct {
	name, key  string
	build      func() (string, bool, error)
	importArgs func(string) []string
	// debian names the packages worth showing of an image made from a
	// Debian root; all of them are recorded beside the tarball.
	debian []string
}

func run(ctx context.Context, want map[string]bool, load, verbose bool) error {
	cache, err := images.CacheDir()
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) { fmt.Printf("  "+format+"\n", args...) }
	var out io.Writer = os.Stdout
	logPath := filepath.Join(cache, "images", "build.log")
	if !verbose {
		lf := &lazyFile{path: logPath}
		defer lf.Close()
		out = lf
	}
	var list []image
	if want["ray"] {
		// The release the suite runs (E2E_RAY_VERSION), each from its own lock.
		rel, err := settings.RayRelease()
		if err != nil {
			return err
		}
		r, err := images.RayFor(rel)
		if err != nil {
			return err
		}
		list = append(list, image{r.Name, r.Key(), func() (string, bool, error) {
			if _, err := os.Stat(r.Tarball(cache)); err != nil && !verbose {
				fmt.Printf("  build log: %s\n", logPath)
			}
			return r.Build(ctx, cache, out, logf)
		}, r.ImportArgs, []string{"python3.11", "bash", "wget"}})
	}
	if want["operator"] {
		// The release the suite runs (E2E_KUBERAY_VERSION), like the node
		// image follows E2E_KUBERNETES_VERSION.
		r, err := settings.KubeRayRelease()
		if err != nil {
			return err
		}
		o, err := images.OperatorFromCache(ctx, r, os.Stderr)
		if err != nil {
			return err
		}
		list = append(list, image{o.Name, o.Key(), func() (string, bool, error) { return o.Build(cache) }, o.ImportArgs, nil})
	}
	if want["pause"] {
		p, err := images.PauseFromCache(ctx)
		if err != nil {
			return err
		}
		list = append(list, image{p.Name, p.Key(), func() (string, bool, error) { return p.Build(cache) }, p.ImportArgs, nil})
	}
	if want["node"] {
		k, err := settings.KubernetesRelease()
		if err != nil {
			return err
		}
		n, err := images.NodeFromCache(ctx, k, os.Stderr)
		if err != nil {
			return err
		}
		list = append(list, image{n.Name, n.Key(), func() (string, bool, error) {
			if _, err := os.Stat(n.Tarball(cache)); err != nil && !verbose {
				fmt.Printf("  build log: %s\n", logPath)
			}
			return n.Build(ctx, cache, out, logf)
		}, n.ImportArgs, []string{"containerd", "runc", "systemd", "iptables", "containernetworking-plugins"}})
	}
	if want["pip-index"] {
		t := time.Now()
		var p images.PipIndex
		fmt.Printf("package index: %s (recipe %s)\n", versions.PipIndexPackages, p.Key())
		dir, cached, err := p.Build(ctx, cache, out)
		if err != nil {
			return fmt.Errorf("package index: %w", err)
		}
		fmt.Printf("  %s in %s: %s\n", how(cached), time.Since(t).Round(time.Millisecond), dir)
		prune(dir)
	}
	var env []string
	if load {
		if env, err = daemonEnv(ctx); err != nil {
			return err
		}
	}
	for _, img := range list {
		t := time.Now()
		fmt.Printf("%s: file system (recipe %s)\n", img.name, img.key)
		tarball, cached, err := img.build()
		if err != nil {
			return fmt.Errorf("%s: %w", img.name, err)
		}
		fi, _ := os.Stat(tarball)
		fmt.Printf("  %s in %s: %s (%d MB)\n", how(cached), time.Since(t).Round(time.Millisecond), tarball, fi.Size()>>20)
		prune(tarball)
		if img.debian != nil {
			pkgs, err := images.RecordPackages(tarball)
			if err != nil {
				return fmt.Errorf("%s: Debian packages: %w", img.name, err)
			}
			fmt.Printf("  %d Debian packages (not pinned; all recorded beside the tarball): %s\n", len(pkgs), strings.Join(images.Pick(pkgs, img.debian...), ", "))
		}
		if !load {
			continue
		}
		t = time.Now()
		skipped, err := images.Load(ctx, env, img.name, img.key, img.importArgs(tarball))
		if err != nil {
			return err
		}
		if skipped {
			fmt.Printf("  the daemon already has %s of this recipe (%s)\n", img.name, time.Since(t).Round(time.Millisecond))
		} else {
			fmt.Printf("  imported as %s in %s\n", img.name, time.Since(t).Round(time.Millisecond))
		}
	}
	return nil
}

func how(cached bool) string {
	if cached {
		return "cached"
	}
	return "built"
}

// prune removes the cache entries of the image's older recipes.
func prune(current string) {
	removed, err := images.PruneStale(current)
	for _, r := range removed {
		fmt.Printf("  removed %s, an older recipe's\n", r)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "  pruning older recipes of %s: %v\n", current, err)
	}
}

// daemonEnv is DOCKER_HOST's daemon, or else the private daemon of
// scripts/docker-netns, which must be answering.
func daemonEnv(ctx context.Context) ([]string, error) {
	if os.Getenv("DOCKER_HOST") != "" {
		return nil, nil
	}
	name, dir := settings.DockerNetns()
	cfg := dockerns.Config{Name: name, Dir: dir}
	if err := dockerns.Ping(ctx, cfg); err != nil {
		return nil, fmt.Errorf("no private Docker daemon answers at %s (fix: scripts/docker-netns start, or set DOCKER_HOST): %v", cfg.Socket(), err)
	}
	return cfg.Env(), nil
}

// lazyFile creates its file on the first write, so that a run that finds
// everything cached keeps the previous build's log.
// Writes may come from concurrent build steps.
type lazyFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func (l *lazyFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
			return 0, err
		}
		f, err := os.Create(l.path)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	return l.f.Write(p)
}

func (l *lazyFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
