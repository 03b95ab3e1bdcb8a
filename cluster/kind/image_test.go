package kind

import (
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

const digest = "sha256:bad10f9b98d54586cba05a7eaa1b61c6b90bfc4ee174fdc43a7b75ca75c95e51"

func TestParseNodeImage(t *testing.T) {
	for ref, want := range map[string]NodeImage{
		"kindest/node:v1.24.17@" + digest:                 {"kindest/node", "v1.24.17", digest},
		"localhost:5000/kindest/node:v1.24.17@" + digest:  {"localhost:5000/kindest/node", "v1.24.17", digest},
		" registry.example/kind/node:custom-1@" + digest:  {"registry.example/kind/node", "custom-1", digest},
		"docker.io/kindest/node:v1.29.2@" + digest + "\n": {"docker.io/kindest/node", "v1.29.2", digest},
	} {
		got, err := ParseNodeImage(ref)
		if err != nil {
			t.Errorf("ParseNodeImage(%q): %v", ref, err)
			continue
		}
		if got != want {
			t.Errorf("ParseNodeImage(%q) = %+v, want %+v", ref, got, want)
		}
		if got.String() != strings.TrimSpace(ref) {
			t.Errorf("String() = %q, want %q", got.String(), strings.TrimSpace(ref))
		}
	}
}

func TestParseNodeImageRefuses(t *testing.T) {
	for ref, want := range map[string]string{
		"kindest/node:v1.24.17":                                    "not pinned by digest",
		"kindest/node:v1.24.17@sha256:bad10f9b":                    "not a sha256 digest",
		"kindest/node:v1.24.17@sha256:" + strings.Repeat("A", 64):  "not a sha256 digest",
		"kindest/node:v1.24.17@sha512:" + strings.Repeat("a", 128): "not a sha256 digest",
		"kindest/node@" + digest:                                   "no tag",
		"localhost:5000/kindest/node@" + digest:                    "no tag",
		":v1.24.17@" + digest:                                      "not a repository:tag",
		"kindest/node:@" + digest:                                  "not a repository:tag",
	} {
		_, err := ParseNodeImage(ref)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseNodeImage(%q) = %v; want an error saying %q", ref, err, want)
		}
	}
}

func TestKubernetesOfTheTag(t *testing.T) {
	img, _ := ParseNodeImage("kindest/node:v1.24.17@" + digest)
	if img.Kubernetes() != "v1.24.17" {
		t.Errorf("Kubernetes() = %q", img.Kubernetes())
	}
	custom, _ := ParseNodeImage("kindest/node:latest-build@" + digest)
	if custom.Kubernetes() != "" {
		t.Errorf("a tag without a version gave %q", custom.Kubernetes())
	}
}

func TestPinnedImagesArePublished(t *testing.T) {
	for _, ref := range versions.KindNodeImages {
		img, err := ParseNodeImage(ref)
		if err != nil {
			t.Errorf("pin %s: %v", ref, err)
			continue
		}
		if !img.Published() {
			t.Errorf("pin %s is not Published()", ref)
		}
	}
	other, _ := ParseNodeImage("kindest/node:v1.24.17@sha256:" + strings.Repeat("0", 64))
	if other.Published() {
		t.Error("a digest kind did not publish counts as published")
	}
}

func TestResolveNodeImage(t *testing.T) {
	for _, tc := range []struct{ setting, kubernetes, want string }{
		{"", "v1.24.17", versions.KindNodeImage124},
		{"", "1.24", versions.KindNodeImage124},
		{"1.37", "v1.24.17", versions.KindNodeImage137},
		{"v1.37.0", "v1.24.17", versions.KindNodeImage137},
		// kind publishes v1.37.0; the pinned release of that minor is v1.37.2.
		{"", "v1.37.2", versions.KindNodeImage137},
		{"v1.37.2", "v1.24.17", versions.KindNodeImage137},
		{"1.24", "v1.34.4", versions.KindNodeImage124},
		{versions.KindNodeImage137, "v1.24.17", versions.KindNodeImage137},
		{"registry.example/node:v1.30.0@" + digest, "", "registry.example/node:v1.30.0@" + digest},
	} {
		got, err := ResolveNodeImage(tc.setting, tc.kubernetes)
		if err != nil || got.String() != tc.want {
			t.Errorf("ResolveNodeImage(%q, %q) = %s, %v; want %s", tc.setting, tc.kubernetes, got, err, tc.want)
		}
	}
}

func TestResolveNodeImageRefuses(t *testing.T) {
	// The local tier's v1.29 has no node image from kind v0.33.0 (only
	// v0.22.0 published one).
	_, err := ResolveNodeImage("", "v1.29.2")
	for _, want := range []string{"v1.29.2", versions.KindLibrary, "E2E_KIND_NODE_IMAGE", "E2E_PROVIDER=local", "v1.37.0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no image for v1.29.2: %v; want it to mention %s", err, want)
		}
	}
	for _, setting := range []string{"1.30", "1.2", "2", "1.29"} {
		_, err := ResolveNodeImage(setting, "v1.24.17")
		if err == nil || !strings.Contains(err.Error(), "E2E_KIND_NODE_IMAGE="+setting) {
			t.Errorf("E2E_KIND_NODE_IMAGE=%s: %v", setting, err)
		}
	}
	if _, err := ResolveNodeImage("kindest/node:v1.24.17", ""); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("an unpinned reference: %v", err)
	}
}
