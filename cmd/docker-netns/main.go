// Command docker-netns runs a private Docker daemon inside a network
// namespace of its own (package dockerns). scripts/docker-netns is its entry
// point.
//
//	docker-netns start              create the namespace, start dockerd in it
//	docker-netns stop               remove daemon, processes, cgroups, namespace, run directory
//	docker-netns status             what exists now
//	docker-netns exec -- CMD ...    run CMD inside the namespace with DOCKER_HOST set
//	docker-netns run -- CMD ...     start, exec, stop (also on failure and on SIGINT/SIGTERM)
//
// E2E_DOCKER_NETNS names the namespace (default kuberay-e2e),
// E2E_DOCKER_RUN_DIR the run directory (default /tmp/<name>.docker).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/offline/dockerns"
)

func main() {
	fs := flag.NewFlagSet("docker-netns", flag.ExitOnError)
	capdrop := fs.String("capdrop", "", "oci-capdrop binary (needed where the kernel lacks CAP_SYS_RESOURCE)")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: docker-netns [-capdrop PATH] start|stop|status|exec -- CMD...|run -- CMD...")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	args := fs.Args()
	if len(args) == 0 {
		fs.Usage()
		os.Exit(2)
	}
	name, runDir := settings.DockerNetns()
	cfg := dockerns.Config{Name: name, Dir: runDir, CapDrop: *capdrop}
	cmdArgs := args[1:]
	if len(cmdArgs) > 0 && cmdArgs[0] == "--" {
		cmdArgs = cmdArgs[1:]
	}
	var err error
	code := 0
	switch args[0] {
	case "start":
		err = start(cfg)
	case "stop":
		err = stop(cfg)
	case "status":
		left := dockerns.Leftovers(cfg)
		if len(left) == 0 {
			fmt.Printf("nothing of %s exists\n", name)
		}
		for _, l := range left {
			fmt.Println(l)
		}
		if dockerns.Ping(context.Background(), cfg) == nil {
			fmt.Printf("daemon answers at %s\n", cfg.Host())
		}
	case "exec":
		code, err = execIn(cfg, cmdArgs)
	case "run":
		code, err = runAll(cfg, cmdArgs)
	default:
		fs.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-netns:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func start(cfg dockerns.Config) error {
	t0 := time.Now()
	d, err := dockerns.Start(context.Background(), cfg)
	if err != nil {
		return err
	}
	note := "runc (the kernel has every capability privileged containers ask for)"
	if len(d.Dropped) > 0 {
		note = fmt.Sprintf("oci-capdrop in front of runc (this kernel lacks %s)", strings.Join(d.Dropped, ", "))
	}
	fmt.Printf("dockerd up in %.1fs in network namespace %s\n  DOCKER_HOST=%s\n  run directory %s\n  default runtime: %s\n",
		time.Since(t0).Seconds(), cfg.Name, cfg.Host(), cfg.Dir, note)
	return nil
}

func stop(cfg dockerns.Config) error {
	t0 := time.Now()
	err := dockerns.Stop(cfg)
	if left := dockerns.Leftovers(cfg); len(left) > 0 {
		return errors.Join(err, fmt.Errorf("still there after stop: %s", strings.Join(left, "; ")))
	}
	if err == nil {
		fmt.Printf("stopped in %.1fs: no daemon, namespace, cgroup, mount or directory of %s left\n", time.Since(t0).Seconds(), cfg.Name)
	}
	return err
}

// execIn runs argv inside the namespace with the daemon's environment.
// SIGINT and SIGTERM reach the command (same process group); this process
// waits for it.
func execIn(cfg dockerns.Config, argv []string) (int, error) {
	if len(argv) == 0 {
		return 2, errors.New("exec: no command (usage: docker-netns exec -- CMD ...)")
	}
	if _, err := os.Stat(cfg.NetnsPath()); err != nil {
		return 1, fmt.Errorf("network namespace %s does not exist (fix: scripts/docker-netns start)", cfg.Name)
	}
	cmd := cfg.Command(argv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Ctrl-C reaches the command through the terminal's process group;
	// SIGTERM, sent to this process alone, is passed on.
	signal.Ignore(syscall.SIGINT)
	defer signal.Reset(syscall.SIGINT)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(term)
	if err := cmd.Start(); err != nil {
		return 1, err
	}
	go func() {
		for s := range term {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), fmt.Errorf("%s ended by %s", argv[0], ws.Signal())
		}
		return ee.ExitCode(), nil
	}
	return 0, err
}

// runAll is start, exec, stop; stop runs whatever happens, Ctrl-C included.
func runAll(cfg dockerns.Config, argv []string) (int, error) {
	if len(argv) == 0 {
		return 2, errors.New("run: no command (usage: docker-netns run -- CMD ...)")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-sig; cancel() }()
	t0 := time.Now()
	if _, err := dockerns.Start(ctx, cfg); err != nil {
		return 1, err
	}
	fmt.Fprintf(os.Stderr, "docker-netns: dockerd up in %.1fs in namespace %s\n", time.Since(t0).Seconds(), cfg.Name)
	code, err := 1, ctx.Err()
	if err == nil {
		signal.Stop(sig)
		code, err = execIn(cfg, argv)
	}
	if serr := stop(cfg); serr != nil {
		err = errors.Join(err, serr)
	}
	return code, err
}
