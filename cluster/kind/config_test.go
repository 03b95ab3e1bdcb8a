package kind

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
)

func TestRepositoryKindConfig(t *testing.T) {
	cfg := repoConfig(t)
	// The local tier hands the same file to its API server.
	policy, err := repo.Path("audit-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AuditPolicyHost != policy {
		t.Errorf("the kind tier mounts %s, the local tier uses %s", cfg.AuditPolicyHost, policy)
	}
	if cfg.AuditLogPath != "/var/log/kubernetes/kube-apiserver-audit.log" || cfg.AuditLogNode != cfg.AuditLogPath {
		t.Errorf("audit log %s (node %s); the tutorial's path is /var/log/kubernetes/kube-apiserver-audit.log", cfg.AuditLogPath, cfg.AuditLogNode)
	}
	if len(cfg.Cluster.Nodes) != 1 || cfg.Cluster.Nodes[0].Role != "control-plane" {
		t.Errorf("nodes %+v; the tier runs one control-plane node", cfg.Cluster.Nodes)
	}
	if cfg.Cluster.Name != "" {
		t.Errorf("the file names cluster %q; each run names its own", cfg.Cluster.Name)
	}
}

// policyDir writes an audit policy into a new directory and returns both.
func policyDir(t *testing.T) (dir, policy string) {
	t.Helper()
	dir = t.TempDir()
	policy = filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, policy
}

// good is a valid config in the layout the checks expect; the cases below
// change one thing each.
const good = `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
- role: control-plane
  extraMounts:
  - hostPath: policy.yaml
    containerPath: /etc/audit/policy.yaml
    readOnly: true
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  apiServer:
    extraArgs:
      audit-policy-file: /etc/audit/policy.yaml
      audit-log-path: /var/log/audit/api.log
    extraVolumes:
    - name: policy
      hostPath: /etc/audit
      mountPath: /etc/audit
      readOnly: true
    - name: log
      hostPath: /var/log/audit
      mountPath: /var/log/audit
`

