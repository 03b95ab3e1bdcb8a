package kind

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests run kind's real code offline by putting a fake `docker` first on
// PATH: the test binary itself, linked under that name. kind drives Docker
// only through its command line, so everything up to the first `docker run`
// (config loading and validation, image and network checks, the arguments of
// the node container) is kind's own, and the fake records it.
//
// The fake answers as an engine that has the node image and the clusters
// fakeClustersEnv names, removes containers, and refuses `docker run` with
// fakeRunRefused.
const (
	fakeLogEnv      = "KUBERAY_E2E_FAKE_DOCKER_LOG"
	fakeClustersEnv = "KUBERAY_E2E_FAKE_DOCKER_CLUSTERS" // comma-separated existing clusters
	fakeNoEngineEnv = "KUBERAY_E2E_FAKE_DOCKER_NO_ENGINE"
	fakeImagesEnv   = "KUBERAY_E2E_FAKE_DOCKER_IMAGES" // comma-separated images `image inspect` finds
	fakeCgroupEnv   = "KUBERAY_E2E_FAKE_DOCKER_CGROUP" // the host's cgroup version (default 2)
	fakeRunRefused  = "fake docker: no container can run in this test"
	noDaemon        = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
)

func TestMain(m *testing.M) {
	if log := os.Getenv(fakeLogEnv); log != "" && filepath.Base(os.Args[0]) == "docker" {
		os.Exit(fakeDocker(log, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeDocker(log string, args []string) int {
	if f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		line, _ := json.Marshal(args)
		fmt.Fprintf(f, "%s\n", line)
		f.Close()
	}
	if len(args) == 0 {
		return 1
	}
	clusters := strings.Split(os.Getenv(fakeClustersEnv), ",")
	clusters = slices.DeleteFunc(clusters, func(s string) bool { return s == "" })
	joined := strings.Join(args, " ")
	switch args[0] {
	case "-v":
		fmt.Println("Docker version 99.0.0-fake, build test")
		return 0
	case "info":
		if os.Getenv(fakeNoEngineEnv) != "" {
			fmt.Println()
			fmt.Fprintln(os.Stderr, noDaemon)
			return 1
		}
		switch joined {
		case "info --format {{.ServerVersion}} {{.CgroupVersion}}":
			fmt.Println("99.0.0-fake " + cmp.Or(os.Getenv(fakeCgroupEnv), "2"))
		case "info --format {{json .}}":
			fmt.Println("{}")
		case "info":
			fmt.Println("Server Version: 99.0.0-fake")
		default:
			return 1
		}
		return 0
	case "ps":
		// ListClusters formats the cluster label, ListNodes the names of
		// one cluster's nodes.
		for _, c := range clusters {
			switch {
			case strings.Contains(joined, "--format {{.Names}}"):
				if strings.Contains(joined, "io.x-k8s.kind.cluster="+c+" ") {
					fmt.Println(c + "-control-plane")
				}
			default:
				fmt.Println(c)
			}
		}
		return 0
	case "inspect":
		if len(args) > 1 && args[1] == "--type=image" {
			return 0
		}
	case "image":
		if len(args) == 3 && args[1] == "inspect" {
			if slices.Contains(strings.Split(os.Getenv(fakeImagesEnv), ","), args[2]) {
				fmt.Println("[{}]")
				return 0
			}
			fmt.Fprintf(os.Stderr, "Error: No such image: %s\n", args[2])
			return 1
		}
	case "network":
		if len(args) > 1 && args[1] == "ls" {
			fmt.Println("fakenetwork0")
			return 0
		}
	case "rm":
		return 0
	case "run":
		fmt.Fprintln(os.Stderr, fakeRunRefused)
		return 125
	}
	fmt.Fprintf(os.Stderr, "fake docker: unexpected command: docker %s\n", joined)
	return 1
}

// fakeDockerCalls puts the fake first on PATH (alone: no podman either) and
// returns a function that reads the calls it recorded.
func useFakeDocker(t *testing.T) func() [][]string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "docker")); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "calls.jsonl")
	// Run directories (and the sweep of orphaned ones) stay inside the test.
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("PATH", bin)
	t.Setenv(fakeLogEnv, log)
	t.Setenv(fakeClustersEnv, "")
	t.Setenv(fakeNoEngineEnv, "")
	t.Setenv(fakeImagesEnv, "")
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "KIND_EXPERIMENTAL_DOCKER_NETWORK"} {
		t.Setenv(v, "")
	}
	return func() [][]string {
		data, err := os.ReadFile(log)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var calls [][]string
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var args []string
			if err := json.Unmarshal([]byte(line), &args); err != nil {
				t.Fatalf("fake docker log line %q: %v", line, err)
			}
			calls = append(calls, args)
		}
		return calls
	}
}

// callsOf returns the recorded calls whose first argument is verb.
func callsOf(calls [][]string, verb string) [][]string {
	var out [][]string
	for _, c := range calls {
		if len(c) > 0 && c[0] == verb {
			out = append(out, c)
		}
	}
	return out
}
