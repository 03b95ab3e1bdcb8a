package versions_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The pins live in versions.go; files that must repeat a version (YAML that
// people read, go.mod files that the go command reads) are checked here.
func TestFilesAgreeWithThePins(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	fixture := read("fixtures/ray-cluster.pod-security.yaml")
	if !strings.Contains(fixture, `"xgboost-cpu==`+versions.XGBoost+`"`) {
		t.Errorf("the fixture's script does not install xgboost-cpu==%s", versions.XGBoost)
	}
	images := regexp.MustCompile(`image:\s*(\S+)`).FindAllStringSubmatch(fixture, -1)
	if len(images) == 0 {
		t.Fatal("the fixture names no image")
	}
	for _, m := range images {
		if m[1] != versions.RayImage {
			t.Errorf("fixture image %s, pin %s", m[1], versions.RayImage)
		}
	}
	chart := read("fixtures/charts/kuberay-operator/Chart.yaml")
	if !regexp.MustCompile(`(?m)^version:\s*"?` + regexp.QuoteMeta(versions.KubeRayChartVersion) + `"?\s*$`).MatchString(chart) {
		t.Errorf("stand-in chart version differs from KubeRayChartVersion %s", versions.KubeRayChartVersion)
	}
	if !strings.HasSuffix(versions.KubeRayOperatorImage, ":"+versions.KubeRay) {
		t.Errorf("operator image %s is not KubeRay %s", versions.KubeRayOperatorImage, versions.KubeRay)
	}
	if "v"+versions.KubeRayChartVersion != versions.KubeRay {
		t.Errorf("chart %s and operator %s are different KubeRay releases", versions.KubeRayChartVersion, versions.KubeRay)
	}
}

func TestKindNodeImagesArePinnedByDigest(t *testing.T) {
	for _, k := range versions.KubernetesReleases {
		if k.KindNodeImage == "" {
			continue
		}
		// kind publishes its own patch of the minor (v1.37.0 for v1.37.2).
		if !regexp.MustCompile(`^kindest/node:v` + regexp.QuoteMeta(k.Minor()) + `\.\d+@sha256:[0-9a-f]{64}$`).MatchString(k.KindNodeImage) {
			t.Errorf("%s: node image %q is not kindest/node:v%s.<patch>@sha256:<digest>", k.Version, k.KindNodeImage, k.Minor())
		}
	}
}

func TestKindNodeImagesAreTheKindReleasesPinnedByDigest(t *testing.T) {
	re := regexp.MustCompile(`^kindest/node:v(\d+)\.(\d+)\.(\d+)@sha256:[0-9a-f]{64}$`)
	prev := [3]int{}
	for _, img := range versions.KindNodeImages {
		m := re.FindStringSubmatch(img)
		if m == nil {
			t.Errorf("kind node image %q is not kindest/node:vX.Y.Z@sha256:<digest>", img)
			continue
		}
		var v [3]int
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+1])
		}
		if slices.Compare(v[:], prev[:]) <= 0 {
			t.Errorf("KindNodeImages must be oldest first: %s after v%d.%d.%d", img, prev[0], prev[1], prev[2])
		}
		prev = v
	}
	if versions.KindNodeImages[0] != versions.KindNodeImage124 || !strings.HasPrefix(versions.KindNodeImage124, "kindest/node:"+versions.DefaultKubernetes+"@") {
		t.Errorf("the kind tier's default image must be the tutorial's %s", versions.DefaultKubernetes)
	}
	for _, k := range versions.KubernetesReleases {
		if k.KindNodeImage != "" && !slices.Contains(versions.KindNodeImages, k.KindNodeImage) {
			t.Errorf("%s names node image %s, which is not in KindNodeImages", k.Version, k.KindNodeImage)
		}
	}
}

// go.mod must require each library pinned in versions at the pin, with no
// replacement, and no other major of it.
func TestGoModRequiresTheLibraryPins(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range goModPinProblems(string(data)) {
		t.Error(problem)
	}
}

