package page

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

// ReaderTools are the programs the page's lines call that the run provides
// itself: kubectl, helm and kind built from pinned modules, and the
// machine's docker (only where the tier's nodes are its containers) and go.
// One the shell was not given is a stub that fails with the reason, so that
// a line never runs whatever the machine happens to have under that name.
var ReaderTools = []string{"kubectl", "helm", "kind", "docker", "go"}

// Shell runs snips with bash, in the repository's top directory (the page
// says to run every command there), in an environment made for the run.
type Shell struct {
	dir string
	// bin holds the tools given; installs, the directories the blocks
	// install programs into; stubs, the tools not given. PATH searches
	// them in that order, so that a program a block installs (kind, by
	// `go install`) is found and a missing one is refused.
	bin, stubs string
	installs   []string
	home       string
	env        []string
	tools      map[string]string
}

// Option configures a Shell; a bad one fails NewShell.
type Option func(*Shell) error

// WithDir runs the snips in dir, as a reader in their clone's top
// directory.
func WithDir(dir string) Option {
	return func(s *Shell) error {
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			return fmt.Errorf("page: the snips' directory %s is not a directory: give the repository's top directory", dir)
		}
		s.dir = dir
		return nil
	}
}

// WithTool puts the built program path on PATH under name (one of
// ReaderTools).
func WithTool(name, path string) Option {
	return func(s *Shell) error {
		if !slices.Contains(ReaderTools, name) {
			return fmt.Errorf("page: %s is not one of the reader's tools (%s)", name, strings.Join(ReaderTools, ", "))
		}
		if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return fmt.Errorf("page: %s at %s is not an executable file: build it first (go run ./cmd/local-binaries -tools)", name, path)
		}
		s.tools[name] = path
		return nil
	}
}

// WithInstallDir puts dir, where the blocks install programs (GOPATH/bin
// for `go install`), on PATH before the stubs of the tools not given.
func WithInstallDir(dir string) Option {
	return func(s *Shell) error {
		if !filepath.IsAbs(dir) {
			return fmt.Errorf("page: install directory %q is not absolute", dir)
		}
		s.installs = append(s.installs, dir)
		return nil
	}
}

// WithKubeconfig points kubectl and helm at the run's cluster.
func WithKubeconfig(path string) Option {
	return func(s *Shell) error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("page: kubeconfig %s: %w", path, err)
		}
		s.env = append(s.env, "KUBECONFIG="+path)
		return nil
	}
}

// WithEnv adds NAME=value variables, such as a stand-in proxy's.
func WithEnv(vars ...string) Option {
	return func(s *Shell) error {
		for _, v := range vars {
			if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
				return fmt.Errorf("page: %q is not NAME=value", v)
			}
		}
		s.env = append(s.env, vars...)
		return nil
	}
}

// NewShell makes a shell whose HOME, tools and Helm configuration live in
// runDir, which the caller owns and removes.
func NewShell(runDir string, opts ...Option) (*Shell, error) {
	s := &Shell{bin: filepath.Join(runDir, "bin"), stubs: filepath.Join(runDir, "stubs"), home: filepath.Join(runDir, "home"), tools: map[string]string{}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.dir == "" {
		return nil, errors.New("page: no directory to run the snips in (WithDir)")
	}
	for _, d := range append([]string{s.bin, s.stubs, s.home}, s.installs...) {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("page: %w", err)
		}
	}
	for _, name := range ReaderTools {
		dst := filepath.Join(s.bin, name)
		_ = os.Remove(dst)
		if p, ok := s.tools[name]; ok {
			if err := os.Symlink(p, dst); err != nil {
				return nil, fmt.Errorf("page: %w", err)
			}
			continue
		}
		dst = filepath.Join(s.stubs, name)
		_ = os.Remove(dst)
		stub := fmt.Sprintf("#!/bin/sh\necho 'page: %s is not provided to this run, so a line that calls it cannot run here' >&2\nexit 127\n", name)
		if err := os.WriteFile(dst, []byte(stub), 0o755); err != nil {
			return nil, fmt.Errorf("page: %w", err)
		}
	}
	return s, nil
}

// In is the shell running its blocks in dir instead, as a reader who
// changed directory.
func (s *Shell) In(dir string) *Shell {
	c := *s
	c.dir = dir
	return &c
}

// ConfigDir is the blocks' XDG_CONFIG_HOME, where Helm keeps its
// repositories.
func (s *Shell) ConfigDir() string { return filepath.Join(s.home, ".config") }

