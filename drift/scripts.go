// The scripts a copy runs in a Ray Pod: each must be a file of a ConfigMap
// a RayCluster of the copy mounts. What the script says is checked where it
// is written, as the lines of the YAML that holds it.

package drift

import (
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/document"
)

// rayWorkdir is the working directory of rayproject/ray images, where a
// relative script path starts.
const rayWorkdir = "/home/ray"

// scripts checks every `kubectl exec … -- python FILE.py` of the document.
func (c *checker) scripts() {
	files := c.mountedFiles()
	for _, co := range c.doc.Commands {
		script, ok := pythonScript(co)
		if !ok {
			continue
		}
		full := script
		if !path.IsAbs(full) {
			full = path.Join(rayWorkdir, full)
		}
		switch {
		case files[full]:
		case c.unresolved || len(c.clusterObjs) == 0:
			c.note(co.Line, script+": the RayCluster it runs in is not in what this report read, so whether a ConfigMap holds the script is not checked")
		default:
			c.find(co.Line, "script", "runs "+full+", which no ConfigMap that a RayCluster of this tutorial mounts holds", "the mounted files are "+strings.Join(sortedKeys(files), ", "))
		}
	}
}

// pythonScript is the script of `kubectl exec … -- python[3] FILE.py`.
func pythonScript(co document.Command) (string, bool) {
	if co.Program != "kubectl" || co.Sub() != "exec" || len(co.Rest) < 2 || !strings.HasPrefix(path.Base(co.Rest[0]), "python") {
		return "", false
	}
	return co.Rest[1], strings.HasSuffix(co.Rest[1], ".py")
}

// mountedFiles are the files the document's RayClusters see from the
// ConfigMaps they mount: mountPath/key for each key (or each item's path).
func (c *checker) mountedFiles() map[string]bool {
	out := map[string]bool{}
	for _, rc := range c.clusterObjs {
		for _, t := range podTemplates(rc.obj) {
			volumes := map[string][]string{} // volume name -> file names in it
			vols, _, _ := unstructured.NestedSlice(t, "spec", "volumes")
			for _, v := range vols {
				vm, _ := v.(map[string]interface{})
				cm, ok, _ := unstructured.NestedString(vm, "configMap", "name")
				if !ok {
					continue
				}
				name, _, _ := unstructured.NestedString(vm, "name")
				if items, found, _ := unstructured.NestedSlice(vm, "configMap", "items"); found {
					for _, it := range items {
						p, _, _ := unstructured.NestedString(it.(map[string]interface{}), "path")
						volumes[name] = append(volumes[name], p)
					}
				} else {
					volumes[name] = append(volumes[name], c.configMapKeys[cm]...)
				}
			}
			containers, _, _ := unstructured.NestedSlice(t, "spec", "containers")
			for _, ct := range containers {
				mounts, _, _ := unstructured.NestedSlice(ct.(map[string]interface{}), "volumeMounts")
				for _, m := range mounts {
					mm, _ := m.(map[string]interface{})
					name, _, _ := unstructured.NestedString(mm, "name")
					at, _, _ := unstructured.NestedString(mm, "mountPath")
					for _, f := range volumes[name] {
						out[path.Join(at, f)] = true
					}
				}
			}
		}
	}
	return out
}

// podTemplates are a RayCluster's head and worker Pod templates.
func podTemplates(rc *unstructured.Unstructured) []map[string]interface{} {
	var out []map[string]interface{}
	if t, ok, _ := unstructured.NestedMap(rc.Object, "spec", "headGroupSpec", "template"); ok {
		out = append(out, t)
	}
	groups, _, _ := unstructured.NestedSlice(rc.Object, "spec", "workerGroupSpecs")
	for _, g := range groups {
		if gm, ok := g.(map[string]interface{}); ok {
			if t, ok, _ := unstructured.NestedMap(gm, "template"); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}
