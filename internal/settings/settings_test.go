package settings

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func clearEnv(t *testing.T) {
	for _, v := range []string{"E2E_PROVIDER", "E2E_KUBERNETES_VERSION", "E2E_KUBERAY_VERSION", "E2E_RAY_VERSION", "E2E_KEEP", "E2E_CHART", "E2E_OUTPUT_DIR", "E2E_ARTIFACTS", "E2E_TIMEOUT", "E2E_HOLD", "E2E_CLUSTER_NAME", "E2E_KIND_NODE_IMAGE", "E2E_KIND_REUSE", "E2E_KIND_PRELOAD", "E2E_OFFLINE", "E2E_RAY_IMAGE", "E2E_OPERATOR_IMAGE", "E2E_PROBE_IMAGE", "E2E_PAGE", "E2E_REQUIRE", "E2E_LOCAL_START_TIMEOUT", "E2E_KUBE_CONTEXT", "E2E_AUDIT_LOG", "KUBECONFIG"} {
		t.Setenv(v, "")
	}
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	now := time.Date(2026, 11, 25, 13, 4, 5, 0, time.UTC)
	s, err := FromEnv("/repo", now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Provider != "local" || s.Kubernetes != "v1.24.17" || s.Keep || s.Artifacts != "on-failure" {
		t.Errorf("defaults: %+v", s)
	}
	if s.Timeout != 60*time.Second || s.Hold != 5*time.Second {
		t.Errorf("local timeouts: %s %s", s.Timeout, s.Hold)
	}
	if want := filepath.Join("/repo", "_output", "runs", "20261125-130405-local"); s.OutputDir != want {
		t.Errorf("output dir %s, want %s", s.OutputDir, want)
	}
}

func TestProviderTimeoutDefaultsDiffer(t *testing.T) {
	clearEnv(t)
	t.Setenv("E2E_PROVIDER", "existing")
	s, err := FromEnv("/repo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.Timeout != 5*time.Minute {
		t.Errorf("a real cluster pulls images: want 5m, got %s", s.Timeout)
	}
}

func TestVersionMinorSelects(t *testing.T) {
	clearEnv(t)
	t.Setenv("E2E_KUBERNETES_VERSION", "1.34")
	s, err := FromEnv("/repo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Kubernetes, "v1.34.") {
		t.Errorf("got %s", s.Kubernetes)
	}
}

func TestBadInputNamesTheVariableAndTheFix(t *testing.T) {
	cases := []struct{ env, val, want string }{
		{"E2E_PROVIDER", "minikube", "choose one of local, kind, existing"},
		{"E2E_KUBERNETES_VERSION", "1.19", `E2E_KUBERNETES_VERSION=1.19: Kubernetes version "1.19" is not pinned`},
		{"E2E_KUBERAY_VERSION", "v1.7.0", `E2E_KUBERAY_VERSION=v1.7.0: KubeRay version "v1.7.0" is not pinned; choose one of v1.5.1, v1.6.2`},
		{"E2E_RAY_VERSION", "2.47.0", `E2E_RAY_VERSION=2.47.0: Ray version "2.47.0" is not pinned; choose one of 2.46.0, 2.60.0`},
		{"E2E_PAGE", "/nowhere/page.md", "E2E_PAGE=/nowhere/page.md is not a file"},
		{"E2E_KEEP", "maybe", "E2E_KEEP=\"maybe\": use 1 or 0"},
		{"E2E_ARTIFACTS", "never", "use on-failure or always"},
		{"E2E_TIMEOUT", "ten", "E2E_TIMEOUT=\"ten\": use a positive duration"},
		{"E2E_HOLD", "-5s", "E2E_HOLD"},
		{"E2E_KIND_REUSE", "yes please", "E2E_KIND_REUSE=\"yes please\": use 1 or 0"},
		{"E2E_KIND_PRELOAD", "often", "E2E_KIND_PRELOAD=\"often\": use 1 or 0"},
		{"E2E_OFFLINE", "1", "E2E_OFFLINE=1 is for E2E_PROVIDER=kind"},
		{"E2E_RAY_IMAGE", "rayproject/ray", "no tag or digest"},
		{"E2E_OPERATOR_IMAGE", "Quay.io/Kuberay/Operator:v1", "repository:tag"},
		{"E2E_PROBE_IMAGE", "pause:", "E2E_PROBE_IMAGE"},
		{"E2E_OPERATOR_IMAGE", "quay.io/kuberay/operator@sha256:" + strings.Repeat("a", 64), "the chart takes repository:tag"},
		{"E2E_LOCAL_START_TIMEOUT", "soon", `E2E_LOCAL_START_TIMEOUT="soon": use a positive duration`},
		{"E2E_REQUIRE", "containers,gpu", `"gpu" is not a capability; list some of containers, audit, comma-separated, or write none`},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(c.env, c.val)
			_, err := FromEnv("/repo", time.Now())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%s=%s: got error %v, want one containing %q", c.env, c.val, err, c.want)
			}
		})
	}
}

