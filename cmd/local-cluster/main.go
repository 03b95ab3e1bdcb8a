// Command local-cluster starts the local tier's control plane (etcd,
// kube-apiserver auditing under audit-policy.yaml, controller manager,
// scheduler, KWOK's fake node) and keeps it running until SIGINT or SIGTERM,
// so that the tutorial can run on it with E2E_PROVIDER=existing as on any
// cluster someone already has. It also runs the KubeRay operator for every
// kuberay-operator chart installed into it (see operators.go).
//
//	go run ./cmd/local-cluster [-kubernetes 1.24] [-env-file FILE]
//
// Its last start-up lines, on standard output, are what to export:
//
//	export KUBECONFIG=/tmp/kuberay-e2e-local-…/kubeconfig
//	export E2E_AUDIT_LOG=/tmp/kuberay-e2e-local-…/audit/kube-apiserver-audit.log
//
// -env-file writes the same lines to FILE once the cluster is ready (all at
// once: a script can wait for the file to appear, then source it), and
// removes it at teardown. On SIGINT or SIGTERM, or when its parent process
// dies (SIGHUP), every process it started is stopped and the run directory
// removed; a second SIGINT or SIGTERM kills them at once. Exit status: 0 after a requested stop,
// 1 when the cluster could not start, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kuberay-docs/pod-security-e2e/cluster/local"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

const usage = "usage: local-cluster [-kubernetes VERSION] [-kuberay RELEASE] [-env-file FILE]"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line, checked.
type options struct {
	version string
	kuberay string
	release versions.KubeRayRelease // -kuberay's release
	envFile string
}

