// KubeRay's files as a tutorial names them: by URL, by path or by branch.
// What exists is asked of a KubeRay source: the pinned ray-operator module,
// or a checkout.

package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// KubeRay is the KubeRay source paths are checked against.
type KubeRay interface {
	// Describe names the source in findings, e.g. "KubeRay v1.6.2".
	Describe() string
	// Path says whether p, relative to a KubeRay checkout's top directory,
	// exists; checked is false when the source cannot tell (the module has
	// ray-operator/ only).
	Path(p string) (exists, checked bool)
}

// Source is a KubeRay source on disk: the ray-operator directory (of the
// pinned Go module or a checkout), and the checkout's top directory when
// there is one.
type Source struct {
	Name        string // e.g. "KubeRay v1.6.2"
	OperatorDir string
	Root        string // "" for the module alone
}

// Describe names the source.
func (s Source) Describe() string { return s.Name }

// Path says whether p exists in the source; outside ray-operator/ only a
// checkout can tell.
func (s Source) Path(p string) (exists, checked bool) {
	full, ok := s.File(p)
	if !ok {
		return false, false
	}
	_, err := os.Stat(full)
	return !errors.Is(err, fs.ErrNotExist), true
}

// File is where p, a path of a KubeRay checkout, is on disk in the source;
// false when the source does not have that part of KubeRay.
func (s Source) File(p string) (string, bool) {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "kuberay/"), "/")
	if rel, ok := strings.CutPrefix(p+"/", "ray-operator/"); ok {
		return filepath.Join(s.OperatorDir, filepath.FromSlash(strings.TrimSuffix(rel, "/"))), true
	}
	if s.Root != "" {
		return filepath.Join(s.Root, filepath.FromSlash(p)), true
	}
	return "", false
}

var (
	kubeRayURLRE = regexp.MustCompile(`https?://(?:github\.com/ray-project/kuberay/(?:blob|tree|raw)|raw\.githubusercontent\.com/ray-project/kuberay)/([^/\s)]+)/([^\s)"'` + "`" + `#?]+)`)
	// kubeRayPathRE is a KubeRay path written without a URL.
	kubeRayPathRE = regexp.MustCompile(`(?:^|[\s` + "`" + `'"(=:])((?:kuberay/)?(?:ray-operator|helm-chart)/[\w./-]*[\w])`)
	releaseRefRE  = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)
	unpinnedRE    = regexp.MustCompile(`(?i)(check\s*out|checkout|switch to|use)\W+(?:the\s+)?` + "`?" + `(master|main)` + "`?" + `\s+branch|git\s+(?:checkout|switch)\s+(master|main)\b|` + "`?" + `(master|main)` + "`?" + `\s*分支`)
)

// replacements are this repository's files for KubeRay's deleted ones.
var replacements = map[string]string{
	"ray-operator/config/security":                               "this repository's " + facts.KindConfigFile + ", " + facts.AuditPolicyFile + " and " + facts.PodSecurityClusterFile,
	"ray-operator/config/security/kind-config.yaml":              facts.KindConfigFile + " in this repository",
	"ray-operator/config/security/audit-policy.yaml":             facts.AuditPolicyFile + " in this repository",
	"ray-operator/config/security/ray-cluster.pod-security.yaml": facts.PodSecurityClusterFile + " in this repository",
}

// KubeRayURL splits a URL of a file in KubeRay's repository into the ref
// (tag or branch) and the file's path.
func KubeRayURL(u string) (ref, path string, ok bool) {
	m := kubeRayURLRE.FindStringSubmatch(u)
	if m == nil {
		return "", "", false
	}
	return m[1], strings.TrimRight(m[2], ".,;:!"), true
}

// KubeRayRefs checks the KubeRay URLs, paths and branches a line names: a
// URL at another ref than the pin moves under the tutorial, a path must
// exist in src, and a branch moves (KubeRay deleted this tutorial's files
// from it in 2025).
func KubeRayRefs(n int, line string, src KubeRay) []Finding {
	var out []Finding
	rest := line
	for _, m := range kubeRayURLRE.FindAllStringSubmatch(line, -1) {
		// Sentence punctuation after a URL is not part of it.
		p := strings.TrimRight(m[2], ".,;:!")
		switch {
		case m[1] == versions.KubeRay:
		case releaseRefRE.MatchString(m[1]):
			// A release tag does not move: pinned, only not this project's.
			out = append(out, Finding{Line: n, Rule: "ref", Note: true, Problem: "links KubeRay at " + m[1] + ", not this project's pin", Truth: "this project checks KubeRay " + versions.KubeRay})
		default:
			out = append(out, Finding{Line: n, Rule: "ref", Problem: fmt.Sprintf("links KubeRay at %s, which changes under the tutorial", m[1]), Truth: "the tutorial is pinned to KubeRay " + versions.KubeRay + ": use " + versions.KubeRay + " in the URL"})
		}
		out = append(out, KubeRayPath(n, p, src)...)
		rest = strings.Replace(rest, m[0], "", 1)
	}
	for _, m := range kubeRayPathRE.FindAllStringSubmatch(rest, -1) {
		out = append(out, KubeRayPath(n, m[1], src)...)
	}
	if m := unpinnedRE.FindString(line); m != "" {
		out = append(out, Finding{Line: n, Rule: "ref", Problem: fmt.Sprintf("%q: a branch moves, and KubeRay deleted this tutorial's files from it in 2025", strings.TrimSpace(m)), Truth: "use KubeRay " + versions.KubeRay + " (git checkout " + versions.KubeRay + ") and this repository's files"})
	}
	return out
}

// KubeRayPath checks that a path of a KubeRay checkout exists in src. One
// src cannot check is an Unchecked finding, saying what would check it.
func KubeRayPath(n int, p string, src KubeRay) []Finding {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "kuberay/"), "/")
	exists, checked := src.Path(p)
	switch {
	case !checked:
		return []Finding{{Line: n, Rule: "path", Unchecked: true, Problem: p + ": " + src.Describe() + " here is the ray-operator Go module only",
			Truth: "pass --kuberay with a checkout to check paths outside ray-operator/"}}
	case !exists:
		truth, ok := replacements[p]
		if !ok {
			truth = "it is not in " + src.Describe()
			if r, found := replacements[path.Dir(p)]; found {
				truth = "its directory is gone; use " + r
			}
		}
		return []Finding{{Line: n, Rule: "path", Problem: p + " does not exist in " + src.Describe(), Truth: truth}}
	}
	return nil
}
