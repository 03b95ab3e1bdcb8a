package images

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The oom_score_adj switch turns on only where CAP_SYS_RESOURCE is missing.
func TestContainerdCapsScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "caps")
	if err := os.WriteFile(script, []byte(containerdCapsScript), 0o755); err != nil {
		t.Fatal(err)
	}
	for capBnd, want := range map[string]string{
		"000001ffffffffff": "restrict_oom_score_adj = false", // ordinary host: unchanged
		"000001fffeffffff": "restrict_oom_score_adj = true",  // CAP_SYS_RESOURCE missing
	} {
		status := filepath.Join(dir, "status")
		config := filepath.Join(dir, "config.toml")
		_ = os.WriteFile(status, []byte("Name:\tx\nCapBnd:\t"+capBnd+"\n"), 0o644)
		_ = os.WriteFile(config, []byte("[plugins]\n  restrict_oom_score_adj = false\n"), 0o644)
		cmd := exec.Command("sh", script)
		cmd.Env = append(os.Environ(), "KUBERAY_E2E_STATUS="+status, "KUBERAY_E2E_CONTAINERD_CONFIG="+config)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		got, _ := os.ReadFile(config)
		if !strings.Contains(string(got), "  "+want+"\n") {
			t.Errorf("CapBnd %s: config is %q, want %q", capBnd, got, want)
		}
	}
}

// The CNI manifest renders as kind renders it (the pod subnet filled in)
// into a host-network DaemonSet on the local kube-proxy image that writes a
// valid bridge configuration for that subnet.
func TestCNIManifest(t *testing.T) {
	k, _ := versions.LookupKubernetes(versions.DefaultKubernetes)
	text := CNIManifest(k)
	if !strings.Contains(text, "would you kindly template this file") {
		t.Fatal("kind templates the manifest only when it carries its marker sentence")
	}
	tmpl, err := template.New("cni").Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, struct{ PodSubnet string }{"10.244.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(out.Bytes(), &ds); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	spec := ds.Spec.Template.Spec
	c := spec.Containers[0]
	if !spec.HostNetwork || c.Image != "registry.k8s.io/kube-proxy:"+k.Version || c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("want a host-network pod on the local kube-proxy image, never pulled: %+v", c)
	}
	script := c.Command[2]
	start := strings.Index(script, "<<EOF\n") + len("<<EOF\n")
	end := strings.Index(script, "\nEOF\n")
	conf := script[start:end]
	var conflist struct {
		Plugins []struct {
			Type string
			IPAM struct {
				Ranges [][]struct{ Subnet string }
			}
		}
	}
	if err := json.Unmarshal([]byte(conf), &conflist); err != nil {
		t.Fatalf("conflist: %v\n%s", err, conf)
	}
	if conflist.Plugins[0].Type != "bridge" || conflist.Plugins[0].IPAM.Ranges[0][0].Subnet != "10.244.0.0/16" {
		t.Errorf("conflist: %+v", conflist)
	}
}
