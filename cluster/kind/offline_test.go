package kind

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLocalNodeImage(t *testing.T) {
	img, err := LocalNodeImage("kuberay-e2e/node:v1.24.17")
	if err != nil {
		t.Fatal(err)
	}
	if !img.Local() || img.String() != "kuberay-e2e/node:v1.24.17" || img.Kubernetes() != "v1.24.17" || img.Published() {
		t.Errorf("local image %+v: String %s Kubernetes %s", img, img, img.Kubernetes())
	}
	pinned, err := ParseNodeImage("kindest/node:v1.24.17@sha256:" + strings.Repeat("a", 64))
	if err != nil || pinned.Local() {
		t.Errorf("a digest-pinned image is not local: %+v %v", pinned, err)
	}
	for _, bad := range []string{"kuberay-e2e/node", "localhost:5000/node", "node:v1@sha256:" + strings.Repeat("a", 64), ":v1"} {
		if _, err := LocalNodeImage(bad); err == nil {
			t.Errorf("LocalNodeImage(%q): want an error", bad)
		}
	}
}

// Offline, a missing image ends Create before kind runs anything: no node
// container is started, and the error names every missing image and the fix.
func TestOfflineCreateRefusesMissingImages(t *testing.T) {
	calls := useFakeDocker(t)
	isolateHome(t)
	c := offlineCluster(t, "kuberay-e2e/node:v1.24.17,kuberay-e2e/pause:3.9",
		WithImages("kuberay-e2e/kuberay-operator:v1.5.1", "kuberay-e2e/ray:2.46.0", "kuberay-e2e/pause:3.9"))
	_, err := c.Create(context.Background())
	if err == nil {
		t.Fatal("Create succeeded without the images")
	}
	for _, want := range []string{"kuberay-e2e/kuberay-operator:v1.5.1", "kuberay-e2e/ray:2.46.0", "scripts/offline-images -load"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "pause") {
		t.Errorf("error %q names an image the engine has", err)
	}
	if runs := callsOf(calls(), "run"); len(runs) > 0 {
		t.Errorf("kind started containers: %v", runs)
	}
	if !c.preloads() {
		t.Error("offline mode must preload: the node can pull nothing")
	}
}

// With every image present, Create goes on to kind (which the fake engine
// then refuses at docker run), and kind is given the local image by tag.
func TestOfflineCreateUsesTheLocalNodeImage(t *testing.T) {
	calls := useFakeDocker(t)
	isolateHome(t)
	c := offlineCluster(t, "kuberay-e2e/node:v1.24.17,kuberay-e2e/ray:2.46.0", WithImages("kuberay-e2e/ray:2.46.0"))
	_, err := c.Create(context.Background())
	if err == nil || !strings.Contains(err.Error(), fakeRunRefused) {
		t.Fatalf("want kind to reach docker run, got %v", err)
	}
	runs := callsOf(calls(), "run")
	if len(runs) != 1 || runs[0][len(runs[0])-1] != "kuberay-e2e/node:v1.24.17" {
		t.Errorf("docker run calls %v: want one on the local node image", runs)
	}
}

