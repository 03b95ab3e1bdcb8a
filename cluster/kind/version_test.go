package kind

import (
	"os/exec"
	"strings"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/defaults"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/cluster/clustertest"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The version the go command selects for the build (minimum version
// selection may pick a newer one than go.mod's own require line, if another
// dependency asks for it); versions_test checks the require line itself.
func TestBuildSelectsTheKindLibraryPin(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to ask which kind library the build selects")
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goCmd, "list", "-m", "-f", "{{.Version}} {{with .Replace}}replaced by {{.Path}} {{.Version}}{{end}}", "sigs.k8s.io/kind")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -m sigs.k8s.io/kind: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != versions.KindLibrary {
		t.Errorf("the build selects sigs.k8s.io/kind %q, pinned %s", got, versions.KindLibrary)
	}
}

// The newest pinned image is the one the pinned library creates by default,
// so the pin moves only together with the library.
func TestNewestPinIsTheLibrarysDefaultImage(t *testing.T) {
	newest := versions.KindNodeImages[len(versions.KindNodeImages)-1]
	if newest != defaults.Image {
		t.Errorf("newest pinned node image %s; kind %s's default is %s", newest, versions.KindLibrary, defaults.Image)
	}
}

func TestProviderAnswers(t *testing.T) {
	var p cluster.Provider = newCluster(t)
	if ok, reason := p.Containers(); !ok || reason != "" {
		t.Errorf("Containers() = %v, %q; kind nodes run real containers", ok, reason)
	}
	if p.DefaultChart() != "repo" {
		t.Errorf("DefaultChart() = %q; the kind tier installs KubeRay's published chart", p.DefaultChart())
	}
	stop, err := p.RunOperator(t.Context(), "pod-security", "kuberay-operator")
	if err != nil || stop == nil {
		t.Errorf("RunOperator = %v; the chart's own pod runs the operator", err)
	}
	if _, err := p.GenerateKubeconfig(); err == nil {
		t.Error("GenerateKubeconfig before Create returned a path")
	}
	if err := p.WaitForControlPlane(t.Context(), nil); err == nil {
		t.Error("WaitForControlPlane before Create succeeded")
	}
	p.WithName("named")
	if got := p.GetKubectlContext(); got != "kind-named" {
		t.Errorf("GetKubectlContext() = %q, want kind's context name kind-named", got)
	}
	if img := newCluster(t).NodeImage(); !strings.HasPrefix(img.String(), "kindest/node:"+versions.DefaultKubernetes+"@") {
		t.Errorf("default node image %s is not the tutorial's Kubernetes", img)
	}
}

// newCluster is New for options a test expects to be good.
func newCluster(t *testing.T, opts ...Option) *Cluster { return clustertest.New(t, New, opts...) }
