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
)

// collectObjects gathers the objects the document's YAML creates.
func (c *checker) collectObjects() {
	for _, o := range c.doc.Objects {
		c.addObject(o.Unstructured, fmt.Sprintf("the YAML at line %d", o.Line))
	}
	for _, co := range c.doc.Commands {
		if co.Program != "kubectl" || (co.Sub() != "apply" && co.Sub() != "create") {
			continue
		}
		for _, f := range co.Values("--filename") {
			if data, where, ok := c.readManifest(co, f); ok {
				c.addObjects(string(data), where)
			} else {
				c.unresolved = true
			}
		}
	}
}

// readManifest reads a file a command applies, if it is a path this report
// can resolve: in the KubeRay source (by its directory comment or a KubeRay
// URL) or in this repository.
func (c *checker) readManifest(co document.Command, f string) ([]byte, string, bool) {
	if m := kubeRayURLRE.FindStringSubmatch(f); m != nil {
		return c.readKubeRay(m[2])
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
	rel, ok := strings.CutPrefix(p, "ray-operator/")
	if !ok {
		return nil, "", false
	}
	data, err := os.ReadFile(filepath.Join(c.ref.KubeRayDir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, "", false
	}
	return data, p + " (" + c.ref.KubeRay + ")", true
}

func isKubeRayPath(p string) bool {
	p = strings.TrimPrefix(p, "kuberay/")
	return p == "kuberay" || strings.HasPrefix(p, "ray-operator") || strings.HasPrefix(p, "helm-chart")
}

func (c *checker) addObjects(text, where string) {
	objs, err := fixtures.Decode(where, []byte(text))
	if err != nil {
		return
	}
	for _, o := range objs {
		c.addObject(o, where)
	}
}

func (c *checker) addObject(o *unstructured.Unstructured, where string) {
	switch o.GetKind() {
	case "ConfigMap":
		c.configMaps[o.GetName()] = where
	case "RayCluster":
		c.rayClusters[o.GetName()] = where
		svc := facts.HeadServiceName(o.GetName())
		if s, _, _ := unstructured.NestedString(o.Object, "spec", "headGroupSpec", "headService", "metadata", "name"); s != "" {
			svc = s
		}
		c.headSvcs[svc] = o.GetName()
	}
}
