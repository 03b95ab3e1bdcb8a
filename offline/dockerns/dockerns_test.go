package dockerns

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/offline/ocicaps"
)

// TestPrivateDaemon starts a real private daemon in a new network
// namespace, runs an image built here (a static Go binary imported from a
// tarball: no registry), a privileged container, and checks that Stop
// leaves nothing behind.
func TestPrivateDaemon(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates a network namespace")
	}
	if err := Check(); err != nil {
		t.Skipf("no private daemon possible here: %v", err)
	}
	if testing.Short() {
		t.Skip("-short: starts a real dockerd")
	}
	tmp := t.TempDir()
	runc, _ := exec.LookPath("runc")
	gobuild(t, filepath.Join(tmp, "oci-capdrop"), "-ldflags", "-X main.runtime="+runc, "../../cmd/oci-capdrop")
	gobuild(t, filepath.Join(tmp, "probe"), "./testdata/probe")

	suffix := randHex(3)
	cfg := Config{Name: "kre2e-test-" + suffix, Dir: "/tmp/kre2e-test-" + suffix, CapDrop: filepath.Join(tmp, "oci-capdrop")}
	t0 := time.Now()
	d, err := Start(context.Background(), cfg)
	t.Cleanup(func() {
		t1 := time.Now()
		if err := Stop(cfg); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if left := Leftovers(cfg); len(left) > 0 {
			t.Errorf("left behind after Stop: %v", left)
		}
		t.Logf("stop: %s", time.Since(t1).Round(time.Millisecond))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("start: %s (runtime %s, drops %v)", time.Since(t0).Round(time.Millisecond), d.Runtime, d.Dropped)
	missing, _ := ocicaps.MissingHere()
	if (len(missing) > 0) != (d.Runtime == "capdrop") {
		t.Errorf("runtime %s on a kernel missing %v: the wrapper must be used exactly when a capability is missing", d.Runtime, missing)
	}

	// The image: one static binary, imported from a tarball made here.
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	bin, err := os.ReadFile(filepath.Join(tmp, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	_ = tw.WriteHeader(&tar.Header{Name: "probe", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg})
	_, _ = tw.Write(bin)
	_ = tw.Close()
	t1 := time.Now()
	docker(t, cfg, &tarball, "import", "-", "kuberay-e2e/probe:test")
	t.Logf("import: %s", time.Since(t1).Round(time.Millisecond))

	t1 = time.Now()
	out := docker(t, cfg, nil, "run", "--rm", "kuberay-e2e/probe:test", "/probe")
	t.Logf("docker run: %s\n%s", time.Since(t1).Round(time.Millisecond), out)
	if !strings.Contains(out, "probe: ok") || !strings.Contains(out, "uid=0") {
		t.Errorf("probe output: %s", out)
	}
	// The container's address is on the daemon's bridge, which exists only
	// inside the namespace.
	bridge, err := exec.Command("ip", "-n", cfg.Name, "-4", "-o", "addr", "show", "docker0").Output()
	if err != nil {
		t.Fatalf("docker0 in namespace %s: %v", cfg.Name, err)
	}
	t.Logf("bridge in the namespace: %s", bytes.TrimSpace(bridge))
	links, _ := exec.Command("ip", "-n", cfg.Name, "-o", "link").Output()
	for _, l := range strings.Split(strings.TrimSpace(string(links)), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name := strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0]
		if name != "lo" && name != "docker0" && !strings.HasPrefix(name, "veth") {
			t.Errorf("unexpected interface %q in the namespace: only loopback and the daemon's bridge belong there", name)
		}
	}

	t1 = time.Now()
	out = docker(t, cfg, nil, "run", "--rm", "--privileged", "kuberay-e2e/probe:test", "/probe")
	t.Logf("docker run --privileged: %s\n%s", time.Since(t1).Round(time.Millisecond), out)
	eff := field(out, "CapEff")
	mask, err := strconv.ParseUint(eff, 16, 64)
	if err != nil {
		t.Fatalf("CapEff %q: %v", eff, err)
	}
	if mask&(1<<21) == 0 { // CAP_SYS_ADMIN: only a privileged container has it
		t.Errorf("privileged container lacks CAP_SYS_ADMIN: CapEff=%s", eff)
	}
	if len(missing) > 0 && mask&(1<<24) != 0 {
		t.Errorf("CAP_SYS_RESOURCE should have been dropped: CapEff=%s", eff)
	}
}

func field(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			return v
		}
	}
	return ""
}

func gobuild(t *testing.T, out string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, b)
	}
}

func docker(t *testing.T, cfg Config, stdin *bytes.Buffer, args ...string) string {
	t.Helper()
	cmd := cfg.Command(append([]string{"docker"}, args...)...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
