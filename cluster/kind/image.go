package kind

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// NodeImage is a node image reference pinned by digest, or a local image
// (built here, never pulled) named by tag.
type NodeImage struct {
	Repository string // e.g. kindest/node, or registry.example:5000/kindest/node
	Tag        string // e.g. v1.24.17
	Digest     string // sha256:<64 hex digits>; empty for a local image
}

func (i NodeImage) String() string {
	if i.Local() {
		return i.Repository + ":" + i.Tag
	}
	return i.Repository + ":" + i.Tag + "@" + i.Digest
}

// Local reports an image that must already be in the engine: one built by
// scripts/offline-images, which no registry serves and so no digest pins.
func (i NodeImage) Local() bool { return i.Digest == "" }

// LocalNodeImage names a node image built on this machine, e.g.
// kuberay-e2e/node:v1.24.17. Create refuses it unless the engine has it.
func LocalNodeImage(ref string) (NodeImage, error) {
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if strings.Contains(ref, "@") || colon <= slash || !tagRE.MatchString(ref[colon+1:]) || ref[:colon] == "" {
		return NodeImage{}, fmt.Errorf("local node image %q: write it as repository:tag", ref)
	}
	return NodeImage{Repository: ref[:colon], Tag: ref[colon+1:]}, nil
}

// Kubernetes is the Kubernetes version the tag names ("v1.24.17"), or "" for
// a tag that names none.
func (i NodeImage) Kubernetes() string {
	if semverTag.MatchString(i.Tag) {
		return i.Tag
	}
	return ""
}

// Published reports whether the image is one the pinned kind release
// published, and so one it is known to work with.
func (i NodeImage) Published() bool {
	for _, p := range versions.KindNodeImages {
		if p == i.String() {
			return true
		}
	}
	return false
}

var (
	digestRE  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	semverTag = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)
	tagRE     = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
)

// ParseNodeImage parses repository:tag@sha256:digest. A tag alone is
// refused: kind node images are rebuilt under the same tag for each kind
// release, and only the digest names the build a kind release supports.
func ParseNodeImage(ref string) (NodeImage, error) {
	ref = strings.TrimSpace(ref)
	name, digest, ok := strings.Cut(ref, "@")
	if !ok {
		return NodeImage{}, fmt.Errorf("node image %q is not pinned by digest: write it as repository:tag@sha256:<digest> (the digests kind %s publishes are in versions/versions.go)", ref, versions.KindLibrary)
	}
	if !digestRE.MatchString(digest) {
		return NodeImage{}, fmt.Errorf("node image %q: %q is not a sha256 digest (sha256: and 64 lowercase hex digits)", ref, digest)
	}
	// The tag follows the last ':' after the last '/', so that a registry
	// port (host:5000/...) is not taken for a tag.
	slash := strings.LastIndex(name, "/")
	colon := strings.LastIndex(name, ":")
	if colon <= slash {
		return NodeImage{}, fmt.Errorf("node image %q has no tag: write repository:tag@sha256:<digest>, e.g. %s", ref, versions.KindNodeImages[0])
	}
	img := NodeImage{Repository: name[:colon], Tag: name[colon+1:], Digest: digest}
	if img.Repository == "" || !tagRE.MatchString(img.Tag) {
		return NodeImage{}, fmt.Errorf("node image %q: %q is not a repository:tag", ref, name)
	}
	return img, nil
}

// ResolveNodeImage picks the node image for a run. setting is
// E2E_KIND_NODE_IMAGE: empty, a Kubernetes version with a pinned image
// ("1.29", "v1.24.17"), or a full pinned reference. kubernetes is the
// suite's Kubernetes version, used when setting is empty.
func ResolveNodeImage(setting, kubernetes string) (NodeImage, error) {
	setting = strings.TrimSpace(setting)
	if strings.ContainsAny(setting, "/:@") {
		return ParseNodeImage(setting)
	}
	want := setting
	if want == "" {
		want = kubernetes
	}
	if img, ok := pinnedImage(want); ok {
		return img, nil
	}
	// kind publishes its own patch of a minor (v1.37.0 where v1.37.2 is
	// pinned): the pinned release names the image of its minor. The run
	// records the API server's own version, so the patch is not hidden.
	if k, err := versions.LookupKubernetes(want); err == nil && k.KindNodeImage != "" {
		return ParseNodeImage(k.KindNodeImage)
	}
	var have []string
	for _, ref := range versions.KindNodeImages {
		img, _ := ParseNodeImage(ref)
		have = append(have, img.Tag)
	}
	if setting == "" {
		return NodeImage{}, fmt.Errorf("kind %s publishes no node image for Kubernetes %s (it has %s): set E2E_KIND_NODE_IMAGE to one of them, or run %s on E2E_PROVIDER=local", versions.KindLibrary, kubernetes, strings.Join(have, ", "), kubernetes)
	}
	return NodeImage{}, fmt.Errorf("E2E_KIND_NODE_IMAGE=%s: no pinned node image for that version (pinned: %s); name one of them or a full kindest/node:<tag>@sha256:<digest>", setting, strings.Join(have, ", "))
}

// pinnedImage finds a pinned image by full version or minor, with or
// without the leading v.
func pinnedImage(v string) (NodeImage, bool) {
	v = strings.TrimPrefix(v, "v")
	if v == "" {
		return NodeImage{}, false
	}
	for _, ref := range versions.KindNodeImages {
		img, err := ParseNodeImage(ref)
		if err != nil {
			continue
		}
		tag := strings.TrimPrefix(img.Tag, "v")
		if tag == v || strings.HasPrefix(tag, v+".") {
			return img, true
		}
	}
	return NodeImage{}, false
}

// ResolveOfflineNodeImage picks the node image in offline mode, where
// nothing can be pulled: the node image scripts/offline-images builds for
// setting's Kubernetes version ("1.29") or else kubernetes's, or the local
// image setting names by tag, or a digest-pinned image the engine already
// has.
func ResolveOfflineNodeImage(setting, kubernetes string) (NodeImage, error) {
	setting = strings.TrimSpace(setting)
	switch {
	case strings.Contains(setting, "@"):
		return ParseNodeImage(setting)
	case strings.ContainsAny(setting, "/:"):
		return LocalNodeImage(setting)
	}
	v := setting
	if v == "" {
		v = kubernetes
	}
	k, err := versions.LookupKubernetes(v)
	if err != nil {
		return NodeImage{}, fmt.Errorf("E2E_KIND_NODE_IMAGE=%s: %w", setting, err)
	}
	return LocalNodeImage(versions.OfflineNodeImage(k))
}
