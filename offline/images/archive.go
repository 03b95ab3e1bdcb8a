package images

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// File is one file of a single-layer image.
type File struct {
	Path string // inside the image, without a leading slash
	Mode int64
	// Source is a file to copy, or Body the content.
	Source string
	Body   []byte
}

// Config is the part of an image's configuration these images set.
type Config struct {
	Entrypoint []string
	Env        []string
	User       string
	Labels     map[string]string
}

// WriteDockerArchive writes a one-layer image named name in the format of
// `docker save` (manifest.json, config, layer.tar), which `docker load` and
// `ctr images import` both read. Nothing is fetched: the layer is the tree
// under root (when not empty) and then files.
func WriteDockerArchive(w io.Writer, name, root string, files []File, cfg Config) error {
	var layer bytes.Buffer
	if err := writeLayer(&layer, root, files); err != nil {
		return err
	}
	layerSum := sha256.Sum256(layer.Bytes())
	diffID := "sha256:" + hex.EncodeToString(layerSum[:])
	config := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      time.Unix(0, 0).UTC().Format(time.RFC3339),
		"config": map[string]any{
			"Entrypoint": cfg.Entrypoint,
			"Env":        cfg.Env,
			"User":       cfg.User,
			"Labels":     cfg.Labels,
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history": []map[string]any{{"created_by": "kuberay-pod-security-e2e offline/images", "created": time.Unix(0, 0).UTC().Format(time.RFC3339)}},
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return err
	}
	configSum := sha256.Sum256(configJSON)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := hex.EncodeToString(layerSum[:]) + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{name}, "Layers": []string{layerName}}})
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, f := range []struct {
		name string
		body []byte
	}{{configName, configJSON}, {layerName, layer.Bytes()}, {"manifest.json", manifest}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(f.body); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeLayer(w io.Writer, root string, files []File) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	if root != "" {
		if err := addTree(tw, root, dirs); err != nil {
			return err
		}
	}
	for _, f := range files {
		// Parent directories first.
		for i := 0; i < len(f.Path); i++ {
			if f.Path[i] == '/' && !dirs[f.Path[:i+1]] {
				dirs[f.Path[:i+1]] = true
				if err := tw.WriteHeader(&tar.Header{Name: f.Path[:i+1], Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(0, 0)}); err != nil {
					return err
				}
			}
		}
		body := f.Body
		if f.Source != "" {
			b, err := os.ReadFile(f.Source)
			if err != nil {
				return fmt.Errorf("image file %s: %w", f.Path, err)
			}
			body = b
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.Path, Mode: f.Mode, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(body); err != nil {
			return err
		}
	}
	return tw.Close()
}

// addTree writes the directories, regular files and symlinks under root
// (devices and sockets are left out: a container runtime provides /dev),
// keeping modes and numeric owners.
func addTree(tw *tar.Writer, root string, dirs map[string]bool) error {
	return filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		var link string
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		case fi.IsDir(), fi.Mode().IsRegular():
		default:
			return nil
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = rel
		if fi.IsDir() {
			h.Name += "/"
			dirs[h.Name] = true
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			h.Uid, h.Gid = int(st.Uid), int(st.Gid)
		}
		h.Uname, h.Gname = "", ""
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
}
