package binaries

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

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
