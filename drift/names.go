// The rules over object names: a ConfigMap, RayCluster or head Service the
// document uses is one its YAML (or else this repository's fixture) creates.

package drift

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func (c *checker) configMapRef(n int, name string) {
	if c.configMaps[name] != "" {
		return
	}
	if len(c.configMaps) > 0 {
		c.find(n, "name", "ConfigMap "+name+" is not what this tutorial's YAML creates", "it creates "+describe(c.configMaps))
		return
	}
	if !slices.Contains(c.ref.fixtureConfigMaps, name) {
		c.find(n, "name", "ConfigMap "+name+" is created by no YAML of this tutorial", facts.PodSecurityClusterFile+" creates ConfigMap "+strings.Join(c.ref.fixtureConfigMaps, ", "))
	}
}

func (c *checker) rayClusterRef(n int, name string) {
	if c.rayClusters[name] != "" || (c.unresolved && slices.Contains(c.ref.fixtureRayClusters, name)) {
		return
	}
	if len(c.rayClusters) > 0 || !slices.Contains(c.ref.fixtureRayClusters, name) {
		known := describe(c.rayClusters)
		if known == "" {
			known = strings.Join(c.ref.fixtureRayClusters, ", ") + " (" + facts.PodSecurityClusterFile + ")"
		}
		c.find(n, "name", "RayCluster "+name+" is created by no YAML of this tutorial", "its RayClusters are "+known)
	}
}

func (c *checker) serviceRef(n int, name string) {
	if c.headSvcs[name] != "" {
		return
	}
	// When some applied file could not be read, its RayCluster may be the
	// one this repository's fixture replaces; then the fixture's names hold.
	rc, _ := strings.CutSuffix(name, "-head-svc")
	if slices.Contains(c.ref.fixtureRayClusters, rc) && (c.unresolved || len(c.headSvcs) == 0) {
		return
	}
	var want []string
	for s := range c.headSvcs {
		want = append(want, s)
	}
	if len(want) == 0 {
		for _, r := range c.ref.fixtureRayClusters {
			want = append(want, facts.HeadServiceName(r))
		}
	}
	sort.Strings(want)
	c.find(n, "name", "Service "+name+" is no RayCluster's head Service", "KubeRay "+versions.KubeRay+" names a head Service <RayCluster>-head-svc: "+strings.Join(want, ", "))
}

func describe(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+" ("+m[k]+")")
	}
	return strings.Join(parts, ", ")
}
