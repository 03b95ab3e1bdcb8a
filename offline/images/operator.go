package images

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Operator is the recipe of the offline KubeRay operator image: the
// operator binary built from the pinned module, as /manager, uid 65532.
type Operator struct {
	Name string // versions.OfflineOperatorImage
	// Binary is the ray-operator binary (binaries.Ensure builds and caches it).
	Binary string
}

const operatorUID = 65532

// OperatorFromCache finds (or builds, the first time) the operator binary
// of the pinned release and returns the recipe.
func OperatorFromCache(ctx context.Context, progress io.Writer) (Operator, error) {
	k, err := versions.LookupKubernetes(versions.DefaultKubernetes)
	if err != nil {
		return Operator{}, err
	}
	paths, err := binaries.EnsureTarget(ctx, k, "ray-operator", binaries.WithProgress(progress))
	if err != nil {
		return Operator{}, err
	}
	return Operator{Name: versions.OfflineOperatorImage, Binary: paths["ray-operator"]}, nil
}

// Key changes with the binary (its cache directory is named by the build's
// inputs) and with this recipe.
func (o Operator) Key() string {
	return key("operator-image/1", filepath.Base(filepath.Dir(o.Binary)), o.Name)
}

// Tarball is where the image's file system is cached.
func (o Operator) Tarball(cache string) string {
	return filepath.Join(cache, "images", fmt.Sprintf("kuberay-operator-%s-%s.tar", versions.KubeRay, o.Key()))
}

// Build writes the tarball unless cached: /manager, /etc/passwd and
// /etc/group naming uid and gid 65532 "nonroot", and /tmp.
func (o Operator) Build(cache string) (string, bool, error) {
	out := o.Tarball(cache)
	if fileExists(out) {
		return out, true, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", false, err
	}
	bin, err := os.Open(o.Binary)
	if err != nil {
		return "", false, fmt.Errorf("operator binary: %w (fix: go run ./cmd/local-binaries)", err)
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
		{"etc/passwd", fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", operatorUID, operatorUID)},
		{"etc/group", fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", operatorUID)},
	}
	for _, fl := range files {
		if err := tw.WriteHeader(&tar.Header{Name: fl.name, Mode: 0o644, Size: int64(len(fl.body)), Typeflag: tar.TypeReg, ModTime: mtime}); err != nil {
			return "", false, err
		}
		if _, err := io.WriteString(tw, fl.body); err != nil {
			return "", false, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "manager", Mode: 0o755, Size: fi.Size(), Typeflag: tar.TypeReg, ModTime: mtime}); err != nil {
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

// ImportArgs are the docker import arguments: /manager as entrypoint, run
// as 65532:65532 like the published image.
func (o Operator) ImportArgs(tarball string) []string {
	return importArgs(tarball, o.Name, o.Key(),
		fmt.Sprintf("USER %d:%d", operatorUID, operatorUID),
		`ENTRYPOINT ["/manager"]`,
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
