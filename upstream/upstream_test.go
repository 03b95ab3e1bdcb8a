package upstream

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/manifest"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestSampleCompleteHasRayHead(t *testing.T) {
	objs, err := Sample(versions.DefaultKubeRay(), "ray-cluster.complete.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].GetKind() != "RayCluster" {
		t.Fatalf("want one RayCluster, got %v", names(objs))
	}
	containers, _, _ := unstructured.NestedSlice(objs[0].Object, "spec", "headGroupSpec", "template", "spec", "containers")
	var head string
	if len(containers) > 0 {
		c, _ := containers[0].(map[string]interface{})
		head, _, _ = unstructured.NestedString(c, "name")
	}
	if head != "ray-head" {
		t.Errorf("head container is %q, want ray-head", head)
	}

	if _, err := Sample(versions.DefaultKubeRay(), "no-such-sample.yaml"); err == nil || !strings.Contains(err.Error(), "no-such-sample.yaml") {
		t.Errorf("a missing sample gave error %v, want one naming it", err)
	}
	if _, err := Sample(versions.DefaultKubeRay(), "../../go.mod"); err == nil {
		t.Errorf("a sample name leaving config/samples was accepted")
	}
}

func TestCRDsAreKubeRaysCRDs(t *testing.T) {
	for _, r := range versions.KubeRayReleases {
		t.Run(r.Version, func(t *testing.T) { checkCRDs(t, r) })
	}
}

func checkCRDs(t *testing.T, r versions.KubeRayRelease) {
	crds, err := CRDs(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ray.io_rayclusters.yaml": "rayclusters.ray.io",
		"ray.io_rayjobs.yaml":     "rayjobs.ray.io",
		"ray.io_rayservices.yaml": "rayservices.ray.io",
	}
	// RayCronJob is new in v1.6.
	if r.AtLeast("v1.6.0") {
		want["ray.io_raycronjobs.yaml"] = "raycronjobs.ray.io"
	}
	if len(crds) != len(want) {
		t.Errorf("got %d CRD files, want %d", len(crds), len(want))
	}
	for file, name := range want {
		objs, err := manifest.Decode(file, crds[file])
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 1 || objs[0].GetKind() != "CustomResourceDefinition" || objs[0].GetName() != name {
			t.Errorf("%s holds %v, want CRD %s", file, names(objs), name)
		}
	}
}

func TestDirFromModuleCache(t *testing.T) {
	t.Setenv(dirEnv, "")
	for _, r := range versions.KubeRayReleases {
		dir, err := Dir(r)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(dir) != "ray-operator@"+r.Version {
			t.Errorf("Dir(%s) = %s, want the module directory of %s@%s", r.Version, dir, Module, r.Version)
		}
		if _, err := Sample(r, "ray-cluster.complete.yaml"); err != nil {
			t.Errorf("KubeRay %s: %v", r.Version, err)
		}
	}
}

func TestDirFromCheckout(t *testing.T) {
	root := t.TempDir()
	operator := filepath.Join(root, "ray-operator")
	if err := os.MkdirAll(filepath.Join(operator, "config", "crd", "bases"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{root, operator} {
		t.Setenv(dirEnv, dir)
		got, err := Dir(versions.DefaultKubeRay())
		if err != nil || got != operator {
			t.Errorf("%s=%s: got %q, %v; want %s", dirEnv, dir, got, err, operator)
		}
	}

	missing := filepath.Join(root, "no-such-checkout")
	notCheckout := t.TempDir()
	for _, dir := range []string{missing, notCheckout} {
		t.Setenv(dirEnv, dir)
		_, err := Dir(versions.DefaultKubeRay())
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), dirEnv) {
			t.Errorf("%s=%s: error %v, want one naming the variable and the path", dirEnv, dir, err)
		}
	}
	t.Setenv(dirEnv, missing)
	if _, err := CRDs(versions.DefaultKubeRay()); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("CRDs with a missing checkout: error %v, want one naming %s", err, missing)
	}
}

func names(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetNamespace()+"/"+o.GetName())
	}
	return out
}