// GoHosts are the hosts of the URLs in GOPROXY ("off" and "direct" name
// none) and of GOSUMDB ("sum.golang.org", "name+key URL" or "off").
func GoHosts(goproxy, gosumdb string) []string {
	var hosts []string
	add := func(raw string) {
		if u, err := url.Parse(raw); err == nil && u.Host != "" && !slices.Contains(hosts, u.Hostname()) {
			hosts = append(hosts, u.Hostname())
		}
	}
	for _, p := range strings.FieldsFunc(goproxy, func(r rune) bool { return r == ',' || r == '|' }) {
		add(p)
	}
	if f := strings.Fields(gosumdb); len(f) > 0 && f[0] != "off" {
		name, _, _ := strings.Cut(f[0], "+")
		add("https://" + name)
		if len(f) > 1 {
			add(f[1])
		}
	}
	return hosts
}

// environ is the snips' whole environment: nothing of the caller's but a
// system PATH and the locale, so that neither the user's kubeconfig nor
// their Helm repositories are read or changed.
func (s *Shell) environ() []string {
	xdg := func(sub string) string { return filepath.Join(s.home, sub) }
	env := []string{
		"PATH=" + strings.Join(append(append([]string{s.bin}, s.installs...), s.stubs), ":") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + s.home,
		"TMPDIR=" + filepath.Join(s.home, "tmp"),
		"XDG_CONFIG_HOME=" + s.ConfigDir(),
		"XDG_CACHE_HOME=" + xdg(".cache"),
		"XDG_DATA_HOME=" + xdg(".local/share"),
		"LANG=C.UTF-8",
		// Output compared with the page has no colour codes (Helm colours
		// a terminal's only, and this is none, but say so).
		"NO_COLOR=1",
		"TERM=dumb",
		// kubectl without a kubeconfig must not find the user's.
		"KUBECONFIG=" + filepath.Join(s.home, ".kube", "config"),
	}
	return append(env, s.env...)
}

// Result is what one snip did.
type Result struct {
	Snip Snip
	// Output is stdout and stderr together, as a terminal shows them.
	Output   string
	Duration time.Duration
	// Err is nil when every command exited 0; else it names the page's
	// line, the command and its exit status (an *ExitError).
	Err error
}

// ExitError is a snip whose command failed.
type ExitError struct {
	File    string
	Line    int
	Command string
	Code    int
	Output  string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s:%d: `%s` exited %d", e.File, e.Line, e.Command, e.Code)
	if tail := lastLines(e.Output, 10); tail != "" {
		msg += ":\n" + tail
	}
	return msg
}

// failedRE is the line the ERR trap writes; the snip's output never holds
// it otherwise, as it carries a marker of this package.
var failedRE = regexp.MustCompile(`(?m)^page-snip-failed line=(\d+) code=(\d+)\n?`)

// Run runs snip as a reader types it: bash, stopping at the first command
// that fails (as a reader would not go on), with pipelines failing when
// any part does.
func (s *Shell) Run(ctx context.Context, snip Snip) Result {
	// The trap's line is where the snip's own lines start counting: bash
	// numbers the lines of a -c script from 1.
	script := "set -eo pipefail\ntrap 'echo \"page-snip-failed line=$((LINENO-2)) code=$?\"' ERR\n" + snip.Script()
	if err := s.prepare(); err != nil {
		return Result{Snip: snip, Err: err}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", script)
	cmd.Dir = s.dir
	cmd.Env = s.environ()
	var out proc.Output
	start := time.Now()
	p, err := proc.Start("snip "+snip.String(), cmd, &out)
	if err != nil {
		return Result{Snip: snip, Err: err}
	}
	select {
	case <-p.Exited():
	case <-ctx.Done():
		p.Stop(2 * time.Second)
	}
	waitErr := p.Wait()
	r := Result{Snip: snip, Duration: time.Since(start)}
	text := string(out.Bytes())
	m := failedRE.FindStringSubmatch(text)
	r.Output = failedRE.ReplaceAllString(text, "")
	switch {
	case ctx.Err() != nil:
		r.Err = fmt.Errorf("%s: stopped: %w", snip, context.Cause(ctx))
	case m != nil:
		n, _ := strconv.Atoi(m[1])
		code, _ := strconv.Atoi(m[2])
		line, command := snip.commandAt(n)
		r.Err = &ExitError{File: snip.File, Line: line, Command: strings.TrimSpace(strings.TrimSuffix(command, "\\")), Code: code, Output: r.Output}
	case waitErr != nil:
		r.Err = fmt.Errorf("%s: the shell failed: %w\n%s", snip, waitErr, lastLines(r.Output, 10))
	}
	return r
}

// prepare makes the snips' TMPDIR, which a snip may have removed.
func (s *Shell) prepare() error {
	return os.MkdirAll(filepath.Join(s.home, "tmp"), 0o700)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
