package kind

import (
	"regexp"
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
	c := newCluster(t, WithLogsDir("/runs/x/cluster"))
	text := planText(t, c)
	if !regexp.MustCompile(`^` + NamePrefix + `[0-9a-f]{6}$`).MatchString(c.Name()) {
		t.Errorf("made-up name %q is not %s and 6 hex digits", c.Name(), NamePrefix)
	}
	cfg, _ := repo.Path("kind-config.yaml")
	policy, _ := repo.Path("audit-policy.yaml")
	for _, want := range []string{
		"E2E_PROVIDER=local",
		cfg, policy, "/var/log/kubernetes/kube-apiserver-audit.log",
		"create cluster " + c.Name() + ", a name made up for this run",
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
	text := planText(t, newCluster(t, WithReuse(true), WithNodeImage(custom), WithPreload(true), WithName("mine")))
	for _, want := range []string{"reuse the existing Kind cluster mine", "never deleted", "may not work", versions.RayImage, "the reused cluster stays"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	keep := planText(t, newCluster(t, WithKeep(true)))
	if !strings.Contains(keep, "keep the cluster") {
		t.Errorf("E2E_KEEP plan:\n%s", keep)
	}
}

func TestPlanRefusesWhatCreateWould(t *testing.T) {
	if _, err := newCluster(t).WithVersion("1.30").(*Cluster).Plan(); err == nil || !strings.Contains(err.Error(), "1.30") {
		t.Errorf("an unpinned version: %v", err)
	}
	dir, _ := policyDir(t)
	broken := writeConfig(t, dir, strings.Replace(good, "hostPath: policy.yaml", "hostPath: missing.yaml", 1))
	if _, err := newCluster(t, WithConfigFile(broken)).Plan(); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a broken config: %v", err)
	}
}
