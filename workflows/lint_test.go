package workflows

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

// linter is actionlint with its default options. Those leave Shellcheck and
// Pyflakes empty, which runs neither: neither binary is on this project's
// machines, and a check that depends on them would pass or fail with the
// machine. Every other rule runs: syntax, expressions and their contexts
// (matrix, env, needs), job dependencies, the inputs of popular actions,
// cron, runner labels.
func linter(t *testing.T) *actionlint.Linter {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func findings(errs []*actionlint.Error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n" + e.Error())
	}
	return b.String()
}

// asReleases is a workflow with each action pinned by SHA named by the
// major of the release its comment gives (`@<sha> # v8.0.1` becomes `@v8`):
// actionlint knows the inputs of popular actions by major, never by SHA, so
// it checks them only this way. Lines without a release comment stay.
func asReleases(src string) string {
	return usesRE.ReplaceAllStringFunc(src, func(line string) string {
		m := usesRE.FindStringSubmatch(line)
		major, _, _ := strings.Cut(m[3], ".")
		if !strings.HasPrefix(major, "v") {
			return line
		}
		return strings.Replace(line, "@"+m[2], "@"+major, 1)
	})
}

func lint(t *testing.T, path, src string) []*actionlint.Error {
	t.Helper()
	errs, err := linter(t).Lint(path, []byte(asReleases(src)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// Every workflow of the repository passes actionlint, with nothing ignored.
func TestWorkflowsPassActionlint(t *testing.T) {
	dir, err := repo.Path(".github/workflows")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflow in %s (%v): nothing would be linted", dir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if errs := lint(t, f, string(data)); len(errs) > 0 {
			t.Errorf("actionlint: %d findings in %s:%s", len(errs), f, findings(errs))
		}
	}
}

// The linter fires on what a hand-written check would miss, in the nightly
// itself: each case breaks the real file in one place, and actionlint names
// that place. The real file stays quiet.
func TestActionlintFiresOnABrokenNightly(t *testing.T) {
	raw := nightly(t)
	for _, c := range []struct {
		name, old, new, kind, want string
	}{
		{"quiet on the real file", "", "", "", ""},
		{"unknown key", "    runs-on: ubuntu-24.04\n    timeout-minutes: 90\n", "    runs-on: ubuntu-24.04\n    timeout-minute: 90\n", "syntax-check", `unexpected key "timeout-minute"`},
		{"undefined matrix property", "E2E_RAY_VERSION: ${{ matrix.ray }}", "E2E_RAY_VERSION: ${{ matrix.rayversion }}", "expression", `property "rayversion" is not defined`},
		{"needs an unknown job", "    needs: tutorial\n", "    needs: tutorials\n", "job-needs", `job "report" needs job "tutorials" which does not exist`},
		{"bad cron", `cron: "17 3 * * *"`, `cron: "17 25 * * *"`, "events", "invalid CRON format"},
		{"unknown input of an action", "          pattern: kind-k*\n", "          patterns: kind-k*\n", "action", `input "patterns" is not defined in action "actions/download-artifact@v8"`},
		{"unknown input of an action pinned by SHA", "          if-no-files-found: warn\n", "          if-no-file-found: warn\n", "action", `input "if-no-file-found" is not defined in action "actions/upload-artifact@v7"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := broken(t, raw, c.old, c.new)
			// A path that does not exist: no project, no config file.
			errs := lint(t, filepath.Join(t.TempDir(), "nightly.yml"), src)
			if c.want == "" {
				if len(errs) > 0 {
					t.Errorf("actionlint fires on the real file:%s", findings(errs))
				}
				return
			}
			for _, e := range errs {
				if e.Kind == c.kind && strings.Contains(e.Message, c.want) {
					return
				}
			}
			t.Errorf("actionlint did not report [%s] %q; it reported:%s", c.kind, c.want, findings(errs))
		})
	}
}

// nightly is the nightly workflow as it is in the repository.
func nightly(t *testing.T) string {
	t.Helper()
	data, err := repo.ReadFile(".github/workflows/nightly.yml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// broken is src with old replaced by new once: a workflow broken in one
// place. It stops the test when src no longer has old, so that a case
// cannot pass by breaking nothing.
func broken(t *testing.T, src, old, new string) string {
	t.Helper()
	if old == "" {
		return src
	}
	if !strings.Contains(src, old) {
		t.Fatalf("the nightly no longer has %q to break", old)
	}
	return strings.Replace(src, old, new, 1)
}
