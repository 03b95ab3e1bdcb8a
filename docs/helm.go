// The rules for helm commands: the chart repository (added, updated and
// removed by the name it was added under), the release, the pinned chart
// version, the values file and --set keys.

package docs

import (
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// helmFlags are the flags the helm rules check.
var helmFlags = []string{"--version", "--namespace", "--values", "--set"}

func (c *checker) helm(co document.Command) {
	line := co.Line
	p := c.parse(co, helmFlags...)
	sub := strings.Join(p.args[1:min(3, len(p.args))], " ")
	switch {
	case sub == "repo add":
		if len(p.args) != 5 {
			c.addf(line, "helm repo add takes NAME URL")
			return
		}
		if p.args[4] != versions.KubeRayChartRepo {
			c.addf(line, "helm repo %s: KubeRay's chart repository is %s (versions.KubeRayChartRepo)", p.args[4], versions.KubeRayChartRepo)
		}
		c.helmRepos[p.args[3]] = true
	case sub == "repo update":
		for _, r := range p.args[3:] {
			if !c.helmRepos[r] {
				c.addf(line, "helm repo update %s: no repository of that name was added before", r)
			}
		}
	case sub == "repo remove":
		if len(p.args) < 4 {
			c.addf(line, "helm repo remove takes NAME, a repository added with helm repo add")
		}
		for _, r := range p.args[3:] {
			if !c.helmRepos[r] {
				c.addf(line, "helm repo remove %s: no repository of that name was added before", r)
			}
			delete(c.helmRepos, r)
		}
	case len(p.args) > 1 && p.args[1] == "version":
		if len(p.args) != 2 || len(co.Flags) > 0 {
			c.addf(line, "%s: the documents check Helm with helm version, with no arguments or flags", strings.Join(co.Words, " "))
		}
	case len(p.args) > 1 && p.args[1] == "install":
		if len(p.args) != 4 {
			c.addf(line, "helm install takes RELEASE CHART")
			return
		}
		if p.args[2] != c.f.OperatorDeployment {
			c.addf(line, "release %s: the suite installs release %s", p.args[2], c.f.OperatorDeployment)
		}
		repoName, chartName, ok := strings.Cut(p.args[3], "/")
		if !ok || !c.helmRepos[repoName] || chartName != c.f.ChartName {
			c.addf(line, "chart %s: install %s from the repository added with helm repo add", p.args[3], c.f.ChartName)
		}
		// The chart's version: package rules (Chart), whose note on another
		// published version is a problem here.
		if _, ok := p.one("--namespace"); !ok {
			c.addf(line, "helm install without --namespace %s: the operator goes into the tutorial's namespace", facts.Namespace)
		}
		if vf, _ := p.one("--values"); vf != facts.OperatorValuesFile {
			c.addf(line, "helm install --values %q: the suite installs with %s", vf, facts.OperatorValuesFile)
		} else {
			c.repoPath(line, vf)
		}
		for _, set := range p.flags["--set"] {
			key, _, _ := strings.Cut(set, "=")
			if !c.f.ChartHasValue(strings.Split(key, ".")) {
				c.addf(line, "--set %s: the chart has no value %s (fixtures/charts/kuberay-operator/values.yaml)", set, key)
			}
		}
	default:
		c.addf(line, "helm %s: the documents check helm version, add the repository, update it, install the chart and remove the repository", sub)
	}
}
