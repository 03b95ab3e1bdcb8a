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

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
)

// collectObjects gathers the objects the document's YAML creates.
func (c *checker) collectObjects(cmds []cmd) {
	for _, b := range c.doc.Blocks {
		if b.Info == "yaml" || b.Info == "yml" {
			c.addObjects(b.Text(), fmt.Sprintf("the YAML at line %d", b.Open))
		}
	}
	for _, co := range cmds {
		if co.words[0] != "kubectl" || len(co.words) < 2 || (co.words[1] != "apply" && co.words[1] != "create") {
			continue
		}
		files, _ := flagValues(co.words, kubectlValued, "-f", "--filename")
		for _, f := range files {
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
func (c *checker) readManifest(co cmd, f string) ([]byte, string, bool) {
	if m := kubeRayURLRE.FindStringSubmatch(f); m != nil {
		return c.readKubeRay(m[2])
	}
	if strings.Contains(f, "://") {
		return nil, "", false
	}
	if co.dir != "" && isKubeRayPath(co.dir) {
		return c.readKubeRay(path.Join(strings.TrimPrefix(co.dir, "kuberay/"), f))
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
}