// goModPinProblems says where a go.mod's requirements differ from the pins.
func goModPinProblems(gomod string) []string {
	var problems []string
	for _, lib := range []struct{ path, others, pin, name string }{
		{"sigs.k8s.io/kind", "", versions.KindLibrary, "versions.KindLibrary"},
		{"helm.sh/helm/v4", `helm\.sh/helm(?:/v\d+)?`, versions.Helm, "versions.Helm"},
	} {
		quoted := regexp.QuoteMeta(lib.path)
		req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?`+quoted+`\s+(\S+)`).FindAllStringSubmatch(gomod, -1)
		if len(req) != 1 || req[0][1] != lib.pin {
			problems = append(problems, fmt.Sprintf("go.mod requires %s %v; %s is %s (go get %s@%s)", lib.path, req, lib.name, lib.pin, lib.path, lib.pin))
		}
		if regexp.MustCompile(`(?m)^\s*(?:replace\s+)?` + quoted + `\b.*=>`).MatchString(gomod) {
			problems = append(problems, "go.mod replaces "+lib.path+"; the pin would not be what is built")
		}
		if lib.others == "" {
			continue
		}
		for _, m := range regexp.MustCompile(`(?m)^\s*(?:require\s+)?(`+lib.others+`)\s+\S+`).FindAllStringSubmatch(gomod, -1) {
			if m[1] != lib.path {
				problems = append(problems, fmt.Sprintf("go.mod also requires %s; only %s at %s belongs there", m[1], lib.path, lib.pin))
			}
		}
	}
	return problems
}

func TestGoModPinProblems(t *testing.T) {
	good := "module x\n\nrequire (\n\thelm.sh/helm/v4 " + versions.Helm + "\n\tsigs.k8s.io/kind " + versions.KindLibrary + "\n)\n"
	if p := goModPinProblems(good); len(p) != 0 {
		t.Errorf("the pins themselves: %v", p)
	}
	for name, tc := range map[string]struct{ gomod, want string }{
		"Helm 3 beside":  {good + "require helm.sh/helm/v3 v3.22.0\n", "also requires helm.sh/helm/v3"},
		"Helm 3 instead": {strings.Replace(good, "helm.sh/helm/v4 "+versions.Helm, "helm.sh/helm/v3 v3.22.0", 1), "requires helm.sh/helm/v4 []"},
		"older Helm 4":   {strings.Replace(good, versions.Helm, "v4.0.0", 1), "versions.Helm is " + versions.Helm},
		"Helm replaced":  {good + "replace helm.sh/helm/v4 => ../helm\n", "replaces helm.sh/helm/v4"},
		"other kind":     {strings.Replace(good, versions.KindLibrary, "v0.22.0", 1), "versions.KindLibrary is"},
	} {
		if p := strings.Join(goModPinProblems(tc.gomod), "\n"); !strings.Contains(p, tc.want) {
			t.Errorf("%s: problems %q, want one saying %q", name, p, tc.want)
		}
	}
}

func TestLookupKubernetes(t *testing.T) {
	for in, want := range map[string]string{"": versions.DefaultKubernetes, "1.24": "v1.24.17", "v1.24.17": "v1.24.17", "1.34": "v1.34.4"} {
		k, err := versions.LookupKubernetes(in)
		if err != nil || k.Version != want {
			t.Errorf("LookupKubernetes(%q) = %s, %v; want %s", in, k.Version, err, want)
		}
	}
	if _, err := versions.LookupKubernetes("1.2"); err == nil {
		t.Error("1.2 must not match 1.24")
	}
}

func TestKubeRayIsAPinnedAxis(t *testing.T) {
	for _, v := range []string{"", "v1.6.2", "1.6.2", "1.6", "v1.5.1", "1.5"} {
		r, err := versions.LookupKubeRay(v)
		if err != nil {
			t.Errorf("LookupKubeRay(%q): %v", v, err)
		}
		if v == "" && !r.IsDefault() {
			t.Errorf("the default is %s, not %s", r.Version, versions.KubeRay)
		}
	}
	for _, v := range []string{"v1.7.0", "1.4", "latest"} {
		// The pins, and nothing about where v came from: a setting or a
		// flag, which the caller names (internal/settings, the commands).
		if _, err := versions.LookupKubeRay(v); err == nil || !strings.Contains(err.Error(), "v1.5.1, v1.6.2") || strings.Contains(err.Error(), "E2E_") {
			t.Errorf("LookupKubeRay(%q) = %v; want an error listing the pins and no setting", v, err)
		}
	}
	// The default is the newest pin, and each release's image and chart
	// carry its version.
	last := versions.KubeRayReleases[len(versions.KubeRayReleases)-1]
	if !last.IsDefault() {
		t.Errorf("the default KubeRay %s is not the newest pin %s", versions.KubeRay, last.Version)
	}
	for _, r := range versions.KubeRayReleases {
		if !strings.HasSuffix(r.OperatorImage(), ":"+r.Version) || !strings.HasSuffix(r.OfflineOperatorImage(), ":"+r.Version) || "v"+r.ChartVersion() != r.Version {
			t.Errorf("release %s: image %s, offline %s, chart %s", r.Version, r.OperatorImage(), r.OfflineOperatorImage(), r.ChartVersion())
		}
	}
}

func TestKubeRayAtLeast(t *testing.T) {
	for _, c := range []struct {
		have, want string
		ok         bool
	}{
		{"v1.6.2", "v1.6.0", true}, {"v1.5.1", "v1.6.0", false}, {"v1.6.2", "v1.6.2", true},
		{"v1.10.0", "v1.6.0", true}, {"v1.6.2", "v1.6.3", false}, {"v2.0.0", "v1.99.0", true},
	} {
		if got := (versions.KubeRayRelease{Version: c.have}).AtLeast(c.want); got != c.ok {
			t.Errorf("%s.AtLeast(%s) = %v", c.have, c.want, got)
		}
	}
}

// The pins are listed oldest first: messages, the matrix and the docs show
// them in that order.
func TestPinsAreOldestFirst(t *testing.T) {
	for _, list := range [][]string{versions.SupportedKubernetes(), versions.SupportedKubeRay(), versions.SupportedRay()} {
		for i := 1; i < len(list); i++ {
			if (versions.KubeRayRelease{Version: list[i-1]}).AtLeast(list[i]) {
				t.Errorf("%s comes before %s", list[i-1], list[i])
			}
		}
	}
}

// Ray is an axis like KubeRay: the default is the tutorial's 2.46.0, each
// release's images carry its version, and an unpinned version is refused
// with the pins and the setting named.
func TestRayIsAPinnedAxis(t *testing.T) {
	for _, v := range []string{"", "2.46.0", "2.46", "2.60.0", "2.60"} {
		r, err := versions.LookupRay(v)
		if err != nil {
			t.Errorf("LookupRay(%q): %v", v, err)
		}
		if v == "" && (!r.IsDefault() || r.Version != "2.46.0") {
			t.Errorf("the default is %s, want the tutorial's 2.46.0", r.Version)
		}
	}
	for _, v := range []string{"2.47.0", "2.6", "3", "latest"} {
		if _, err := versions.LookupRay(v); err == nil || !strings.Contains(err.Error(), "2.46.0, 2.60.0") || strings.Contains(err.Error(), "E2E_") {
			t.Errorf("LookupRay(%q) = %v; want an error listing the pins and no setting", v, err)
		}
	}
	d := versions.DefaultRay()
	if d.Image() != versions.RayImage || d.OfflineImage() != versions.OfflineRayImage || d.XGBoost != versions.XGBoost || d.LockDate != versions.RayImageLockDate {
		t.Errorf("the default release %+v disagrees with the default's constants", d)
	}
	for _, r := range versions.RayReleases {
		if r.Image() != "rayproject/ray:"+r.Version || r.OfflineImage() != "kuberay-e2e/ray:"+r.Version {
			t.Errorf("Ray %s: image %s, offline %s", r.Version, r.Image(), r.OfflineImage())
		}
		if _, err := time.Parse(time.RFC3339, r.LockDate); err != nil || !strings.HasSuffix(r.LockDate, "T00:00:00Z") {
			t.Errorf("Ray %s: lock date %q is not a day's start in UTC (%v)", r.Version, r.LockDate, err)
		}
		if r.XGBoost == "" {
			t.Errorf("Ray %s: no XGBoost pin", r.Version)
		}
	}
}

func TestRayTokenAuth(t *testing.T) {
	for v, want := range map[string]bool{"2.46.0": false, "2.51.2": false, "2.52.0": true, "2.60.0": true, "3.0.0": true} {
		if got := (versions.RayRelease{Version: v}).TokenAuth(); got != want {
			t.Errorf("Ray %s: TokenAuth %v", v, got)
		}
	}
}
