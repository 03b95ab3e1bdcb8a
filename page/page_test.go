package page

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "page.md")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const sample = "# T\n\n<!-- step: 1 -->\n```sh\necho one\n```\n\n<!-- step: 2 -->\n```sh\necho two \\\n  three\nfalse \\\n  --flag\necho never\n```\n\n```text\nout\n```\n"

func TestReadTakesShellBlocksWithTheirSteps(t *testing.T) {
	snips, err := Read(write(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(snips) != 2 || snips[0].Step != "1" || snips[1].Step != "2" || snips[1].Line != 9 {
		t.Fatalf("snips %+v: want step 1 and step 2 (fence at line 9)", snips)
	}
	if got := Of(snips, "2"); len(got) != 1 || got[0].Script() != "echo two \\\n  three\nfalse \\\n  --flag\necho never\n" {
		t.Errorf("step 2's script: %q", got[0].Script())
	}
	if got := Of(snips, "9"); got != nil {
		t.Errorf("a step the page lacks: %v", got)
	}
}

func TestReadRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"no marker": {"```sh\necho x\n```\n", "page.md:1: this shell block has no step marker; put <!-- step: N -->"},
		"console":   {"<!-- step: 1 -->\n```console\n$ echo x\nx\n```\n", "mixes commands and output"},
	} {
		if _, err := Read(write(t, tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.md")); err == nil || !strings.Contains(err.Error(), "name a Markdown file") {
		t.Errorf("a missing page: %v", err)
	}
}

func shell(t *testing.T, opts ...Option) *Shell {
	t.Helper()
	s, err := NewShell(t.TempDir(), append([]Option{WithDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunStopsAtTheFailingCommandAndNamesItsLine(t *testing.T) {
	snips, err := Read(write(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	s := shell(t)
	r := s.Run(context.Background(), snips[0])
	if r.Err != nil || r.Output != "one\n" {
		t.Errorf("step 1: %q, %v", r.Output, r.Err)
	}
	r = s.Run(context.Background(), snips[1])
	var exit *ExitError
	if !errors.As(r.Err, &exit) {
		t.Fatalf("step 2: %v, want an ExitError", r.Err)
	}
	// false starts on page line 12 and goes on to 13.
	if exit.Line != 12 || exit.Command != "false" || exit.Code != 1 || !strings.Contains(r.Err.Error(), "page.md:12: `false` exited 1") {
		t.Errorf("failure %+v (%v): want line 12, command false, code 1", exit, r.Err)
	}
	if strings.Contains(r.Output, "never") || strings.Contains(r.Output, "page-snip-failed") || r.Output != "two three\n" {
		t.Errorf("output %q: want what ran before the failure, without the trap's line", r.Output)
	}
}

func TestAPipelineFailsWhenAnyPartFails(t *testing.T) {
	s := shell(t)
	r := s.Run(context.Background(), Snip{File: "p.md", Line: 3, Lines: linesOf(4, "echo x | grep y | cat")})
	var exit *ExitError
	if !errors.As(r.Err, &exit) || exit.Line != 4 {
		t.Errorf("a pipeline whose grep finds nothing: %v, want a failure at line 4", r.Err)
	}
}

func TestTheEnvironmentIsTheRunsOwn(t *testing.T) {
	t.Setenv("KUBECONFIG", "/home/user/.kube/config")
	t.Setenv("HELM_REPOSITORY_CONFIG", "/home/user/.config/helm/repositories.yaml")
	s := shell(t, WithEnv("EXTRA=1"))
	r := s.Run(context.Background(), Snip{File: "p.md", Lines: linesOf(1, `echo "$KUBECONFIG|$HELM_REPOSITORY_CONFIG|$EXTRA|$HOME"`, "kind version")})
	var exit *ExitError
	if !errors.As(r.Err, &exit) || exit.Code != 127 || !strings.Contains(r.Output, "kind is not provided to this run") {
		t.Errorf("kind not given: %v %q, want the stub's refusal", r.Err, r.Output)
	}
	first, _, _ := strings.Cut(r.Output, "\n")
	parts := strings.Split(first, "|")
	if len(parts) != 4 || strings.Contains(parts[0], "/home/user") || parts[1] != "" || parts[2] != "1" || !strings.HasPrefix(parts[3], s.home) {
		t.Errorf("environment %q: the user's kubeconfig and Helm settings must not reach the snip; HOME must be the run's", first)
	}
}

// A program a block installs (kind, by go install) is found before the stub
// of a tool the run did not give; before the install, the stub refuses.
func TestAnInstalledProgramComesBeforeItsStub(t *testing.T) {
	gobin := filepath.Join(t.TempDir(), "go", "bin")
	s := shell(t, WithInstallDir(gobin))
	r := s.Run(context.Background(), Snip{File: "p.md", Lines: linesOf(1, "kind version")})
	if !strings.Contains(r.Output, "kind is not provided to this run") {
		t.Errorf("before the install: %v %q, want the stub's refusal", r.Err, r.Output)
	}
	kind := filepath.Join(gobin, "kind")
	install := `printf '#!/bin/sh\necho kind v0.0.0-test\n' > ` + kind + ` && chmod +x ` + kind
	r = s.Run(context.Background(), Snip{File: "p.md", Lines: linesOf(1, install, "kind version")})
	if r.Err != nil || strings.TrimSpace(r.Output) != "kind v0.0.0-test" {
		t.Errorf("after the install: %v %q, want the installed kind", r.Err, r.Output)
	}
}

func TestInRunsInAnotherDirectory(t *testing.T) {
	s := shell(t)
	other := t.TempDir()
	r := s.In(other).Run(context.Background(), Snip{File: "p.md", Lines: linesOf(1, "pwd")})
	if r.Err != nil || strings.TrimSpace(r.Output) != other {
		t.Errorf("In(%s): %v %q", other, r.Err, r.Output)
	}
	if r := s.Run(context.Background(), Snip{File: "p.md", Lines: linesOf(1, "pwd")}); strings.TrimSpace(r.Output) == other {
		t.Errorf("In changed the shell it was called on")
	}
}

func TestNewShellRefusesBadOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		opt  Option
		want string
	}{
		"tool":       {WithTool("python3", "/bin/sh"), "not one of the reader's tools"},
		"not built":  {WithTool("helm", filepath.Join(t.TempDir(), "helm")), "build it first"},
		"kubeconfig": {WithKubeconfig(filepath.Join(t.TempDir(), "kc")), "kubeconfig"},
		"env":        {WithEnv("NOVALUE"), "is not NAME=value"},
		"dir":        {WithDir(filepath.Join(t.TempDir(), "none")), "is not a directory"},
		"install":    {WithInstallDir("go/bin"), "is not absolute"},
	} {
		if _, err := NewShell(t.TempDir(), WithDir(t.TempDir()), tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if _, err := NewShell(t.TempDir()); err == nil {
		t.Error("a shell without a directory must be refused")
	}
}

func TestTheTutorialPageReads(t *testing.T) {
	p, err := repo.Path("docs/pod-security.md")
	if err != nil {
		t.Fatal(err)
	}
	snips, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	step4 := Of(snips, "4")
	if len(step4) != 1 {
		t.Fatalf("step 4 has %d shell blocks, want the one that installs the operator", len(step4))
	}
	var programs []string
	for _, c := range step4[0].Commands {
		programs = append(programs, c.Program+" "+c.Args[0])
	}
	if got := strings.Join(programs, ", "); got != "helm repo, helm repo, helm install, kubectl wait" {
		t.Errorf("step 4 runs %s", got)
	}
}

func linesOf(first int, texts ...string) (lines []lineT) {
	for i, t := range texts {
		lines = append(lines, lineT{N: first + i, Text: t})
	}
	return lines
}

type lineT = markdown.Line

func TestGoHosts(t *testing.T) {
	for _, tc := range []struct {
		goproxy, gosumdb string
		want             []string
	}{
		{"https://proxy.golang.org,direct", "sum.golang.org", []string{"proxy.golang.org", "sum.golang.org"}},
		{"https://a.example.org|https://b.example.org:8443/go", "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://sum.example.org", []string{"a.example.org", "b.example.org", "sum.golang.org", "sum.example.org"}},
		{"off", "off", nil},
		{"direct", "", nil},
	} {
		if got := GoHosts(tc.goproxy, tc.gosumdb); !slices.Equal(got, tc.want) {
			t.Errorf("GoHosts(%q, %q) = %q, want %q", tc.goproxy, tc.gosumdb, got, tc.want)
		}
	}
}
