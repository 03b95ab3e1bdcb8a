package local

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/cluster/clustertest"
	"github.com/kuberay-docs/pod-security-e2e/internal/files"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
)

func TestPKI(t *testing.T) {
	p, err := newPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(p.caCertPEM) {
		t.Fatal("CA is not PEM")
	}
	serving := readCert(t, p.ServingCert)
	if _, err := serving.Verify(x509.VerifyOptions{Roots: roots, DNSName: "kubernetes.default.svc", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("serving certificate for kubernetes.default.svc: %v", err)
	}
	if err := serving.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("serving certificate must name 127.0.0.1: %v", err)
	}
	admin := readCert(t, p.AdminCert)
	if _, err := admin.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin client certificate: %v", err)
	}
	if len(admin.Subject.Organization) != 1 || admin.Subject.Organization[0] != "system:masters" {
		t.Errorf("admin must be in system:masters, is in %v", admin.Subject.Organization)
	}
	for _, f := range []string{p.CAKey, p.ServingKey, p.AdminKey, p.ServiceAccountKey} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v: keys must be private to the user", filepath.Base(f), fi.Mode().Perm())
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCreateRefusesBadInputBeforeStartingAnything(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cases := []struct {
		name string
		opt  Option
		// builder is the same mistake made through e2e-framework's builder
		// methods, where there is one.
		builder func(*Cluster)
		want    string
	}{
		{"missing audit policy", WithAuditPolicy(filepath.Join(tmp, "nope.yaml")), nil, "the local tier passes the repository's audit-policy.yaml"},
		{"unpinned version", WithVersion("1.19"), func(c *Cluster) { c.WithVersion("1.19") }, `Kubernetes version "1.19" is not pinned`},
		{"prebuilt binaries missing", WithPath(tmp), func(c *Cluster) { c.WithPath(tmp) }, "names a directory holding all six binaries"},
		{"no start timeout", WithStartTimeout(0), nil, "E2E_LOCAL_START_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// As an option, New refuses it.
			if _, err := New(tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: got %v, want an error containing %q", err, tc.want)
			}
			if tc.builder == nil {
				return
			}
			// Through the builder methods, Create refuses it before
			// anything starts.
			c := newCluster(t)
			tc.builder(c)
			_, err := c.Create(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Create: got %v, want an error containing %q", err, tc.want)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, runDirPrefix+"*")); len(left) != 0 {
				t.Errorf("left %v behind", left)
			}
		})
	}
	if c, err := New(WithVersion("1.29"), WithStartTimeout(time.Second), WithName("other")); err != nil || c.Name() != "other" {
		t.Errorf("good options: %v, %v", c, err)
	}
	if c := newCluster(t, WithName("")); c.Name() != "kuberay-e2e" {
		t.Errorf("an empty name gave %q, not the default", c.Name())
	}
}

// newCluster is New for options a test expects to be good.
func newCluster(t *testing.T, opts ...Option) *Cluster { return clustertest.New(t, New, opts...) }

func TestCapabilities(t *testing.T) {
	c := newCluster(t)
	if ok, reason := c.Containers(); ok || !strings.Contains(reason, "KWOK") {
		t.Errorf("Containers() = %v, %q", ok, reason)
	}
	if _, err := c.AuditLog(context.Background()); !errors.Is(err, cluster.ErrNoAuditLog) {
		t.Errorf("AuditLog before Create: %v", err)
	}
	if c.DefaultChart() != "standin" {
		t.Error("offline tier must default to the stand-in chart")
	}
}

func TestStaleRunDirectoriesOfDeadHarnessesAreRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	mk := func(name, pid string, keep bool) string {
		d := filepath.Join(tmp, runDirPrefix+name)
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if pid != "" {
			os.WriteFile(filepath.Join(d, files.OwnerFile), []byte(pid), 0o600)
		}
		if keep {
			os.WriteFile(filepath.Join(d, "keep"), nil, 0o600)
		}
		return d
	}
	// A pid above the kernel's maximum cannot be alive.
	dead := mk("dead", "99999999", false)
	mine := mk("mine", strconv.Itoa(os.Getpid()), false)
	kept := mk("kept", "99999999", true)
	foreign := mk("foreign", "", false)
	RemoveStaleRunDirs()
	for d, wantGone := range map[string]bool{dead: true, mine: false, kept: false, foreign: false} {
		_, err := os.Stat(d)
		if gone := os.IsNotExist(err); gone != wantGone {
			t.Errorf("%s: gone=%v, want %v", filepath.Base(d), gone, wantGone)
		}
	}
}

// A component that dies at start-up (here a script that crashes as a
// truncated binary does) is named in the error with its exit, the end of its
// log, and where the whole log is, since the run directory goes with the
// failure.
func TestComponentDyingAtStartUpIsReportedWithItsLog(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want         []string
		notWant      string
	}{
		{"log with lines", `i=1; while [ $i -le 30 ]; do echo "line $i"; i=$((i+1)); done`,
			[]string{"last 20 lines of kube-apiserver's log:\n  line 11\n", "\n  line 30\n(full log: "}, "line 10\n"},
		{"empty log", ``, []string{"kube-apiserver's log is empty: it died before writing a line, which points at the binary itself, "}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, WithProgress(io.Discard))
			c.dir = t.TempDir()
			if err := os.MkdirAll(filepath.Join(c.dir, "logs"), 0o700); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.stopAll)
			bin := filepath.Join(t.TempDir(), "kube-apiserver")
			script := "#!/bin/sh\nulimit -c 0\n" + tc.script + "\nkill -SEGV $$\n"
			if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			comp := &component{name: "kube-apiserver", bin: bin, ready: func(context.Context) (bool, error) { return false, nil }}
			err := c.start(context.Background(), comp)
			if err == nil {
				t.Fatal("a component that crashed was reported started")
			}
			msg := err.Error()
			t.Logf("error:\n%s", msg)
			want := append(tc.want, "kube-apiserver exited during start-up (signal: segmentation fault")
			if tc.name == "log with lines" {
				want = append(want, "(full log: "+filepath.Join(c.dir, "logs", "kube-apiserver.log")+", removed with the run directory; E2E_KEEP=1 keeps it)")
			}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q", w)
				}
			}
			if tc.notWant != "" && strings.Contains(msg, tc.notWant) {
				t.Errorf("the error carries more than the log's last lines: %q", tc.notWant)
			}
		})
	}
}

// The build deadline reaches the builds: past it, nothing is built (the
// cache here is empty), and the error is binaries'.
func TestBuildDeadlineStopsCreateBeforeAnyBuild(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := newCluster(t, WithCacheDir(filepath.Join(tmp, "cache")), WithProgress(io.Discard), WithBuildDeadline(time.Now().Add(-time.Minute)))
	_, err := c.Create(context.Background())
	t.Logf("error:\n%v", err)
	if !errors.Is(err, binaries.ErrDeadline) || !strings.Contains(err.Error(), "not started: kubernetes ") {
		t.Fatalf("want binaries.ErrDeadline with every target not started, got %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, runDirPrefix+"*")); len(left) != 0 {
		t.Errorf("left %v behind", left)
	}
}
