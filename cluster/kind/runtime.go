package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// ErrNoEngine marks a machine where neither Docker nor Podman answers.
var ErrNoEngine = errors.New("no container engine answers")

// Engine is the container engine that runs the cluster's nodes.
type Engine struct {
	// Name is the command: docker or podman.
	Name string
	// Version is the engine's (server's) version.
	Version string
	// Cgroup is the host's cgroup version as the engine reports it: "1",
	// "2", or "" when it does not say. Kubelet 1.35 and later refuse a
	// cgroup v1 host unless told otherwise (cgroup.go).
	Cgroup string
}

func (e Engine) providerOption() kindcluster.ProviderOption {
	if e.Name == "podman" {
		return kindcluster.ProviderWithPodman()
	}
	return kindcluster.ProviderWithDocker()
}

// engineProbes are the commands that answer only when an engine runs:
// `docker -v` (all that kind's DetectNodeProvider asks) answers from the CLI
// alone, and its answer does not say which engine it picked.
// The second word is the host's cgroup version.
var engineProbes = map[string][]string{
	"docker": {"info", "--format", "{{.ServerVersion}} {{.CgroupVersion}}"},
	"podman": {"info", "--format", "{{.Version.Version}} {{.Host.CgroupsVersion}}"},
}

// DetectEngine finds a running Docker or Podman engine, in that order, or
// the one KIND_EXPERIMENTAL_PROVIDER names (as the kind command does). Its
// error wraps ErrNoEngine and says, per engine, what was wrong.
func DetectEngine(ctx context.Context) (Engine, error) {
	candidates := []string{"docker", "podman"}
	if p := strings.TrimSpace(os.Getenv("KIND_EXPERIMENTAL_PROVIDER")); p != "" {
		if _, ok := engineProbes[p]; !ok {
			return Engine{}, fmt.Errorf("KIND_EXPERIMENTAL_PROVIDER=%s: kind %s runs nodes on docker or podman; unset it or name one of them", p, versions.KindLibrary)
		}
		candidates = []string{p}
	}
	var problems []string
	for _, name := range candidates {
		if _, err := exec.LookPath(name); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not installed (no %s command on PATH)", name, name))
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		lines, err := kindexec.CombinedOutputLines(kindexec.CommandContext(ctx, name, engineProbes[name]...))
		cancel()
		out := strings.TrimSpace(strings.Join(nonEmpty(lines), "; "))
		if err == nil && out != "" {
			version, cgroup, _ := strings.Cut(out, " ")
			return Engine{Name: name, Version: version, Cgroup: strings.TrimPrefix(strings.TrimSpace(cgroup), "v")}, nil
		}
		if out == "" {
			out = fmt.Sprint(err)
		}
		problems = append(problems, fmt.Sprintf("%s: the command is installed but its engine does not answer (%s %s: %s)", name, name, strings.Join(engineProbes[name], " "), out))
	}
	return Engine{}, fmt.Errorf("%w: E2E_PROVIDER=kind runs Kubernetes nodes as containers and needs a running Docker or Podman engine.\n  %s\nStart Docker (or Podman) and run again, or run the tutorial without containers: E2E_PROVIDER=local", ErrNoEngine, strings.Join(problems, "\n  "))
}

func nonEmpty(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}
