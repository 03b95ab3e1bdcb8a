package chart

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	helmchart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/hardeningtest"
	"github.com/kuberay-docs/pod-security-e2e/manifest"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

const testNamespace = "pod-security"

func TestStandInChartMatchesPins(t *testing.T) {
	c, err := LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.Name != "kuberay-operator" {
		t.Errorf("chart name %q, want kuberay-operator", c.Metadata.Name)
	}
	if c.Metadata.Version != versions.KubeRayChartVersion {
		t.Errorf("Chart.yaml version %q, want versions.KubeRayChartVersion %q", c.Metadata.Version, versions.KubeRayChartVersion)
	}
	if c.Metadata.AppVersion != versions.KubeRay {
		t.Errorf("Chart.yaml appVersion %q, want versions.KubeRay %q", c.Metadata.AppVersion, versions.KubeRay)
	}
	if n := len(c.CRDObjects()); n != 0 {
		t.Errorf("the embedded chart carries %d CRDs; CRDs come only from the LoadStandIn argument", n)
	}
	// Rendering without operator-values.yaml uses the chart's own defaults.
	dep := renderedDeployment(t, render(t, c, nil))
	if got := dep.Spec.Template.Spec.Containers[0].Image; got != versions.KubeRayOperatorImage {
		t.Errorf("default image %s, want versions.KubeRayOperatorImage %s", got, versions.KubeRayOperatorImage)
	}
}

func render(t *testing.T, c *helmchart.Chart, vals map[string]interface{}) []*unstructured.Unstructured {
	t.Helper()
	rv, err := commonutil.ToRenderValues(c, vals, common.ReleaseOptions{Name: "kuberay-operator", Namespace: testNamespace, IsInstall: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(c, rv)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	var objs []*unstructured.Unstructured
	for _, name := range names {
		o, err := manifest.Decode(name, []byte(out[name]))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o...)
	}
	return objs
}

func renderedDeployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	var found []*appsv1.Deployment
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			d := &appsv1.Deployment{}
			hardeningtest.FromUnstructured(t, o.Object, d)
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one Deployment, the chart rendered %d", len(found))
	}
	return found[0]
}

func objectsOfKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func TestStandInChartRendersHardenedOperator(t *testing.T) {
	c, err := LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	vals, err := fixtures.OperatorValues()
	if err != nil {
		t.Fatal(err)
	}
	objs := render(t, c, vals)
	dep := renderedDeployment(t, objs)
	if dep.Namespace != testNamespace {
		t.Errorf("Deployment namespace %q, want the release namespace %q", dep.Namespace, testNamespace)
	}
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("want one operator container, got %d", len(spec.Containers))
	}
	op := spec.Containers[0]
	hardeningtest.CheckHardened(t, "operator container", op.SecurityContext)
	if op.Image != versions.KubeRayOperatorImage {
		t.Errorf("operator image %s, want versions.KubeRayOperatorImage %s", op.Image, versions.KubeRayOperatorImage)
	}
	if v := hardeningtest.RestrictedViolations(t, &corev1.Pod{ObjectMeta: dep.Spec.Template.ObjectMeta, Spec: spec}); len(v) > 0 {
		t.Errorf("operator Pod violates restricted: %s", strings.Join(v, "; "))
	}
	if !slices.Contains(op.Args, "--health-probe-bind-address=:8082") {
		t.Errorf("operator args %v do not bind the health probes to :8082", op.Args)
	}
	for probeName, probe := range map[string]*corev1.Probe{"liveness": op.LivenessProbe, "readiness": op.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil {
			t.Errorf("%s probe is not an HTTP probe", probeName)
			continue
		}
		port := probe.HTTPGet.Port.String()
		var containerPort int32
		for _, p := range op.Ports {
			if p.Name == port {
				containerPort = p.ContainerPort
			}
		}
		if containerPort != 8082 {
			t.Errorf("%s probe targets port %q, which is not the health port 8082", probeName, port)
		}
	}
	if slices.Contains(op.Args, "--watch-namespace") {
		t.Errorf("a cluster-wide install must not restrict the watched namespaces: args %v", op.Args)
	}

	sas := objectsOfKind(objs, "ServiceAccount")
	if len(sas) != 1 || sas[0].GetName() != spec.ServiceAccountName {
		t.Errorf("the Deployment runs as %q but the chart renders ServiceAccounts %v", spec.ServiceAccountName, names(sas))
	}
	bindings := objectsOfKind(objs, "ClusterRoleBinding")
	if len(bindings) != 1 {
		t.Fatalf("want one ClusterRoleBinding, got %d", len(bindings))
	}
	var crb rbacv1.ClusterRoleBinding
	hardeningtest.FromUnstructured(t, bindings[0].Object, &crb)
	if len(crb.Subjects) != 1 || crb.Subjects[0].Name != spec.ServiceAccountName || crb.Subjects[0].Namespace != testNamespace {
		t.Errorf("ClusterRoleBinding subjects %+v do not name the operator's ServiceAccount in %s", crb.Subjects, testNamespace)
	}
}

func names(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetNamespace()+"/"+o.GetName())
	}
	return out
}

// grants reports whether rules allow verb on group/resource.
func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

