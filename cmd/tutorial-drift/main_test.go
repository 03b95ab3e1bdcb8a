package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

var findingRE = regexp.MustCompile(`^\d+: .+ — .+$`)

func TestStaleDocumentExitsOneWithFindings(t *testing.T) {
	code, out, errOut := runCmd("--doc", "../../drift/testdata/stale-tutorial.md")
	if code != 1 {
		t.Fatalf("exit %d, want 1 for drift; stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 10 {
		t.Errorf("want the stale test document's defects on stdout, got %d lines:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !findingRE.MatchString(l) {
			t.Errorf("stdout line %q is not `LINE: problem — what is true instead`", l)
		}
	}
	// Notes go to stderr, so stdout holds only findings.
	if !strings.Contains(errOut, "not checked:") || !strings.Contains(errOut, "stale facts") {
		t.Errorf("stderr should carry the notes and the summary:\n%s", errOut)
	}
}

func TestTutorialExitsZero(t *testing.T) {
	for _, doc := range []string{"../../docs/pod-security.md", "../../docs/pod-security.zh.md"} {
		code, out, errOut := runCmd("--doc", doc)
		if code != 0 || out != "" {
			t.Errorf("%s: exit %d, stdout %q; the tutorial must have no drift (stderr: %s)", doc, code, out, errOut)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "usage: tutorial-drift --doc FILE.md"},
		{[]string{"--doc", "no-such-file.md"}, "no-such-file.md"},
		{[]string{"--doc", "../../docs/pod-security.md", "--kuberay", "/no/such/checkout"}, "pass a KubeRay checkout"},
		{[]string{"--doc", "a.md", "extra"}, "usage:"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	} {
		code, _, errOut := runCmd(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
