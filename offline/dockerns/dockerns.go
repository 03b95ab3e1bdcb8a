// Package dockerns runs a private Docker daemon inside a network namespace
// that this project creates, so that every container address lives in that
// namespace and no container traffic reaches the host's networks.
//
// The namespace starts with loopback only; the daemon adds its own bridge
// inside it. The daemon has its own data-root, exec-root, pidfile, socket,
// config file and cgroup parent under one run directory, and never touches
// /var/run/docker.sock or /etc/docker/daemon.json. Stop removes the daemon,
// every process and cgroup it left, the namespace and the run directory.
//
// On a kernel whose capability bounding set lacks CAP_SYS_RESOURCE the
// daemon's default runtime is oci-capdrop (package ocicaps) in front of
// runc; elsewhere the daemon keeps runc and nothing is added.
package dockerns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/offline/mounts"
	"github.com/kuberay-docs/pod-security-e2e/offline/ocicaps"
)

// Config says where the daemon lives.
type Config struct {
	// Name names the network namespace (ip netns) and the cgroup parent.
	Name string
	// Dir is the run directory: socket, pidfile, config, data-root, exec-root, log.
	Dir string
	// CapDrop is the oci-capdrop binary, registered as the default runtime
	// only when the kernel lacks a capability ocicaps watches.
	CapDrop string
	// StartTimeout bounds the wait for the daemon's API (default 60s).
	StartTimeout time.Duration
}

// Daemon is a started (or found) private daemon.
type Daemon struct {
	Config
	// Runtime is the daemon's default OCI runtime ("runc" or "capdrop").
	Runtime string
	// Dropped lists the capabilities the runtime removes from specs.
	Dropped []string
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// Socket is the daemon's API socket.
func (c Config) Socket() string { return filepath.Join(c.Dir, "docker.sock") }

// Host is the DOCKER_HOST value for the daemon.
func (c Config) Host() string { return "unix://" + c.Socket() }

// NetnsPath is the namespace's file under /run/netns.
func (c Config) NetnsPath() string { return filepath.Join("/run/netns", c.Name) }

func (c Config) pidfile() string      { return filepath.Join(c.Dir, "dockerd.pid") }
func (c Config) logfile() string      { return filepath.Join(c.Dir, "dockerd.log") }
func (c Config) statefile() string    { return filepath.Join(c.Dir, "state.json") }
func (c Config) cgroupParent() string { return "/" + c.Name }

// Command runs argv inside the namespace (network only: the file system,
// /sys and the cgroups stay the host's) with the daemon's environment.
func (c Config) Command(argv ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--net=" + c.NetnsPath(), "--"}, argv...)...)
	cmd.Env = append(os.Environ(), c.Env()...)
	return cmd
}

// Env is the environment a client of the daemon needs.
func (c Config) Env() []string {
	return []string{"DOCKER_HOST=" + c.Host(), "E2E_DOCKER_NETNS=" + c.Name}
}

// Check reports what is missing to run a private daemon, with the fix.
func Check() error {
	var missing []string
	for _, tool := range []string{"dockerd", "docker", "ip", "iptables", "runc", "unshare", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s not found in PATH (fix: apt-get install docker.io iproute2 iptables util-linux, or run scripts/docker-netns, which installs them)", strings.Join(missing, ", "))
	}
	if os.Geteuid() != 0 {
		return errors.New("a private Docker daemon in its own network namespace needs root (fix: run as root)")
	}
	return nil
}

// Start creates the namespace and starts the daemon in it, detached from
// the caller (it outlives a "start" command until "stop"). On failure it
// removes what it made and returns the end of the daemon's log.
func Start(ctx context.Context, c Config) (d *Daemon, err error) {
	if !validName.MatchString(c.Name) {
		return nil, fmt.Errorf("namespace name %q: use lower-case letters, digits and '-', at most 31 characters", c.Name)
	}
	if len(c.Socket()) > 100 {
		return nil, fmt.Errorf("run directory %s is too long for a unix socket path (fix: choose a shorter one)", c.Dir)
	}
	if err := Check(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(c.NetnsPath()); err == nil {
		return nil, fmt.Errorf("network namespace %s already exists (fix: scripts/docker-netns stop, or E2E_DOCKER_NETNS=<other name>)", c.Name)
	}
	if _, err := os.Stat(c.Dir); err == nil {
		return nil, fmt.Errorf("run directory %s already exists (fix: scripts/docker-netns stop, which removes it)", c.Dir)
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 60 * time.Second
	}
	d = &Daemon{Config: c, Runtime: "runc"}
	if d.Dropped, err = ocicaps.MissingHere(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if serr := Stop(c); serr != nil {
				err = fmt.Errorf("%w\n(cleanup after the failure: %v)", err, serr)
			}
		}
	}()
	if err := run(ctx, "ip", "netns", "add", c.Name); err != nil {
		return nil, err
	}
	if err := run(ctx, "ip", "-n", c.Name, "link", "set", "lo", "up"); err != nil {
		return nil, err
	}
	// Route nothing out: the namespace has loopback and, once dockerd is
	// up, its bridge; no interface reaches the host.
	cfg := map[string]any{
		"data-root":      filepath.Join(c.Dir, "data"),
		"exec-root":      filepath.Join(c.Dir, "exec"),
		"pidfile":        c.pidfile(),
		"hosts":          []string{c.Host()},
		"iptables":       true,
		"ip-forward":     true,
		"ipv6":           false,
		"cgroup-parent":  c.cgroupParent(),
		"exec-opts":      []string{"native.cgroupdriver=cgroupfs"},
		"storage-driver": "overlay2",
		"log-level":      "warn",
		"features":       map[string]bool{"buildkit": false},
	}
	if len(d.Dropped) > 0 {
		if c.CapDrop == "" {
			return nil, fmt.Errorf("this kernel lacks %s, so privileged containers need the oci-capdrop runtime (fix: build it with go build ./cmd/oci-capdrop and pass its path)", strings.Join(d.Dropped, ", "))
		}
		abs, err := filepath.Abs(c.CapDrop)
		if err != nil {
			return nil, err
		}
		cfg["runtimes"] = map[string]any{"capdrop": map[string]string{"path": abs}}
		cfg["default-runtime"] = "capdrop"
		d.Runtime = "capdrop"
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	cfgPath := filepath.Join(c.Dir, "daemon.json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(c.logfile())
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// dockerd gets a mount namespace of its own, a slave of the host's: it
	// sees the host's files and cgroups, and its overlay and netns mounts
	// vanish with it and never show on the host. (ip netns exec is not used:
	// it remounts /sys, which hides the cgroup hierarchies from dockerd.)
	cmd := exec.Command("unshare", "--mount", "--propagation", "slave", "--",
		"nsenter", "--net="+c.NetnsPath(), "--", "dockerd", "--config-file", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dockerd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	state, _ := json.Marshal(map[string]any{"name": c.Name, "pid": cmd.Process.Pid, "runtime": d.Runtime, "dropped": d.Dropped})
	if err := os.WriteFile(c.statefile(), state, 0o600); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(c.StartTimeout)
	for {
		if err := Ping(ctx, c); err == nil {
			return d, nil
		}
		select {
		case werr := <-exited:
			return nil, fmt.Errorf("dockerd exited during start-up (%v); end of %s:\n%s", werr, c.logfile(), tail(c.logfile(), 15))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("dockerd's API at %s did not answer within %s; end of %s:\n%s", c.Socket(), c.StartTimeout, c.logfile(), tail(c.logfile(), 15))
		}
	}
}

// Ping asks the daemon's API for /_ping.
func Ping(ctx context.Context, c Config) error {
	client := http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", c.Socket())
		},
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping: %s", resp.Status)
	}
	return nil
}

// Stop removes everything Start made, whatever state it is in: the daemon
// (SIGTERM, then SIGKILL), every process left in the namespace or under the
// daemon's cgroup parent (containerd, shims, containers), the cgroups, the
// namespace and the run directory. It is safe to call more than once.
func Stop(c Config) error {
	var errs []error
	if pid := readPid(c); pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		if !waitGone(pid, 20*time.Second) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 5*time.Second)
		}
	}
	// Containers first (they live in their own namespaces, under the cgroup
	// parent), then whatever still runs in the namespace itself.
	if err := killCgroups(c.cgroupParent()); err != nil {
		errs = append(errs, err)
	}
	if _, err := os.Stat(c.NetnsPath()); err == nil {
		for _, pid := range netnsPids(c.Name) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range netnsPids(c.Name) {
			waitGone(pid, 5*time.Second)
		}
		if err := run(context.Background(), "ip", "netns", "delete", c.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := mounts.Unmount(c.Dir); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", c.Dir, err))
	}
	return errors.Join(errs...)
}

