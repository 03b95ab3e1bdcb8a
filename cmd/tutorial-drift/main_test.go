package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	return runWith("", args...)
}

func runWith(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
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
		{nil, "tutorial-drift: no document given: pass --doc FILE.md, or --doc - to read it from standard input"},
		{[]string{"--doc", "a.md", "--doc", "b.md"}, "invalid value \"b.md\" for flag -doc: given twice (a.md, then b.md): check one document per run"},
		{[]string{"--doc", "no-such-file.md"}, "tutorial-drift: no-such-file.md: no such file: check the path, or pass --doc - to read the document from standard input"},
		{[]string{"--doc", "../../docs/pod-security.md", "--kuberay", "/no/such/checkout"}, "pass a KubeRay checkout"},
		{[]string{"--doc", "a.md", "extra"}, `unexpected argument "extra": the document is given with --doc FILE.md`},
		{[]string{"--bogus"}, "flag provided but not defined"},
	} {
		code, _, errOut := runCmd(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// Inputs that hold no tutorial exit 2 with one line saying what they are and
// what to give instead, and never "no drift found".
func TestBadInputsExitTwo(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		doc, stdin, want string
	}{
		{write("empty.md", nil), "", "is empty"},
		{write("blank.md", []byte("\n  \n")), "", "is empty"},
		{write("tutorial.pdf", []byte("%PDF-1.7\n\x00\x01")), "", "is binary"},
		{write("rendered.txt", []byte("Step 1: create the cluster\nkind create cluster\n")), "", "has no fenced command block"},
		{"https://docs.ray.io/en/latest/cluster/kubernetes/user-guides/pod-security.html", "", "a URL is not fetched"},
		{dir, "", "is a directory"},
		{"-", "", "(standard input): is empty"},
	} {
		code, out, errOut := runWith(c.stdin, "--doc", c.doc)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || strings.Contains(errOut, "no drift") {
			t.Errorf("--doc %s: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.doc, code, out, errOut, c.want)
		}
	}
}

// --doc - reads the document from standard input, like a file.
func TestStdin(t *testing.T) {
	data, err := os.ReadFile("../../drift/testdata/stale-tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := runWith(string(data), "--doc", "-")
	fileCode, fileOut, _ := runCmd("--doc", "../../drift/testdata/stale-tutorial.md")
	if code != 1 || out != fileOut || fileCode != 1 {
		t.Errorf("stdin: exit %d, %d lines; the file: exit %d, %d lines", code, strings.Count(out, "\n"), fileCode, strings.Count(fileOut, "\n"))
	}
}

// A pin that differs from this project's, but names a published release, is
// a note: it does not make the document stale.
func TestDifferingPinsAreNotesNotDrift(t *testing.T) {
	doc := "```sh\nhelm install kuberay-operator kuberay/kuberay-operator --version 1.5.1 --namespace pod-security\n```\n\n```yaml\nimage: rayproject/ray:2.9.0\n```\n"
	code, out, errOut := runWith(doc, "--doc", "-")
	if code != 0 || out != "" || !strings.Contains(errOut, "2: note: chart version 1.5.1 differs") || !strings.Contains(errOut, "no drift found; 2 pins name releases other than this project's") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	// Fires: a chart with no version at all is drift.
	code, out, _ = runWith(strings.Replace(doc, "--version 1.5.1 ", "", 1), "--doc", "-")
	if code != 1 || !strings.Contains(out, "installs the newest chart") {
		t.Errorf("no --version: exit %d, stdout %q", code, out)
	}
}