func writeConfig(t *testing.T, dir, content string) string {
	t.Helper()
	file := filepath.Join(dir, "kind.yaml")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestRelativeHostPathResolvesAgainstTheFile(t *testing.T) {
	dir, policy := policyDir(t)
	cfg, err := LoadConfig(writeConfig(t, dir, good))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Cluster.Nodes[0].ExtraMounts[0].HostPath
	if got != policy || cfg.AuditPolicyHost != policy {
		t.Errorf("hostPath resolved to %s (policy %s); want %s", got, cfg.AuditPolicyHost, policy)
	}
	// What kind would have mounted: the name against the test's working
	// directory, the package directory, where no such file exists.
	wd, _ := filepath.Abs("policy.yaml")
	if got == wd {
		t.Fatalf("resolved against the working directory %s", wd)
	}
	if _, err := os.Stat(wd); !os.IsNotExist(err) {
		t.Fatalf("%s exists; the test needs it not to", wd)
	}
	if cfg.AuditPolicyFile != "/etc/audit/policy.yaml" || cfg.AuditPolicyNode != "/etc/audit/policy.yaml" || cfg.AuditLogNode != "/var/log/audit/api.log" {
		t.Errorf("paths %+v", cfg)
	}
}

// kubeadm v1beta4 (kind writes it from Kubernetes 1.36) lists extraArgs as
// name/value pairs; a patch in that form reads like the map form.
func TestExtraArgsInEitherKubeadmForm(t *testing.T) {
	dir, _ := policyDir(t)
	list := strings.Replace(good, `    extraArgs:
      audit-policy-file: /etc/audit/policy.yaml
      audit-log-path: /var/log/audit/api.log
`, `    extraArgs:
    - name: audit-policy-file
      value: /etc/audit/policy.yaml
    - name: audit-log-path
      value: /var/log/audit/api.log
`, 1)
	if list == good {
		t.Fatal("the case does not apply")
	}
	cfg, err := LoadConfig(writeConfig(t, dir, list))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AuditPolicyFile != "/etc/audit/policy.yaml" || cfg.AuditLogPath != "/var/log/audit/api.log" {
		t.Errorf("v1beta4 extraArgs read as policy %q log %q", cfg.AuditPolicyFile, cfg.AuditLogPath)
	}
	scalar := strings.Replace(good, "    extraArgs:\n      audit-policy-file", "    extraArgs: 3\n    x:\n      audit-policy-file", 1)
	if _, err := LoadConfig(writeConfig(t, dir, scalar)); err == nil || !strings.Contains(err.Error(), "neither a map") {
		t.Errorf("extraArgs that is neither form: %v", err)
	}
}

func TestPathsFollowTheVolumes(t *testing.T) {
	dir, policy := policyDir(t)
	// The pod sees /etc/kubernetes/audit, the node has it at /srv/audit and
	// the host file is mounted in a directory above it.
	content := strings.NewReplacer(
		"containerPath: /etc/audit/policy.yaml", "containerPath: /srv/audit/policy.yaml",
		"hostPath: /etc/audit", "hostPath: /srv/audit",
		"hostPath: /var/log/audit", "hostPath: /srv/log",
	).Replace(good)
	cfg, err := LoadConfig(writeConfig(t, dir, content))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AuditPolicyNode != "/srv/audit/policy.yaml" || cfg.AuditPolicyHost != policy || cfg.AuditLogNode != "/srv/log/api.log" {
		t.Errorf("policy node %s host %s, log node %s", cfg.AuditPolicyNode, cfg.AuditPolicyHost, cfg.AuditLogNode)
	}
}

func TestLoadConfigRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown field, as kind's loader does", "  extraMounts:", "  extraMount:", "field extraMount not found"},
		{"another API version", "kind.x-k8s.io/v1alpha4", "kind.x-k8s.io/v1alpha3", "apiVersion"},
		{"a missing host file", "hostPath: policy.yaml", "hostPath: missing.yaml", "empty directory"},
		{"a node image", "- role: control-plane\n", "- role: control-plane\n  image: kindest/node:v1.24.17\n", "E2E_KIND_NODE_IMAGE"},
		{"two control planes", "kubeadmConfigPatches:", "- role: control-plane\nkubeadmConfigPatches:", "more than one control-plane"},
		{"no patch", "kind: ClusterConfiguration", "kind: InitConfiguration", "no kubeadmConfigPatches entry of kind ClusterConfiguration"},
		{"no log path", "      audit-log-path: /var/log/audit/api.log\n", "", "audit-log-path"},
		{"a legacy log format", "      audit-log-path: /var/log/audit/api.log\n", "      audit-log-path: /var/log/audit/api.log\n      audit-log-format: legacy\n", "JSON"},
		{"a policy outside the volumes", "audit-policy-file: /etc/audit/policy.yaml", "audit-policy-file: /etc/other/policy.yaml", "under no apiServer.extraVolumes"},
		{"a read-only log volume", "      mountPath: /var/log/audit\n", "      mountPath: /var/log/audit\n      readOnly: true\n", "writable"},
		{"a policy not mounted from the host", "containerPath: /etc/audit/policy.yaml", "containerPath: /etc/elsewhere/policy.yaml", "no extraMounts"},
		{"an API server published beyond loopback", "kubeadmConfigPatches:", "networking:\n  apiServerAddress: 0.0.0.0\nkubeadmConfigPatches:", "127.0.0.1"},
		{"a port mapping on every interface", "  extraMounts:", "  extraPortMappings:\n  - containerPort: 8265\n    hostPort: 8265\n  extraMounts:", "listenAddress"},
		{"a patch that is not YAML", "  kind: ClusterConfiguration\n", "  kind: ClusterConfiguration\n  [\n", "kubeadmConfigPatches[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("the case does not apply: %q is not in the config", tc.from)
			}
			dir, _ := policyDir(t)
			_, err := LoadConfig(writeConfig(t, dir, strings.Replace(good, tc.from, tc.to, 1)))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q; want it to name the file and say %q", err, tc.want)
			}
		})
	}
}

func TestPolicyHostPathMustBeAFile(t *testing.T) {
	dir, _ := policyDir(t)
	if err := os.Mkdir(filepath.Join(dir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	content := strings.Replace(good, "hostPath: policy.yaml", "hostPath: policies", 1)
	_, err := LoadConfig(writeConfig(t, dir, content))
	if err == nil || !strings.Contains(err.Error(), "not a file") {
		t.Errorf("a directory where the policy should be: %v", err)
	}
}

func TestWriteKeepsTheCheckedConfig(t *testing.T) {
	dir, policy := policyDir(t)
	cfg, err := LoadConfig(writeConfig(t, dir, good))
	if err != nil {
		t.Fatal(err)
	}
	// Written elsewhere, the absolute host path must still find the policy.
	out := filepath.Join(t.TempDir(), "resolved.yaml")
	if err := cfg.Write(out); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("written config: %v, mode %v", err, fi.Mode())
	}
	again, err := LoadConfig(out)
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	if !reflect.DeepEqual(again.Cluster, cfg.Cluster) || again.AuditPolicyHost != policy {
		t.Errorf("round trip changed the config:\n%+v\n%+v", cfg.Cluster, again.Cluster)
	}
}