func TestOfflinePlan(t *testing.T) {
	node, _ := LocalNodeImage("kuberay-e2e/node:v1.24.17")
	c := newCluster(t, WithNodeImage(node), WithOffline(true), WithImages("kuberay-e2e/ray:2.46.0"), WithPackageIndex("/cache/pip-index/x", "kuberay-e2e/ray:2.46.0"))
	lines, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	// The published chart is on the internet; online, it is the default.
	if got := c.DefaultChart(); got != "standin" {
		t.Errorf("offline default chart %q, want standin", got)
	}
	if got := newCluster(t).DefaultChart(); got != "repo" {
		t.Errorf("online default chart %q, want repo", got)
	}
	plan := strings.Join(lines, "\n")
	for _, want := range []string{"built on this machine", "offline: nothing is pulled", "serve the package index /cache/pip-index/x"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
}

func TestResolveOfflineNodeImage(t *testing.T) {
	cases := []struct{ setting, kubernetes, want string }{
		{"", "v1.24.17", "kuberay-e2e/node:v1.24.17"},
		{"1.29", "v1.24.17", "kuberay-e2e/node:v1.29.2"},
		{"v1.34.4", "v1.24.17", "kuberay-e2e/node:v1.34.4"},
		{"mine/node:v1.24.17", "v1.24.17", "mine/node:v1.24.17"},
	}
	for _, c := range cases {
		img, err := ResolveOfflineNodeImage(c.setting, c.kubernetes)
		if err != nil || img.String() != c.want || !img.Local() {
			t.Errorf("ResolveOfflineNodeImage(%q, %q) = %s, %v; want local %s", c.setting, c.kubernetes, img, err, c.want)
		}
	}
	pinned, err := ResolveOfflineNodeImage("kindest/node:v1.24.17@sha256:"+strings.Repeat("b", 64), "")
	if err != nil || pinned.Local() {
		t.Errorf("a digest-pinned image stays pinned: %s %v", pinned, err)
	}
	if _, err := ResolveOfflineNodeImage("1.19", ""); err == nil || !strings.Contains(err.Error(), "E2E_KIND_NODE_IMAGE=1.19") {
		t.Errorf("an unpinned version: %v", err)
	}
}

// The index container is removed by its name, known before it starts: a
// failed Create (here kind's docker run, refused by the fake engine) removes
// it as well as the node, so an interrupted index start leaves nothing.
func TestFailedCreateRemovesTheIndexContainer(t *testing.T) {
	calls := useFakeDocker(t)
	isolateHome(t)
	index := t.TempDir()
	have := "kuberay-e2e/node:v1.24.17,kuberay-e2e/ray:2.46.0"
	// An index that is not built stops Create before kind makes anything.
	c := offlineCluster(t, have, WithImages("kuberay-e2e/ray:2.46.0"), WithPackageIndex(index, "kuberay-e2e/ray:2.46.0"))
	if _, err := c.Create(context.Background()); err == nil || !strings.Contains(err.Error(), "scripts/offline-images pip-index") {
		t.Fatalf("unbuilt index: %v", err)
	}
	if runs := callsOf(calls(), "run"); len(runs) > 0 {
		t.Errorf("kind ran containers for an unbuilt index: %v", runs)
	}
	if err := os.MkdirAll(filepath.Join(index, "simple"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(index, "simple", "index.html"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c = offlineCluster(t, have, WithImages("kuberay-e2e/ray:2.46.0"), WithPackageIndex(index, "kuberay-e2e/ray:2.46.0"))
	if _, err := c.Create(context.Background()); err == nil || !strings.Contains(err.Error(), fakeRunRefused) {
		t.Fatalf("want kind to reach docker run, got %v", err)
	}
	var removed []string
	for _, rm := range callsOf(calls(), "rm") {
		removed = append(removed, rm[len(rm)-1])
	}
	want := pipIndexContainer(c.Name())
	if !slices.Contains(removed, want) {
		t.Errorf("removed %v; want the index container %s among them", removed, want)
	}
	// Without an index nothing of that name is touched.
	calls2 := useFakeDocker(t)
	c2 := offlineCluster(t, "kuberay-e2e/node:v1.24.17", WithImages())
	_, _ = c2.Create(context.Background())
	for _, rm := range callsOf(calls2(), "rm") {
		if strings.HasSuffix(rm[len(rm)-1], "-pip-index") {
			t.Errorf("removed %v without an index", rm)
		}
	}
}

// offlineCluster is an offline cluster on the local v1.24.17 node image,
// with the fake engine (useFakeDocker) holding the images have names.
func offlineCluster(t *testing.T, have string, opts ...Option) *Cluster {
	t.Helper()
	node, err := LocalNodeImage("kuberay-e2e/node:v1.24.17")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeImagesEnv, have)
	return newCluster(t, append([]Option{WithProgress(&bytes.Buffer{}), WithNodeImage(node), WithOffline(true)}, opts...)...)
}
