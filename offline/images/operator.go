package images

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Static is the recipe of a one-binary image: a static binary at /<Path>,
// /etc/passwd and /etc/group naming its non-root user, and /tmp. The
// offline operator and probe images are made this way.
type Static struct {
	Name string // image name, e.g. versions.OfflineOperatorImage
	// Binary is the file to put in the image; its cache directory's name
	// (binaries name them by their build inputs) is part of the recipe.
	Binary string
	Path   string // where the binary goes, without the leading slash
	UID    int    // uid and gid the image runs as
	User   string // that user's name in /etc/passwd
	// recipe names the kind of image in its cache key and tarball name.
	recipe string
}

// Operator is the recipe of the offline KubeRay operator image of a
// release: its operator binary built from the release's module, as
// /manager, uid 65532 like the published image.
type Operator = Static

const operatorUID = 65532

// NewOperator is release r's operator image recipe for the binary at bin.
func NewOperator(r versions.KubeRayRelease, bin string) Operator {
	return Static{Name: r.OfflineOperatorImage(), Binary: bin, Path: "manager", UID: operatorUID, User: "nonroot", recipe: "kuberay-operator-" + r.Version}
}

// OperatorFromCache finds (or builds, the first time) the operator binary
// of release r and returns the recipe.
func OperatorFromCache(ctx context.Context, r versions.KubeRayRelease, progress io.Writer) (Operator, error) {
	k, err := versions.LookupKubernetes(versions.DefaultKubernetes)
	if err != nil {
		return Operator{}, err
	}
	paths, err := binaries.EnsureTarget(ctx, k, "ray-operator", binaries.WithProgress(progress), binaries.WithKubeRay(r))
	if err != nil {
		return Operator{}, err
	}
	return NewOperator(r, paths["ray-operator"]), nil
}

// pauseUID is the user of registry.k8s.io/pause, which step 3's hardened
// probe names in runAsUser.
const pauseUID = 65535

// PauseFromCache builds (or finds) this project's pause program and returns
// the recipe of the offline probe image, versions.OfflinePauseImage.
func PauseFromCache(ctx context.Context) (Static, error) {
	cache, err := CacheDir()
	if err != nil {
		return Static{}, err
	}
	_, tag, _ := strings.Cut(versions.OfflinePauseImage, ":")
	bin, _, err := buildPause(ctx, cache, tag)
	if err != nil {
		return Static{}, err
	}
	return Static{Name: versions.OfflinePauseImage, Binary: bin, Path: "pause", UID: pauseUID, User: "pause", recipe: "pause-" + tag}, nil
}

// Key changes with the binary (its cache directory is named by the build's
// inputs) and with this recipe.
func (s Static) Key() string {
	return key("static-image/1", s.recipe, filepath.Base(filepath.Dir(s.Binary)), s.Name, s.Path, fmt.Sprint(s.UID), s.User)
}

// Tarball is where the image's file system is cached.
func (s Static) Tarball(cache string) string {
	return filepath.Join(cache, "images", fmt.Sprintf("%s-%s.tar", s.recipe, s.Key()))
}

// Build writes the tarball unless cached.
func (s Static) Build(cache string) (string, bool, error) {
	out := s.Tarball(cache)
	if fileExists(out) {
		return out, true, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", false, err
	}
	bin, err := os.Open(s.Binary)
	if err != nil {
		return "", false, fmt.Errorf("%s binary: %w (fix: go run ./cmd/local-binaries)", s.Name, err)
	}
	defer bin.Close()
	fi, err := bin.Stat()
	if err != nil {
		return "", false, err
	}
	tmp := out + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return "", false, err
	}
	defer os.Remove(tmp)
	tw := tar.NewWriter(f)
	mtime := time.Unix(0, 0)
	dirs := []struct {
		name string
		mode int64
	}{{"etc/", 0o755}, {"tmp/", 0o1777}}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Name: d.name, Mode: d.mode, Typeflag: tar.TypeDir, ModTime: mtime}); err != nil {
			return "", false, err
		}
	}
	files := []struct{ name, body string }{
		{"etc/passwd", fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n", s.User, s.UID, s.UID, s.User, s.User)},
		{"etc/group", fmt.Sprintf("root:x:0:\n%s:x:%d:\n", s.User, s.UID)},
	}
	for _, fl := range files {
		if err := tw.WriteHeader(&tar.Header{Name: fl.name, Mode: 0o644, Size: int64(len(fl.body)), Typeflag: tar.TypeReg, ModTime: mtime}); err != nil {
			return "", false, err
		}
		if _, err := io.WriteString(tw, fl.body); err != nil {
			return "", false, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: s.Path, Mode: 0o755, Size: fi.Size(), Typeflag: tar.TypeReg, ModTime: mtime}); err != nil {
		return "", false, err
	}
	if _, err := io.Copy(tw, bin); err != nil {
		return "", false, err
	}
	if err := tw.Close(); err != nil {
		return "", false, err
	}
	if err := f.Close(); err != nil {
		return "", false, err
	}
	return out, false, os.Rename(tmp, out)
}

// ImportArgs are the docker import arguments: the binary as entrypoint,
// run as UID:UID.
func (s Static) ImportArgs(tarball string) []string {
	return importArgs(tarball, s.Name, s.Key(),
		fmt.Sprintf("USER %d:%d", s.UID, s.UID),
		fmt.Sprintf(`ENTRYPOINT ["/%s"]`, s.Path),
	)
}

// importArgs are `docker import` arguments for a tarball: the image config
// changes, then the recipe label every image carries so a later build can
// tell whether the loaded image is current.
func importArgs(tarball, name, key string, changes ...string) []string {
	args := []string{"import"}
	for _, c := range append(changes, "LABEL "+RecipeLabel+"="+key) {
		args = append(args, "--change", c)
	}
	return append(args, tarball, name)
}