// parse reads the flags. Every problem is one line; nothing has started yet.
func parse(args []string, stdout io.Writer) (options, error) {
	var o options
	fl := flag.NewFlagSet("local-cluster", flag.ContinueOnError)
	// The flag package would print the whole usage after each error; one
	// line that names the problem reads better in a CI log.
	fl.SetOutput(io.Discard)
	fl.StringVar(&o.version, "kubernetes", versions.DefaultKubernetes, "pinned Kubernetes version to run (e.g. 1.24, 1.29, 1.34 or 1.37)")
	fl.StringVar(&o.kuberay, "kuberay", versions.KubeRay, "pinned KubeRay release whose operator runs for each chart install: "+strings.Join(versions.SupportedKubeRay(), ", "))
	fl.StringVar(&o.envFile, "env-file", "", "write the export lines to FILE once the cluster is ready (removed at teardown)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "%s\n\nStarts the local tier's control plane and keeps it running until SIGINT or SIGTERM.\n\nFlags:\n", usage)
			fl.SetOutput(stdout)
			fl.PrintDefaults()
		}
		return o, err
	}
	if fl.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if _, err := versions.LookupKubernetes(o.version); err != nil {
		return o, fmt.Errorf("-kubernetes: %w", err)
	}
	var err error
	if o.release, err = versions.LookupKubeRay(o.kuberay); err != nil {
		return o, fmt.Errorf("-kuberay: %w", err)
	}
	if o.envFile != "" {
		abs, err := filepath.Abs(o.envFile)
		if err != nil {
			return o, fmt.Errorf("-env-file %s: %w", o.envFile, err)
		}
		if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
			return o, fmt.Errorf("-env-file %s: its directory %s does not exist", o.envFile, filepath.Dir(abs))
		}
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			return o, fmt.Errorf("-env-file %s is a directory", o.envFile)
		}
		o.envFile = abs
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "local-cluster: %v (%s)\n", err, usage)
		return 2
	}
	startTimeout, err := settings.LocalStartTimeout()
	if err != nil {
		fmt.Fprintf(stderr, "local-cluster: %v\n", err)
		return 2
	}
	// A panic must not leave the control plane running or its directory
	// behind: Create cleans up after its errors only, and the kernel's
	// parent-death signal would end the processes but not remove files.
	defer func() {
		if r := recover(); r != nil {
			proc.RunInterruptCleanups()
			panic(r)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handleSignals(cancel, stderr)
	// `go run` dies of SIGTERM instead of passing it on, which would orphan
	// this command and its cluster; so the cluster ends with whatever started
	// the command (go run, a CI script's shell).
	if err := proc.SignalOnParentDeath(syscall.SIGHUP); err != nil {
		fmt.Fprintf(stderr, "local-cluster: %v\n", err)
		return 1
	}

	if o.envFile != "" {
		// A file left by a killed run would tell a waiting script that the
		// cluster is ready before it is.
		_ = os.Remove(o.envFile)
	}
	lc, err := local.New(local.WithProgress(stderr), local.WithStartTimeout(startTimeout), local.WithVersion(o.version), local.WithKubeRay(o.release))
	if err != nil {
		fmt.Fprintf(stderr, "local-cluster: %v\n", err)
		return 2
	}
	kubeconfig, err := lc.Create(ctx)
	if err != nil {
		// Create has stopped what it started and removed its directory.
		return startFailed(ctx, stderr, err)
	}
	defer lc.Destroy(context.Background())
	if err := lc.WaitForControlPlane(ctx, nil); err != nil {
		return startFailed(ctx, stderr, err)
	}
	stopWatch, err := watchOperators(ctx, lc, stderr)
	if err != nil {
		return startFailed(ctx, stderr, err)
	}
	// After the informer, whose handler may be starting an operator, and
	// before Destroy, which stops every operator.
	defer stopWatch()

	exports := exportLines(map[string]string{"KUBECONFIG": kubeconfig, "E2E_AUDIT_LOG": lc.AuditLogPath()}, "KUBECONFIG", "E2E_AUDIT_LOG")
	if o.envFile != "" {
		remove := proc.OnInterrupt(func() { _ = os.Remove(o.envFile) })
		defer func() { _ = os.Remove(o.envFile); remove() }()
		header := fmt.Sprintf("# local-cluster (pid %d) is running; kill -TERM %d tears it down.\n", os.Getpid(), os.Getpid())
		if err := writeAtomic(o.envFile, header+exports); err != nil {
			return startFailed(ctx, stderr, err)
		}
		fmt.Fprintf(stderr, "local-cluster: wrote %s\n", o.envFile)
	}
	fmt.Fprintf(stderr, "local-cluster: ready; Ctrl-C or kill -TERM %d tears it down. Run the tutorial on it with:\n  E2E_PROVIDER=existing E2E_CHART=standin go test ./e2e -v\nafter exporting:\n", os.Getpid())
	fmt.Fprint(stdout, exports)

	<-ctx.Done()
	return 0
}

// startFailed reports why the cluster did not start; a signal during
// start-up is a stop that was asked for, not a failure.
func startFailed(ctx context.Context, stderr io.Writer, err error) int {
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "local-cluster: stopped before the cluster was ready")
		return 0
	}
	fmt.Fprintf(stderr, "local-cluster: %v\n", err)
	return 1
}

// handleSignals cancels the run at the first SIGINT, SIGTERM or SIGHUP, for
// an orderly teardown (etcd stops last, with time to close its files). A
// second SIGINT or SIGTERM means the user will not wait: everything is
// killed at once and the files removed, as the test suite does at its first
// (proc.HandleSignals). SIGHUP is also what the command gets when its parent
// dies, once per thread of the parent, so it never escalates.
func handleSignals(cancel context.CancelFunc, stderr io.Writer) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-ch
		why := sig.String()
		if sig == syscall.SIGHUP {
			why += " (its parent process or terminal is gone)"
		}
		fmt.Fprintf(stderr, "\nlocal-cluster: %s: stopping every process and removing the run directory\n", why)
		cancel()
		for sig := range ch {
			if sig == syscall.SIGHUP {
				continue
			}
			fmt.Fprintf(stderr, "local-cluster: %s again: killing every process now\n", sig)
			proc.RunInterruptCleanups()
			os.Exit(130)
		}
	}()
}

// exportLines are shell lines that export each key in order.
func exportLines(vars map[string]string, keys ...string) string {
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(vars[k]))
	}
	return b.String()
}

// shellQuote leaves a plain path as it is (readable, and usable by tools
// that read KEY=VALUE without a shell) and single-quotes anything else.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeAtomic writes data to path through a rename, so that a script that
// waits for path never reads half of it.
func writeAtomic(path, data string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // gone after a successful rename
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