func TestKindSettings(t *testing.T) {
	clearEnv(t)
	s, err := FromEnv("/repo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.KindNodeImage != "" || s.KindReuse || s.KindPreload {
		t.Errorf("kind defaults: image %q reuse %v preload %v", s.KindNodeImage, s.KindReuse, s.KindPreload)
	}
	t.Setenv("E2E_PROVIDER", "kind")
	t.Setenv("E2E_KIND_NODE_IMAGE", " 1.29 ")
	t.Setenv("E2E_KIND_REUSE", "1")
	t.Setenv("E2E_KIND_PRELOAD", "true")
	t.Setenv("E2E_CLUSTER_NAME", "psa")
	if s, err = FromEnv("/repo", time.Now()); err != nil {
		t.Fatal(err)
	}
	if s.KindNodeImage != "1.29" || !s.KindReuse || !s.KindPreload || s.ClusterName != "psa" || s.Timeout != 5*time.Minute {
		t.Errorf("kind settings: %+v", s)
	}
	for _, v := range []string{"E2E_KIND_NODE_IMAGE", "E2E_KIND_REUSE", "E2E_KIND_PRELOAD", "E2E_CLUSTER_NAME"} {
		if !strings.Contains(Describe, v) {
			t.Errorf("Describe does not list %s", v)
		}
	}
}

func TestOfflineRefusesThePublishedChart(t *testing.T) {
	clearEnv(t)
	t.Setenv("E2E_PROVIDER", "kind")
	t.Setenv("E2E_OFFLINE", "1")
	t.Setenv("E2E_CHART", "repo")
	if _, err := FromEnv("/repo", time.Now()); err == nil || !strings.Contains(err.Error(), "the published chart is on the internet") {
		t.Errorf("E2E_OFFLINE=1 E2E_CHART=repo: %v", err)
	}
}

