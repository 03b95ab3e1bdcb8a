// The rules over a command's words: servers bound to every interface,
// kubectl's namespace, labels, object names and files, helm's chart and
// namespace.

package drift

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var bindFlags = map[string]bool{"--address": true, "--host": true, "--bind": true, "--bind-address": true, "--listen": true, "--dashboard-host": true, "--ip": true}

// command applies the checks that need a command's words.
func (c *checker) command(co document.Command) {
	w := co.Words
	// Servers bound to every interface.
	for i := 1; i < len(w); i++ {
		name, value, hasValue := strings.Cut(w[i], "=")
		if !bindFlags[name] {
			continue
		}
		if !hasValue && i+1 < len(w) {
			value = w[i+1]
		}
		for _, a := range strings.Split(value, ",") {
			if a == "0.0.0.0" || a == "::" || a == "[::]" || a == "*" {
				c.find(co.Line, "bind", fmt.Sprintf("%s %s binds every network interface: anyone who can reach this machine reaches the server", name, a), "bind 127.0.0.1 only: "+name+" 127.0.0.1")
			}
		}
	}
	switch co.Program {
	case "kubectl":
		c.kubectl(co)
	case "helm":
		c.helm(co)
	}
}

func (c *checker) kubectl(co document.Command) {
	pos := co.Args
	if len(pos) == 0 {
		return
	}
	for _, n := range co.Values("--namespace") {
		if n != facts.Namespace {
			c.find(co.Line, "namespace", "namespace "+n+" is not the tutorial's", facts.AuditPolicyFile+" records only namespace "+facts.Namespace+", where the labels of step 3 apply")
		}
	}
	sub := pos[0]
	args := pos[1:]
	if (sub == "create" || sub == "label") && len(args) >= 2 && (args[0] == "namespace" || args[0] == "ns") && args[1] != facts.Namespace {
		c.find(co.Line, "namespace", "namespace "+args[1]+" is not the tutorial's", facts.AuditPolicyFile+" records only namespace "+facts.Namespace)
	}
	c.labels(co.Line, co.Words)
	// Object names in arguments.
	for i, a := range args {
		typ, name, slash := strings.Cut(a, "/")
		if !slash && i+1 < len(args) {
			typ, name = a, args[i+1]
		}
		switch typ {
		case "configmap", "configmaps", "cm":
			c.configMapRef(co.Line, name)
		case "raycluster", "rayclusters", "raycluster.ray.io", "rayclusters.ray.io":
			c.rayClusterRef(co.Line, name)
		case "svc", "service", "services":
			if slash {
				c.serviceRef(co.Line, name)
			}
		}
	}
	if sub == "port-forward" {
		if !co.Has("--address") && c.claims127 {
			c.find(co.Line, "bind", "kubectl port-forward without --address binds localhost, 127.0.0.1 and ::1, while the tutorial speaks of 127.0.0.1", "add --address 127.0.0.1")
		}
	}
	if sub == "apply" || sub == "create" || sub == "delete" {
		for _, f := range co.Values("--filename") {
			c.manifestPath(co, f)
		}
	}
}

// manifestPath checks a file a command applies or deletes.
func (c *checker) manifestPath(co document.Command, f string) {
	if strings.Contains(f, "://") {
		return // URLs are checked with every line.
	}
	if co.Dir != "" && isKubeRayPath(co.Dir) {
		full := path.Join(strings.TrimPrefix(co.Dir, "kuberay/"), f)
		if exists, checked := c.ref.kubeRayPath(full); checked && !exists {
			truth, ok := replacements[full]
			if !ok {
				truth = "it is not in " + c.ref.KubeRay
			}
			c.find(co.Line, "path", f+" (in "+co.Dir+") does not exist in "+c.ref.KubeRay, truth)
		}
		return
	}
	if isKubeRayPath(f) || c.ref.repoPath(f) {
		return
	}
	if _, err := os.Stat(filepath.Join(c.ref.KubeRayDir, "config", "samples", filepath.FromSlash(f))); err == nil {
		return // One of KubeRay's samples, run from config/samples.
	}
	truth := "it is neither in this repository nor among " + c.ref.KubeRay + "'s samples"
	for _, p := range []string{facts.PodSecurityClusterFile, facts.KindConfigFile, facts.AuditPolicyFile, facts.OperatorValuesFile} {
		if path.Base(p) == path.Base(f) {
			truth = "this repository's file is " + p
		}
	}
	c.find(co.Line, "path", f+" does not exist", truth)
}

func (c *checker) labels(line int, words []string) {
	got := map[string]string{}
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok && strings.HasPrefix(k, facts.LabelPrefix) {
			got[k] = v
		}
	}
	if len(got) == 0 {
		return
	}
	for _, l := range facts.Labels {
		v, ok := got[l.Key]
		switch {
		case !ok:
			c.find(line, "labels", "label "+l.Key+" is missing", "step 3 sets all six labels: "+l.Key+"="+l.Value)
		case v != l.Value:
			c.find(line, "labels", "label "+l.Key+"="+v, "step 3 sets "+l.Key+"="+l.Value)
		}
		delete(got, l.Key)
	}
	for k, v := range got {
		c.find(line, "labels", "label "+k+"="+v+" is not a Pod Security Admission label", "the six labels are enforce, audit and warn, each with a -version")
	}
}

func (c *checker) helm(co document.Command) {
	values, pos := co.Values("--version"), co.Args
	if len(pos) < 3 || pos[0] != "install" {
		return
	}
	for _, n := range co.Values("--namespace") {
		if n != facts.Namespace {
			c.find(co.Line, "namespace", "the operator is installed into "+n, "install it into "+facts.Namespace+", where its own Pod must pass restricted too")
		}
	}
	want := fmt.Sprintf("helm install kuberay-operator kuberay/kuberay-operator --version %s --namespace %s --values %s", versions.KubeRayChartVersion, facts.Namespace, facts.OperatorValuesFile)
	chartRef := pos[2]
	if chartRef == "." || strings.HasPrefix(chartRef, "./") || strings.HasPrefix(chartRef, "/") || strings.HasPrefix(chartRef, "../") || co.Dir != "" && !strings.Contains(chartRef, "/") {
		c.find(co.Line, "chart", "installs the chart of a KubeRay working tree, whatever version it holds", want)
		return
	}
	switch {
	case len(values) == 0:
		c.find(co.Line, "chart", "installs the newest chart, not the pinned one", want)
	case values[len(values)-1] != versions.KubeRayChartVersion:
		c.find(co.Line, "chart", "chart version "+values[len(values)-1]+" differs from the pin", want)
	}
	for _, set := range co.Values("--set") {
		key, val, _ := strings.Cut(set, "=")
		c.valueEdit(co.Line, map[string]interface{}{key: val}, true)
	}
}