func TestStandInChartGrantsWhatTheOperatorNeeds(t *testing.T) {
	dir, err := upstream.Dir(versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "config", "rbac", "role.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	upstreamRole, err := manifest.Decode(file, data)
	if err != nil {
		t.Fatal(err)
	}
	var need rbacv1.ClusterRole
	hardeningtest.FromUnstructured(t, upstreamRole[0].Object, &need)
	if len(need.Rules) == 0 {
		t.Fatalf("%s has no rules", file)
	}

	c, err := LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name   string
		values map[string]interface{}
		kind   string
	}{
		{"cluster-wide", nil, "ClusterRole"},
		{"single namespace", map[string]interface{}{"singleNamespaceInstall": true}, "Role"},
	} {
		var rules []rbacv1.PolicyRule
		for _, o := range objectsOfKind(render(t, c, mode.values), mode.kind) {
			if strings.HasSuffix(o.GetName(), "-leader-election") {
				continue
			}
			var role rbacv1.ClusterRole // Role has the same rules field
			hardeningtest.FromUnstructured(t, o.Object, &role)
			rules = append(rules, role.Rules...)
		}
		for _, r := range need.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						if !grants(rules, g, res, v) {
							t.Errorf("%s: the chart's %s does not grant %s on %s in group %q, which KubeRay %s's role.yaml needs", mode.name, mode.kind, v, res, g, versions.KubeRay)
						}
					}
				}
			}
		}
	}
}

func TestStandInChartSingleNamespaceInstall(t *testing.T) {
	c, err := LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		values    map[string]interface{}
		watch     string
		roleSpace []string
	}{
		{"release namespace", map[string]interface{}{"singleNamespaceInstall": true}, testNamespace, []string{testNamespace}},
		{"listed namespaces", map[string]interface{}{"singleNamespaceInstall": true, "watchNamespace": []interface{}{"a", "b"}}, "a,b", []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, c, tc.values)
			if n := len(objectsOfKind(objs, "ClusterRole")) + len(objectsOfKind(objs, "ClusterRoleBinding")); n != 0 {
				t.Errorf("singleNamespaceInstall rendered %d cluster-scoped RBAC objects", n)
			}
			args := renderedDeployment(t, objs).Spec.Template.Spec.Containers[0].Args
			i := slices.Index(args, "--watch-namespace")
			if i < 0 || i+1 >= len(args) || args[i+1] != tc.watch {
				t.Errorf("args %v should watch %q", args, tc.watch)
			}
			var roleSpaces, bindingSpaces []string
			for _, o := range objectsOfKind(objs, "Role") {
				if !strings.HasSuffix(o.GetName(), "-leader-election") {
					roleSpaces = append(roleSpaces, o.GetNamespace())
				}
			}
			for _, o := range objectsOfKind(objs, "RoleBinding") {
				if !strings.HasSuffix(o.GetName(), "-leader-election") {
					bindingSpaces = append(bindingSpaces, o.GetNamespace())
				}
			}
			sort.Strings(roleSpaces)
			sort.Strings(bindingSpaces)
			if !slices.Equal(roleSpaces, tc.roleSpace) || !slices.Equal(bindingSpaces, tc.roleSpace) {
				t.Errorf("Roles in %v and RoleBindings in %v, want both in %v", roleSpaces, bindingSpaces, tc.roleSpace)
			}
		})
	}
}

func TestStandInChartCarriesGivenCRDs(t *testing.T) {
	crds, err := upstream.CRDs(versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadStandIn(crds, versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, crd := range c.CRDObjects() {
		got = append(got, crd.Name)
		if !bytes.Equal(crd.File.Data, crds[strings.TrimPrefix(crd.Name, "crds/")]) {
			t.Errorf("%s differs from the CRD passed in", crd.Name)
		}
	}
	var want []string
	for _, name := range slices.Sorted(maps.Keys(crds)) {
		want = append(want, "crds/"+name)
	}
	if !slices.Equal(got, want) || len(want) < len(upstream.CRDFiles) {
		t.Errorf("chart CRDs %v, want %v", got, want)
	}

	cluster := crds["ray.io_rayclusters.yaml"]
	for _, bad := range []struct {
		name string
		data []byte
		want string
	}{
		{"rayclusters.txt", cluster, "must end in .yaml"},
		{"../ray.io_rayclusters.yaml", cluster, "plain file name"},
		{"configmap.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), "not a CustomResourceDefinition"},
		{"empty.yaml", []byte("# nothing\n"), "holds no object"},
	} {
		_, err := LoadStandIn(map[string][]byte{bad.name: bad.data}, versions.DefaultKubeRay())
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), strings.TrimPrefix(bad.name, "../")) {
			t.Errorf("LoadStandIn with %s: error %v, want one naming the file and saying %q", bad.name, err, bad.want)
		}
	}
}

func TestLoadLocal(t *testing.T) {
	c, err := LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := chartutil.SaveDir(c, tmp); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, c.Name())
	archive, err := chartutil.Save(c, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{dir, archive} {
		loaded, err := LoadLocal(source)
		if err != nil {
			t.Errorf("LoadLocal(%s): %v", source, err)
			continue
		}
		if loaded.Metadata.Version != versions.KubeRayChartVersion || len(loaded.Templates) != len(c.Templates) {
			t.Errorf("LoadLocal(%s) gave version %s with %d templates, want %s with %d", source, loaded.Metadata.Version, len(loaded.Templates), versions.KubeRayChartVersion, len(c.Templates))
		}
	}

	notArchive := filepath.Join(t.TempDir(), "chart.tgz")
	if err := os.WriteFile(notArchive, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ source, want string }{
		{filepath.Join(tmp, "missing"), "does not exist"},
		{tmp, "no Chart.yaml"},
		{notArchive, "not a packaged Helm chart"},
		{"", "no chart given"},
	} {
		_, err := LoadLocal(tc.source)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.source) {
			t.Errorf("LoadLocal(%q): error %v, want one naming the path and saying %q", tc.source, err, tc.want)
		}
	}
}