func TestImageSettings(t *testing.T) {
	clearEnv(t)
	s, err := FromEnv("/repo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.RayImage != versions.RayImage || s.OperatorImage != versions.KubeRayOperatorImage || s.ProbeImage != versions.PauseImage || s.Offline {
		t.Errorf("image defaults: %+v", s)
	}
	t.Setenv("E2E_PROVIDER", "kind")
	t.Setenv("E2E_OFFLINE", "1")
	if s, err = FromEnv("/repo", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !s.Offline || !s.KindPreload || s.RayImage != versions.OfflineRayImage || s.OperatorImage != versions.OfflineOperatorImage || s.ProbeImage != versions.OfflinePauseImage {
		t.Errorf("offline: %+v", s)
	}
	// A setting wins over the offline default.
	t.Setenv("E2E_RAY_IMAGE", "mirror.example:5000/ray:2.46.0")
	if s, err = FromEnv("/repo", time.Now()); err != nil {
		t.Fatal(err)
	}
	if s.RayImage != "mirror.example:5000/ray:2.46.0" {
		t.Errorf("settings: %+v", s)
	}
	for _, v := range []string{"E2E_OFFLINE", "E2E_RAY_IMAGE", "E2E_OPERATOR_IMAGE", "E2E_PROBE_IMAGE", "E2E_PAGE", "E2E_REQUIRE", "E2E_LOCAL_START_TIMEOUT", "E2E_KUBE_CONTEXT", "E2E_AUDIT_LOG", "KUBECONFIG"} {
		if !strings.Contains(Describe, v) {
			t.Errorf("Describe does not list %s", v)
		}
	}
}

// E2E_REQUIRE: the kind tier requires both capabilities unless told
// otherwise; the other providers require nothing unless told.
func TestRequire(t *testing.T) {
	for _, c := range []struct {
		provider, env string
		want          []string
	}{
		{"local", "", nil},
		{"existing", "", nil},
		{"kind", "", []string{Containers, Audit}},
		{"kind", "none", nil},
		{"local", "audit", []string{Audit}},
		{"local", " containers , audit,containers", []string{Containers, Audit}},
	} {
		clearEnv(t)
		t.Setenv("E2E_PROVIDER", c.provider)
		t.Setenv("E2E_REQUIRE", c.env)
		s, err := FromEnv("/repo", time.Now())
		if err != nil {
			t.Fatalf("%s E2E_REQUIRE=%q: %v", c.provider, c.env, err)
		}
		if strings.Join(s.Require, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s E2E_REQUIRE=%q: Require = %v, want %v", c.provider, c.env, s.Require, c.want)
		}
		for _, cap := range Capabilities {
			if got, want := s.Requires(cap), strings.Contains(strings.Join(c.want, ","), cap); got != want {
				t.Errorf("%s E2E_REQUIRE=%q: Requires(%s) = %v", c.provider, c.env, cap, got)
			}
		}
	}
}

// fromEnvOnAndOffline reads the settings with only env=value set, then
// again on the offline kind tier.
func fromEnvOnAndOffline(t *testing.T, env, value string) (online, offline Settings) {
	t.Helper()
	clearEnv(t)
	t.Setenv(env, value)
	online, err := FromEnv("/repo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("E2E_PROVIDER", "kind")
	t.Setenv("E2E_OFFLINE", "1")
	if offline, err = FromEnv("/repo", time.Now()); err != nil {
		t.Fatalf("offline %s=%s: %v", env, value, err)
	}
	return online, offline
}

// The KubeRay release picks the default operator image, online and offline,
// and Describe lists every pinned release.
func TestKubeRaySetting(t *testing.T) {
	for _, r := range versions.KubeRayReleases {
		if !strings.Contains(Describe, r.Version) {
			t.Errorf("Describe does not list KubeRay %s", r.Version)
		}
		on, off := fromEnvOnAndOffline(t, "E2E_KUBERAY_VERSION", r.Version)
		if on.KubeRay != r || on.OperatorImage != r.OperatorImage() || off.OperatorImage != r.OfflineOperatorImage() {
			t.Errorf("E2E_KUBERAY_VERSION=%s: release %s, operator image %s, offline %s", r.Version, on.KubeRay.Version, on.OperatorImage, off.OperatorImage)
		}
	}
	clearEnv(t)
	if s, err := FromEnv("/repo", time.Now()); err != nil || !s.KubeRay.IsDefault() {
		t.Errorf("default KubeRay %s (%v), want %s", s.KubeRay.Version, err, versions.KubeRay)
	}
}

// E2E_RAY_VERSION picks the Ray release, and the Ray image follows it online
// and offline unless E2E_RAY_IMAGE names one; Describe lists every release.
func TestRaySetting(t *testing.T) {
	for _, r := range versions.RayReleases {
		if !strings.Contains(Describe, r.Version) {
			t.Errorf("Describe does not list Ray %s", r.Version)
		}
		on, off := fromEnvOnAndOffline(t, "E2E_RAY_VERSION", r.Version)
		if on.Ray != r || on.RayImage != "rayproject/ray:"+r.Version || off.RayImage != "kuberay-e2e/ray:"+r.Version {
			t.Errorf("E2E_RAY_VERSION=%s: release %s, image %s, offline %s", r.Version, on.Ray.Version, on.RayImage, off.RayImage)
		}
		t.Setenv("E2E_RAY_IMAGE", "mirror.example/ray:"+r.Version)
		if s, err := FromEnv("/repo", time.Now()); err != nil || s.RayImage != "mirror.example/ray:"+r.Version || s.Ray != r {
			t.Errorf("E2E_RAY_IMAGE with E2E_RAY_VERSION=%s: image %s, release %s (%v)", r.Version, s.RayImage, s.Ray.Version, err)
		}
	}
	clearEnv(t)
	if s, err := FromEnv("/repo", time.Now()); err != nil || !s.Ray.IsDefault() || s.RayImage != versions.RayImage {
		t.Errorf("default Ray %s, image %s (%v), want %s", s.Ray.Version, s.RayImage, err, versions.Ray)
	}
}
