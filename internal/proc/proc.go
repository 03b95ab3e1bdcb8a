// Package proc starts the harness's long-running child processes (etcd, the
// Kubernetes components, KWOK, the operator) so that none can outlive the test
// binary: each runs in its own process group, gets SIGKILL from the kernel when
// the harness dies (Linux parent-death signal, even after kill -9), and is
// tracked so that a signal or a panic in the harness stops them all.
package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Process is a started child.
type Process struct {
	Name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed
}

var (
	mu      sync.Mutex
	running = map[*Process]struct{}{}

	spawnOnce sync.Once
	spawnReq  chan spawnRequest
)

type spawnRequest struct {
	cmd   *exec.Cmd
	reply chan error
}

// The kernel sends the parent-death signal when the *thread* that forked the
// child exits, not the process. Go may retire threads, so every child is
// started from one goroutine locked to a thread that lives as long as the
// process does.
func spawner() {
	runtime.LockOSThread()
	for req := range spawnReq {
		req.reply <- req.cmd.Start()
	}
}

// Start runs cmd as a supervised child named name. Output goes to logFile,
// which the caller owns. The child is killed (SIGKILL) if the harness dies.
func Start(name string, cmd *exec.Cmd, log io.Writer) (*Process, error) {
	return start(name, cmd, log, sysProcAttr())
}

// StartWithDeathSignal is Start for a child that cleans up after itself on
// sig: if the harness dies, the kernel sends the child sig instead of
// SIGKILL (the matrix runs the compiled suite this way, which on SIGTERM
// stops its cluster and removes its files).
func StartWithDeathSignal(name string, cmd *exec.Cmd, log io.Writer, sig syscall.Signal) (*Process, error) {
	return start(name, cmd, log, sysProcAttrDeathSignal(sig))
}

func start(name string, cmd *exec.Cmd, log io.Writer, attr *syscall.SysProcAttr) (*Process, error) {
	spawnOnce.Do(func() {
		spawnReq = make(chan spawnRequest)
		go spawner()
	})
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = attr
	reply := make(chan error, 1)
	spawnReq <- spawnRequest{cmd: cmd, reply: reply}
	if err := <-reply; err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, cmd.Path, err)
	}
	p := &Process{Name: name, cmd: cmd, done: make(chan struct{})}
	mu.Lock()
	running[p] = struct{}{}
	mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		mu.Lock()
		delete(running, p)
		mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Pid is the child's process id (also its process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Err reports why the process ended; nil while it runs.
func (p *Process) Err() error {
	select {
	case <-p.done:
		if p.err == nil {
			return errors.New("exited with status 0")
		}
		return p.err
	default:
		return nil
	}
}

// Wait blocks until the process has ended and returns what exec.Cmd.Wait
// returned: nil for exit status 0.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Stop sends SIGTERM to the process group and waits up to grace before SIGKILL.
// It returns once the process is gone.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		// The leader is gone; a grandchild may remain in the group.
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	case <-t.C:
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
		<-p.done
	}
}

// Running returns the names of the supervised processes still alive.
func Running() []string {
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for p := range running {
		names = append(names, p.Name)
	}
	return names
}

// KillAll kills every supervised process group at once. It is the last resort
// of the signal and panic handlers; orderly shutdown uses Stop.
func KillAll() {
	mu.Lock()
	var ps []*Process
	for p := range running {
		ps = append(ps, p)
	}
	mu.Unlock()
	for _, p := range ps {
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	}
	for _, p := range ps {
		<-p.done
	}
}

var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

// OnInterrupt registers fn to run when the harness gets SIGINT or SIGTERM,
// after every child is killed. It returns a function that unregisters fn.
func OnInterrupt(fn func()) (remove func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, fn)
	idx := len(cleanups) - 1
	return func() {
		cleanupMu.Lock()
		defer cleanupMu.Unlock()
		cleanups[idx] = nil
	}
}

// HandleSignals makes SIGINT and SIGTERM kill every child and run the
// registered cleanups before the harness exits with 130 or 143. Call it once
// from TestMain or main; the returned context is cancelled at the signal so
// that in-flight waits end promptly.
func HandleSignals(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	stop := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			fmt.Fprintf(os.Stderr, "\n%s: stopping every process the harness started and removing its files\n", sig)
			cancel()
			RunInterruptCleanups()
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			os.Exit(code)
		case <-stop:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(stop)
		cancel()
	}
}

// RunInterruptCleanups kills all children and runs the registered cleanups in
// reverse order. Exposed for panic handlers and tests.
func RunInterruptCleanups() {
	KillAll()
	cleanupMu.Lock()
	fns := append([]func(){}, cleanups...)
	cleanupMu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		if fns[i] != nil {
			fns[i]()
		}
	}
}

// Output collects a child's output. exec.Cmd copies a child's output in its
// own goroutine, so a plain bytes.Buffer read while the child runs races.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// Bytes returns a copy of what was written so far.
func (o *Output) Bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]byte(nil), o.buf.Bytes()...)
}

// String returns what was written so far.
func (o *Output) String() string { return string(o.Bytes()) }
