// Reading the objects the document's YAML creates, inline or in files its
// commands apply, so that the names the document uses can be checked.

package drift

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/rules"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// collectObjects gathers the objects the document's YAML creates.
func (c *checker) collectObjects() {
	for _, o := range c.doc.Objects {
		c.addObject(o.Unstructured, fmt.Sprintf("the YAML at line %d", o.Line))
		if rc := rayClusterOf(o.Unstructured); rc != nil {
			c.clusterObjs = append(c.clusterObjs, clusterObj{obj: rc, line: o.Line})
		}
	}
	for _, co := range c.doc.Commands {
		if co.Program != "kubectl" || (co.Sub() != "apply" && co.Sub() != "create") {
			continue
		}
		// `kubectl create configmap NAME --from-file …` creates one.
		if co.Sub() == "create" && len(co.Args) >= 3 && (co.Args[1] == "configmap" || co.Args[1] == "cm") {
			c.configMaps[co.Args[2]] = fmt.Sprintf("kubectl create configmap at line %d", co.Line)
		}
		for _, f := range co.Values("--filename") {
			if data, where, ok := c.readManifest(co, f); ok {
				file, _, _ := strings.Cut(where, " (")
				for _, o := range c.addObjects(string(data), where) {
					if rc := rayClusterOf(o); rc != nil {
						c.clusterObjs = append(c.clusterObjs, clusterObj{obj: rc, line: co.Line, file: file, data: data})
					}
				}
				c.follow(co.Line, where, data)
			} else {
				// Its objects are unknown, and nothing in it was checked:
				// say so, never let it pass as checked.
				c.unresolved = true
				c.unreadFiles = append(c.unreadFiles, Note{Line: co.Line, Text: c.unread(co, f)})
			}
		}
	}
	c.mountedConfigMaps()
}

// rayClusterOf is the RayCluster an object makes: itself, or a RayJob's
// (spec.rayClusterSpec, named after the RayJob), nil for any other.
func rayClusterOf(o *unstructured.Unstructured) *unstructured.Unstructured {
	switch o.GetKind() {
	case "RayCluster":
		return o
	case "RayJob":
		spec, ok, _ := unstructured.NestedMap(o.Object, "spec", "rayClusterSpec")
		if !ok {
			return nil
		}
		rc := &unstructured.Unstructured{Object: map[string]interface{}{"kind": "RayCluster", "spec": spec}}
		rc.SetName(o.GetName())
		return rc
	}
	return nil
}

// readManifest reads a file a command applies, if it is a path this report
// can resolve: in the KubeRay source (by its directory comment or a KubeRay
// URL) or in this repository.
func (c *checker) readManifest(co document.Command, f string) ([]byte, string, bool) {
	if ref, p, ok := rules.KubeRayURL(f); ok {
		// The source at hand is the pinned release (or a checkout of it):
		// the file at another ref may hold something else entirely.
		if ref != versions.KubeRay {
			return nil, "", false
		}
		return c.readKubeRay(p)
	}
	if strings.Contains(f, "://") {
		return nil, "", false
	}
	if co.Dir != "" && isKubeRayPath(co.Dir) {
		return c.readKubeRay(path.Join(strings.TrimPrefix(co.Dir, "kuberay/"), f))
	}
	if data, err := os.ReadFile(filepath.Join(c.ref.RepoRoot, filepath.FromSlash(f))); err == nil {
		return data, f + " (this repository)", true
	}
	if isKubeRayPath(f) {
		return c.readKubeRay(f)
	}
	return nil, "", false
}

func (c *checker) readKubeRay(p string) ([]byte, string, bool) {
	p = strings.TrimPrefix(p, "kuberay/")
	full, ok := c.ref.source().File(p)
	if !ok {
		return nil, "", false
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, "", false
	}
	return data, p + " (" + c.ref.KubeRay + ")", true
}

// unread says why a file the document applies at co was not read, and what
// would read it.
func (c *checker) unread(co document.Command, f string) string {
	switch ref, _, ok := rules.KubeRayURL(f); {
	case f == "-":
		return "the YAML kubectl reads from standard input here (a heredoc or a pipe) is not read: put it in a yaml block or a file to have it checked"
	case ok && ref != versions.KubeRay:
		return f + ": the file at " + ref + " is not read (the source at hand is " + c.ref.KubeRay + "): its objects, images and code are not checked"
	case strings.Contains(f, "://"):
		return f + ": a URL is not fetched, so the file's objects, images and code are not checked: download it and check it as a file"
	case c.ref.KubeRayRoot == "":
		return f + ": not in this repository or the pinned ray-operator module, so not checked; pass --kuberay with a checkout that has it"
	}
	return f + ": not found, so not checked"
}

