package kind

import (
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func planText(t *testing.T, c *Cluster) string {
	t.Helper()
	lines, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func TestPlanOfADefaultRun(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // a plan needs no engine
	text := planText(t, New(WithLogsDir("/runs/x/cluster")))
	cfg, _ := repo.Path("kind-config.yaml")
	policy, _ := repo.Path("audit-policy.yaml")
	for _, want := range []string{
		"E2E_PROVIDER=local",
		cfg, policy, "/var/log/kubernetes/kube-apiserver-audit.log",
		NamePrefix + "<6 hex digits>",
		versions.KindNodeImage124, "Kubernetes v1.24.17", "kind library " + versions.KindLibrary,
		"~/.kube/config is neither read nor written",
		"/runs/x/cluster",
		"delete the cluster",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "may not work") {
		t.Errorf("the pinned image is flagged as unpublished:\n%s", text)
	}
}

func TestPlanOfOtherRuns(t *testing.T) {
	custom, err := ParseNodeImage("registry.example/node:v1.30.0@sha256:" + strings.Repeat("1", 64))
	if err != nil {
		t.Fatal(err)
	}
	reuse := New(WithReuse(true), WithNodeImage(custom), WithPreload(true))
	reuse.WithName("mine")
	text := planText(t, reuse)
	for _, want := range []string{"reuse the existing Kind cluster mine", "never deleted", "may not work", versions.RayImage, "the reused cluster stays"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	keep := planText(t, New(WithKeep(true)))
	if !strings.Contains(keep, "keep the cluster") {
		t.Errorf("E2E_KEEP plan:\n%s", keep)
	}
}

func TestPlanRefusesWhatCreateWould(t *testing.T) {
	if _, err := New(WithReuse(true)).Plan(); err == nil || !strings.Contains(err.Error(), "E2E_CLUSTER_NAME") {
		t.Errorf("reuse without a name: %v", err)
	}
	dir, _ := policyDir(t)
	broken := writeConfig(t, dir, strings.Replace(good, "hostPath: policy.yaml", "hostPath: missing.yaml", 1))
	if _, err := New(WithConfigFile(broken)).Plan(); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a broken config: %v", err)
	}
}
