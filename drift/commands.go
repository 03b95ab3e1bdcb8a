// The rules over a command's words that only a copy needs: the files kubectl
// applies, the chart helm installs from a working tree. The namespace, its
// labels, bind addresses, the chart's version and object names are package
// rules', which this repository's documents obey too.

package drift

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/rules"
)

// command applies the checks that need a command's words.
func (c *checker) command(co document.Command) {
	c.shared(rules.Command(co, c.claims127))
	switch co.Program {
	case "kubectl":
		c.kubectl(co)
	case "helm":
		c.helm(co)
	}
}

func (c *checker) kubectl(co document.Command) {
	if sub := co.Sub(); sub == "apply" || sub == "create" || sub == "delete" {
		for _, f := range co.Values("--filename") {
			c.manifestPath(co, f)
		}
	}
}

// manifestPath checks a file a command applies or deletes.
func (c *checker) manifestPath(co document.Command, f string) {
	if strings.Contains(f, "://") || f == "-" {
		return // URLs are checked with every line; stdin is noted where it is applied.
	}
	if co.Dir != "" && isKubeRayPath(co.Dir) {
		// The directory itself is checked (or noted) on its comment's line.
		for _, fd := range rules.KubeRayPath(co.Line, path.Join(co.Dir, f), c.ref) {
			if !fd.Unchecked {
				c.find(fd.Line, fd.Rule, f+" (in "+co.Dir+"): "+fd.Problem, fd.Truth)
			}
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

func (c *checker) helm(co document.Command) {
	// Which chart and version: package rules (Chart).
	if co.Sub() != "install" {
		return
	}
	for _, set := range co.Values("--set") {
		key, val, _ := strings.Cut(set, "=")
		c.valueEdit(co.Line, map[string]interface{}{key: val}, true)
	}
	c.followChart(co)
}

// followChart checks the values of a chart the document installs from a
// KubeRay working tree (`helm install NAME DIR`), read from the checkout:
// the file's lines as the document's, and the operator image its
// image.repository and image.tag make.
func (c *checker) followChart(co document.Command) {
	if len(co.Args) < 3 || c.ref.KubeRayRoot == "" {
		return
	}
	if !rules.WorkingTreeChart(co) {
		return
	}
	dir := co.Args[2]
	rel := path.Join(strings.TrimPrefix(co.Dir, "kuberay/"), dir, "values.yaml")
	if strings.HasPrefix(dir, "/") || strings.HasPrefix(rel, "..") {
		return
	}
	data, err := os.ReadFile(filepath.Join(c.ref.KubeRayRoot, filepath.FromSlash(rel)))
	if err != nil {
		return
	}
	c.follow(co.Line, rel+" ("+c.ref.KubeRay+")", data)
	var values struct {
		Image struct{ Repository, Tag string }
	}
	if yaml.Unmarshal(data, &values) == nil && values.Image.Repository != "" {
		ref := values.Image.Repository + ":" + values.Image.Tag
		if values.Image.Tag == "" {
			ref = values.Image.Repository + ":latest"
		}
		fs := rules.Images(lineContaining(data, "tag:"), ref)
		c.sharedIn(co.Line, rel, fs)
	}
}
