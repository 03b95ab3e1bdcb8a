package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

// scripts/ci-offline-kind, as .ci/run calls it, with id and make stood in
// for: as a user that is not root it fails unless CI_SKIP_OFFLINE_KIND=1
// asks to skip, and then says it skipped; as root it runs both cells.
func TestCIOfflineKindGate(t *testing.T) {
	script, err := repo.Path("scripts/ci-offline-kind")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, uid, skip string
		code            int
		stderr, makes   string
	}{
		{"not root", "1000", "", 1, "the offline kind cells need root", ""},
		{"not root, asked to skip", "1000", "1", 0, "SKIPPED: the offline kind cells need root, and CI_SKIP_OFFLINE_KIND=1 asked to skip them", ""},
		{"root", "0", "", 0, "both offline kind cells ran", "e2e-kind-offline containers,audit \ne2e-kind-offline containers,audit 1.37\n"},
		// Root runs the cells whatever the setting says.
		{"root, asked to skip", "0", "1", 0, "both offline kind cells ran", "e2e-kind-offline containers,audit \ne2e-kind-offline containers,audit 1.37\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := t.TempDir()
			log := filepath.Join(t.TempDir(), "make.log")
			write := func(name, body string) {
				if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write("id", "echo "+c.uid+"\n")
			write("make", `echo "$1 $E2E_REQUIRE $E2E_KUBERNETES_VERSION" >> `+log+"\n")
			cmd := exec.Command(script)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CI_SKIP_OFFLINE_KIND="+c.skip)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			makes, _ := os.ReadFile(log)
			if code != c.code || !strings.Contains(stderr.String(), c.stderr) || string(makes) != c.makes {
				t.Errorf("exit %d (want %d), stderr %q (want %q), make ran %q (want %q)", code, c.code, stderr.String(), c.stderr, makes, c.makes)
			}
		})
	}
}