// follow checks a file the document applies (or installs) at line as the
// document's own text is checked: each finding names the file and its line.
func (c *checker) follow(line int, where string, data []byte) {
	file, _, _ := strings.Cut(where, " (")
	for i, l := range document.SplitLines(data) {
		c.sharedIn(line, file, rules.Line(i+1, l))
	}
}

// mountedConfigMaps checks that every ConfigMap a RayCluster of the
// document mounts is one its YAML creates: a Pod whose volume names a
// missing ConfigMap never starts.
func (c *checker) mountedConfigMaps() {
	if c.unresolved {
		return
	}
	for _, rc := range c.clusterObjs {
		for _, cm := range mountedConfigMaps(rc.obj) {
			if c.configMaps[cm] != "" {
				continue
			}
			f := Finding{Line: rc.line, Rule: "name", Problem: "RayCluster " + rc.obj.GetName() + " mounts ConfigMap " + cm + ", which no YAML of this tutorial creates: its Pods never start",
				Truth: "create ConfigMap " + cm + " first, or mount one the tutorial creates: " + orNothing(describe(c.configMaps))}
			if rc.file != "" {
				f.File, f.FileLine = rc.file, mountLine(rc.data, cm)
			}
			c.add(f)
		}
	}
}

func orNothing(s string) string {
	if s == "" {
		return "it creates none"
	}
	return s
}

// mountedConfigMaps are the ConfigMaps a RayCluster's head and worker
// templates mount.
func mountedConfigMaps(rc *unstructured.Unstructured) []string {
	var out []string
	for _, spec := range podSpecs(rc) {
		for _, v := range spec.Volumes {
			if v.ConfigMap != nil && v.ConfigMap.Name != "" {
				out = append(out, v.ConfigMap.Name)
			}
		}
	}
	return out
}

// mountLine is the line of a ConfigMap volume's `name: cm`, the first
// `name:` after a `configMap:` line; 0 when there is none.
func mountLine(data []byte, cm string) int {
	inMount := false
	for i, l := range document.SplitLines(data) {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "configMap:"):
			inMount = true
		case inMount && strings.HasPrefix(t, "name:"):
			if strings.Trim(strings.TrimSpace(strings.TrimPrefix(t, "name:")), `"'`) == cm {
				return i + 1
			}
			inMount = false
		}
	}
	return 0
}

// lineContaining is the first line of data that contains s, 0 for none.
func lineContaining(data []byte, s string) int {
	for i, l := range document.SplitLines(data) {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// isKubeRayPath reports whether p is in a KubeRay checkout: written as one
// ("kuberay/…", as a `# Path:` comment does), or in its ray-operator or
// helm-chart directory.
func isKubeRayPath(p string) bool {
	if p == "kuberay" || strings.HasPrefix(p, "kuberay/") {
		return true
	}
	return strings.HasPrefix(p, "ray-operator") || strings.HasPrefix(p, "helm-chart")
}

func (c *checker) addObjects(text, where string) []*unstructured.Unstructured {
	objs, err := fixtures.Decode(where, []byte(text))
	if err != nil {
		return nil
	}
	for _, o := range objs {
		c.addObject(o, where)
	}
	return objs
}

// clusterObj is a RayCluster of the document: inline at line, or in file
// (with its data), which the document applies at line.
type clusterObj struct {
	obj  *unstructured.Unstructured
	line int
	file string
	data []byte
}

func (c *checker) addObject(o *unstructured.Unstructured, where string) {
	switch o.GetKind() {
	case "ConfigMap":
		c.configMaps[o.GetName()] = where
		data, _, _ := unstructured.NestedMap(o.Object, "data")
		for k := range data {
			c.configMapKeys[o.GetName()] = append(c.configMapKeys[o.GetName()], k)
		}
	case "RayJob":
		c.rayJobs[o.GetName()] = where
	case "Job":
		c.jobs[o.GetName()] = where
	case "RayCluster":
		c.rayClusters[o.GetName()] = where
		svc := facts.HeadServiceName(o.GetName())
		if s, _, _ := unstructured.NestedString(o.Object, "spec", "headGroupSpec", "headService", "metadata", "name"); s != "" {
			svc = s
		}
		c.headSvcs[svc] = o.GetName()
	}
}
