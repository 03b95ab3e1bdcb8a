// The scripts a copy runs in a Ray Pod: each must be a file of a ConfigMap
// a RayCluster of the copy mounts. What the script says is checked where it
// is written, as the lines of the YAML that holds it.

package drift

import (
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

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
		for _, spec := range podSpecs(rc.obj) {
			files := map[string][]string{} // volume name -> file names in it
			for _, v := range spec.Volumes {
				switch cm := v.ConfigMap; {
				case cm == nil:
				case len(cm.Items) > 0:
					for _, it := range cm.Items {
						files[v.Name] = append(files[v.Name], it.Path)
					}
				default:
					files[v.Name] = append(files[v.Name], c.configMapKeys[cm.Name]...)
				}
			}
			for _, ct := range spec.Containers {
				for _, m := range ct.VolumeMounts {
					for _, f := range files[m.Name] {
						out[path.Join(m.MountPath, f)] = true
					}
				}
			}
		}
	}
	return out
}

// podSpecs are the Pod specs of a RayCluster's head and worker templates; a
// template that does not read as one is left out.
func podSpecs(rc *unstructured.Unstructured) []corev1.PodSpec {
	var templates []map[string]interface{}
	if t, ok, _ := unstructured.NestedMap(rc.Object, "spec", "headGroupSpec", "template"); ok {
		templates = append(templates, t)
	}
	groups, _, _ := unstructured.NestedSlice(rc.Object, "spec", "workerGroupSpecs")
	for _, g := range groups {
		if gm, ok := g.(map[string]interface{}); ok {
			if t, ok, _ := unstructured.NestedMap(gm, "template"); ok {
				templates = append(templates, t)
			}
		}
	}
	var out []corev1.PodSpec
	for _, t := range templates {
		var tmpl corev1.PodTemplateSpec
		if runtime.DefaultUnstructuredConverter.FromUnstructured(t, &tmpl) == nil {
			out = append(out, tmpl.Spec)
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
