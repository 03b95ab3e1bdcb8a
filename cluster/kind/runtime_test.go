package kind

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func requireAll(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// A Docker CLI whose engine does not run (this project's CI machine): kind's
// DetectNodeProvider would pick Docker, since `docker -v` answers.
func TestDockerCLIWithoutEngine(t *testing.T) {
	calls := useFakeDocker(t)
	t.Setenv(fakeNoEngineEnv, "1")
	_, err := DetectEngine(context.Background())
	if !errors.Is(err, ErrNoEngine) {
		t.Fatalf("DetectEngine: %v; want ErrNoEngine", err)
	}
	requireAll(t, err, "docker: the command is installed but its engine does not answer", noDaemon, "podman: not installed", "E2E_PROVIDER=local")
	if got := calls(); len(got) != 1 {
		t.Errorf("want one probe of the engine, got %q", got)
	}
}

func TestNoEngineCommandAtAll(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	_, err := DetectEngine(context.Background())
	if !errors.Is(err, ErrNoEngine) {
		t.Fatalf("DetectEngine: %v; want ErrNoEngine", err)
	}
	requireAll(t, err, "docker: not installed", "podman: not installed", "Start Docker (or Podman)", "E2E_PROVIDER=local")
}

// The real Docker CLI, when the machine has one, pointed at a socket where
// no engine listens.
func TestRealDockerCLIWithUnreachableEngine(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker command on this machine; TestDockerCLIWithoutEngine covers the case with a fake one")
	}
	bin := t.TempDir()
	if err := os.Symlink(docker, filepath.Join(bin, "docker")); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(t.TempDir(), "no-engine.sock")
	t.Setenv("PATH", bin)
	t.Setenv("DOCKER_HOST", "unix://"+socket)
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	_, err = DetectEngine(context.Background())
	if !errors.Is(err, ErrNoEngine) {
		t.Fatalf("DetectEngine: %v; want ErrNoEngine", err)
	}
	requireAll(t, err, socket, "docker: the command is installed but its engine does not answer", "E2E_PROVIDER=local")
}

func TestDetectEngine(t *testing.T) {
	useFakeDocker(t)
	e, err := DetectEngine(context.Background())
	if err != nil || e.Name != "docker" || e.Version != "99.0.0-fake" {
		t.Errorf("DetectEngine = %+v, %v", e, err)
	}
}

func TestKindExperimentalProvider(t *testing.T) {
	useFakeDocker(t)
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "podman")
	_, err := DetectEngine(context.Background())
	requireAll(t, err, "podman: not installed")
	if strings.Contains(err.Error(), "docker:") {
		t.Errorf("docker was tried although KIND_EXPERIMENTAL_PROVIDER=podman: %v", err)
	}
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "nerdctl")
	_, err = DetectEngine(context.Background())
	requireAll(t, err, "KIND_EXPERIMENTAL_PROVIDER=nerdctl", "docker or podman")
}

// Without an engine, Create stops before it makes or asks for anything.
func TestCreateWithoutEngineFailsAtOnce(t *testing.T) {
	calls := useFakeDocker(t)
	t.Setenv(fakeNoEngineEnv, "1")
	c := newCluster(t, WithProgress(&bytes.Buffer{}))
	_, err := c.Create(context.Background())
	if !errors.Is(err, ErrNoEngine) {
		t.Fatalf("Create: %v; want ErrNoEngine", err)
	}
	got := calls()
	if len(got) != 1 || got[0][0] != "info" {
		t.Errorf("docker calls %q; want only the engine probe", got)
	}
	if c.dir != "" || c.GetKubeconfig() != "" {
		t.Errorf("Create made a directory %q or kubeconfig %q", c.dir, c.GetKubeconfig())
	}
	if err := c.Destroy(context.Background()); err != nil {
		t.Errorf("Destroy after the failed Create: %v", err)
	}
}
