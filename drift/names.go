// What the document creates, for package rules' check of the names it uses
// (rules.ObjectNames): a ConfigMap, RayCluster, head Service, RayJob or
// submitter Job it names must be one its YAML (or else this repository's
// fixture) creates.

package drift

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
)

// known is what the document creates, as drift resolves it: its YAML and
// the files it applies. Where it creates nothing of a kind, this
// repository's fixtures stand in (a copy often points at KubeRay files
// deleted since, which they replace); where it applies a file that could
// not be read, a fixture's name may be that file's.
type known struct{ c *checker }

func (k known) Has(kind, name string) bool {
	c := k.c
	switch kind {
	case "ConfigMap":
		return c.configMaps[name] != "" || c.unresolved || len(c.configMaps) == 0 && slices.Contains(c.ref.fixtureConfigMaps, name)
	case "RayCluster":
		return c.rayClusters[name] != "" || slices.Contains(c.ref.fixtureRayClusters, name) && (c.unresolved || len(c.rayClusters) == 0)
	case "Service":
		rc, _ := strings.CutSuffix(name, "-head-svc")
		return c.headSvcs[name] != "" || slices.Contains(c.ref.fixtureRayClusters, rc) && (c.unresolved || len(c.headSvcs) == 0)
	case "RayJob", "Job":
		// KubeRay names a RayJob's submitter Job after the RayJob.
		return c.rayJobs[name] != "" || kind == "Job" && c.jobs[name] != "" || c.unresolved || len(c.rayJobs) == 0 && slices.Contains(fixtureRayJobs(), name)
	}
	return true
}

// Unread says why what the tutorial creates is not fully known: a file it
// applies could not be read.
func (k known) Unread() string {
	if k.c.unresolved {
		return "a file this tutorial applies was not read (see the note on it), so what that file creates is unknown"
	}
	return ""
}

func (k known) Describe(kind string) string {
	c := k.c
	switch kind {
	case "ConfigMap":
		if len(c.configMaps) > 0 {
			return describe(c.configMaps)
		}
		return strings.Join(c.ref.fixtureConfigMaps, ", ") + " (" + facts.PodSecurityClusterFile + ")"
	case "RayCluster":
		if len(c.rayClusters) > 0 {
			return describe(c.rayClusters)
		}
		return strings.Join(c.ref.fixtureRayClusters, ", ") + " (" + facts.PodSecurityClusterFile + ")"
	case "Service":
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
		return strings.Join(want, ", ")
	case "RayJob", "Job":
		if len(c.rayJobs) > 0 {
			return describe(c.rayJobs)
		}
		return strings.Join(fixtureRayJobs(), ", ") + " (this repository's fixtures)"
	}
	return ""
}

func fixtureRayJobs() []string {
	return []string{fixtures.RayJobDefaultSubmitterName, fixtures.RayJobHardenedName, fixtures.RayJobSidecarName}
}

func describe(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+" ("+m[k]+")")
	}
	return strings.Join(parts, ", ")
}
