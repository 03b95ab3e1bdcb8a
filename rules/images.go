// Images and the chart: what a copy must pin, and how a pin that differs
// from this project's is told apart from one that is false.

package rules

import (
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var (
	// imageRefRE finds references to the images the tutorial uses.
	imageRefRE = regexp.MustCompile(`\b(rayproject/ray-ml|rayproject/ray|kindest/node|quay\.io/kuberay/operator|registry\.k8s\.io/pause)(?::([\w.-]*\w))?(@sha256:[0-9a-f]{64})?`)
	// imageFieldRE is a YAML image field, whatever the image.
	imageFieldRE = regexp.MustCompile(`^\s*-?\s*image:\s*["']?([^\s"'#]+)`)
	// releaseTagRE is a tag that names one release: it never moves to
	// another build (kind's node images aside, see Images).
	releaseTagRE = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?([.-][\w.-]+)?$`)
)

// Images checks the image references on a line. A reference that cannot be
// reproduced is a finding: a discontinued repository (rayproject/ray-ml), no
// tag or a tag that moves (latest, nightly), or a Kind node image by tag
// alone, which every kind release rebuilds. A reference pinned to a release
// other than this project's is a note: it is not stale, only not what this
// project proves.
func Images(n int, line string) []Finding {
	var out []Finding
	kind, _ := versions.LookupKubernetes(versions.DefaultKubernetes)
	pins := map[string]string{
		"rayproject/ray":           versions.RayImage,
		"quay.io/kuberay/operator": versions.KubeRayOperatorImage,
		"registry.k8s.io/pause":    versions.PauseImage,
		"kindest/node":             kind.KindNodeImage,
	}
	field := imageFieldRE.FindStringSubmatch(line)
	for _, m := range imageRefRE.FindAllStringSubmatch(line, -1) {
		ref, repo, tag, digest := m[0], m[1], m[2], m[3]
		pin := pins[repo]
		switch {
		case repo == "rayproject/ray-ml":
			out = append(out, Finding{Line: n, Rule: "image", Problem: ref + ": the rayproject/ray-ml images are discontinued", Truth: "use " + versions.RayImage + ", the image the tutorial's RayCluster pins"})
		case tag == "" && digest == "":
			// A repository named in prose or a values file; an image field
			// without a tag is caught below.
		case ref == pin:
		case tag == "" || !releaseTagRE.MatchString(tag):
			out = append(out, Finding{Line: n, Rule: "image", Problem: "image " + ref + " is not pinned: tag " + orNone(tag) + " moves to new builds", Truth: "pin a release: the tutorial pins " + pin})
		case repo == "kindest/node" && digest == "":
			out = append(out, Finding{Line: n, Rule: "image", Problem: "Kind node image " + ref + " is pinned by tag alone, which every kind release rebuilds for itself", Truth: "pin it by digest, from the release notes of the kind it runs with: the tutorial runs Kubernetes " + versions.DefaultKubernetes + " on " + pin})
		default:
			out = append(out, Finding{Line: n, Rule: "image", Note: true, Problem: "image " + ref + " differs from this project's pin", Truth: "this project runs and checks " + pin})
		}
	}
	if field != nil && !imageRefRE.MatchString(field[1]) {
		img := field[1]
		_, tag, _ := strings.Cut(img[strings.LastIndex(img, "/")+1:], ":")
		if tag == "" || tag == "latest" {
			out = append(out, Finding{Line: n, Rule: "image", Problem: "image " + img + " is not pinned", Truth: "pin a release tag; the tutorial's images are " + versions.RayImage + ", " + versions.KubeRayOperatorImage + " and " + versions.PauseImage})
		} else {
			out = append(out, Finding{Line: n, Rule: "image", Note: true, Problem: "image " + img + " is not one this project pins or checks", Truth: "the tutorial's images are " + versions.RayImage + ", " + versions.KubeRayOperatorImage + " and " + versions.PauseImage})
		}
	}
	return out
}

func orNone(tag string) string {
	if tag == "" {
		return "(none)"
	}
	return tag
}

// InstallCommand is how the tutorial installs the operator's chart.
func InstallCommand() string {
	return "helm install kuberay-operator kuberay/kuberay-operator --version " + versions.KubeRayChartVersion + " --namespace " + facts.Namespace + " --values " + facts.OperatorValuesFile
}

// Chart checks `helm install` of the operator: a chart from a working tree
// or without --version is whatever is there that day (a finding); a
// published version other than this project's pin is a note.
func Chart(co document.Command) []Finding {
	if co.Program != "helm" || co.Sub() != "install" || len(co.Args) < 3 {
		return nil
	}
	chartRef := co.Args[2]
	find := func(note bool, problem string) []Finding {
		return []Finding{{Line: co.Line, Rule: "chart", Note: note, Problem: problem, Truth: InstallCommand()}}
	}
	if chartRef == "." || strings.HasPrefix(chartRef, "./") || strings.HasPrefix(chartRef, "/") || strings.HasPrefix(chartRef, "../") || co.Dir != "" && !strings.Contains(chartRef, "/") {
		return find(false, "installs the chart of a KubeRay working tree, whatever version it holds")
	}
	v, ok := co.Value("--version")
	switch {
	case !ok:
		return find(false, "installs the newest chart, not a pinned one")
	case !releaseTagRE.MatchString(v):
		return find(false, "chart version "+v+" is not one release")
	case v != versions.KubeRayChartVersion:
		return find(true, "chart version "+v+" differs from this project's pin")
	}
	return nil
}
