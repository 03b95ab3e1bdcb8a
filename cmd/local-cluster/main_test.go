package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The run with a live cluster is in selftest (TestLocalCluster…), which
// starts the compiled command as a user would.

func TestBadInputIsOneLineAndExitStatus2(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-kubernetes", "1.19"}, "local-cluster: -kubernetes: Kubernetes version \"1.19\" is not pinned; choose one of " + strings.Join(versions.SupportedKubernetes(), ", ") + " ("},
		{[]string{"-kuberay", "v1.7.0"}, "local-cluster: -kuberay: KubeRay version \"v1.7.0\" is not pinned; choose one of " + strings.Join(versions.SupportedKubeRay(), ", ") + " ("},
		{[]string{"-nope"}, "local-cluster: flag provided but not defined: -nope"},
		{[]string{"-env-file"}, "local-cluster: flag needs an argument: -env-file"},
		{[]string{"now"}, `local-cluster: unexpected argument "now"`},
		{[]string{"-env-file", "/no/such/dir/lc.env"}, "local-cluster: -env-file /no/such/dir/lc.env: its directory /no/such/dir does not exist"},
		{[]string{"-env-file", tmp}, "local-cluster: -env-file " + tmp + " is a directory"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, tc.want) || !strings.Contains(msg, usage) {
				t.Errorf("stderr %q: want one line starting %q and giving the usage", msg, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q: nothing to export on bad input", stdout.String())
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
				t.Errorf("bad input left %v", left)
			}
		})
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("-h: exit status %d", code)
	}
	for _, want := range []string{usage, "-env-file", "-kubernetes"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-h output %q lacks %q", stdout.String(), want)
		}
	}
}

func TestExportLinesAreShellThatSourcesBack(t *testing.T) {
	odd := "/tmp/it's a dir/kubeconfig"
	lines := exportLines(map[string]string{"KUBECONFIG": "/tmp/kuberay-e2e-local-123/kubeconfig", "E2E_AUDIT_LOG": odd}, "KUBECONFIG", "E2E_AUDIT_LOG")
	want := "export KUBECONFIG=/tmp/kuberay-e2e-local-123/kubeconfig\nexport E2E_AUDIT_LOG='/tmp/it'\\''s a dir/kubeconfig'\n"
	if lines != want {
		t.Fatalf("got\n%s\nwant\n%s", lines, want)
	}
	path := filepath.Join(t.TempDir(), "lc.env")
	if err := writeAtomic(path, lines); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", `. "$1" && printf '%s\n%s' "$KUBECONFIG" "$E2E_AUDIT_LOG"`, "sh", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); got != "/tmp/kuberay-e2e-local-123/kubeconfig\n"+odd {
		t.Errorf("sourced back as %q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Errorf("writeAtomic left %v", left)
	}
}