// Leftovers lists what of c still exists (empty after a clean Stop).
func Leftovers(c Config) []string {
	var left []string
	if _, err := os.Stat(c.NetnsPath()); err == nil {
		left = append(left, "network namespace "+c.NetnsPath())
	}
	if _, err := os.Stat(c.Dir); err == nil {
		left = append(left, "run directory "+c.Dir)
	}
	for _, m := range mounts.Under(c.Dir) {
		left = append(left, "mount "+m)
	}
	for _, root := range cgroupRoots() {
		if _, err := os.Stat(filepath.Join(root, c.cgroupParent())); err == nil {
			left = append(left, "cgroup "+filepath.Join(root, c.cgroupParent()))
		}
	}
	if pid := readPid(c); pid > 0 && alive(pid) {
		left = append(left, "dockerd pid "+strconv.Itoa(pid))
	}
	return left
}

func readPid(c Config) int {
	for _, f := range []string{c.pidfile(), c.statefile()} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return pid
		}
		var st struct{ Pid int }
		if json.Unmarshal(b, &st) == nil && st.Pid > 0 {
			return st.Pid
		}
	}
	return 0
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie is gone for our purposes.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return !alive(pid)
}

// netnsPids lists the processes whose network namespace is /run/netns/name.
func netnsPids(name string) []int {
	out, err := exec.Command("ip", "netns", "pids", name).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cgroupRoots are the mounted cgroup hierarchies (v1 controllers or v2).
func cgroupRoots() []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var roots []string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, " - ", 2)
		if len(parts) != 2 {
			continue
		}
		fs := strings.Fields(parts[1])
		f := strings.Fields(parts[0])
		if len(fs) > 0 && (fs[0] == "cgroup" || fs[0] == "cgroup2") && len(f) > 4 {
			roots = append(roots, mounts.Unescape(f[4]))
		}
	}
	return roots
}

// killCgroups kills every process under parent in every hierarchy and
// removes the cgroups, deepest first.
func killCgroups(parent string) error {
	var errs []error
	for _, root := range cgroupRoots() {
		top := filepath.Join(root, parent)
		if _, err := os.Stat(top); err != nil {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for attempt := 0; attempt < 50; attempt++ {
			left := 0
			for _, d := range dirs {
				b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil {
						_ = syscall.Kill(pid, syscall.SIGKILL)
						left++
					}
				}
			}
			for _, d := range dirs {
				_ = syscall.Rmdir(d)
			}
			if _, err := os.Stat(top); err != nil {
				break
			}
			if attempt == 49 {
				errs = append(errs, fmt.Errorf("cgroup %s still there with %d processes", top, left))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return errors.Join(errs...)
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
