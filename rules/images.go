// Images and the chart: what a copy must pin, and how a pin that differs
// from this project's is told apart from one that is false.

package rules

import (
	"path"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var (
	// imageRefRE finds references to the images the tutorial uses.
	imageRefRE = regexp.MustCompile(`\b(rayproject/ray-ml|rayproject/ray|kindest/node|quay\.io/kuberay/operator|registry\.k8s\.io/pause)(?::([\w.-]*\w))?(@sha256:[0-9a-f]{64})?`)
	// imageFieldRE is a YAML image field, whatever the image: the value
	// ends the line (or a comment follows).
	imageFieldRE = regexp.MustCompile(`^\s*-?\s*image:\s*["']?([^\s"'#]+)["']?\s*(?:#.*)?$`)
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
	for _, loc := range imageRefRE.FindAllStringSubmatchIndex(line, -1) {
		ref, repo := line[loc[0]:loc[1]], line[loc[2]:loc[3]]
		tag, digest := "", ""
		if loc[4] >= 0 {
			tag = line[loc[4]:loc[5]]
		}
		if loc[6] >= 0 {
			digest = line[loc[6]:loc[7]]
		}
		pin := pins[repo]
		// A repository named without a tag or digest is prose or a values
		// file's repository key, unless it stands where an image is used.
		used := imagePosition(line[:loc[0]])
		switch {
		case tag == "" && digest == "" && !used:
		case repo == "rayproject/ray-ml":
			out = append(out, Finding{Line: n, Rule: "image", Problem: ref + ": the rayproject/ray-ml images are discontinued", Truth: "use " + versions.RayImage + ", the image the tutorial's RayCluster pins"})
		case ref == pin:
		case digest != "" && (tag == "" || releaseTagRE.MatchString(tag)):
			// A digest is the firmest pin there is.
			if !strings.HasSuffix(pin, digest) {
				out = append(out, Finding{Line: n, Rule: "image", Note: true, Problem: "image " + ref + " differs from this project's pin", Truth: "this project runs and checks " + pin})
			}
		case tag == "" || !releaseTagRE.MatchString(tag):
			out = append(out, Finding{Line: n, Rule: "image", Problem: "image " + ref + " is not pinned: tag " + orNone(tag) + " moves to new builds", Truth: "pin a release: the tutorial pins " + pin})
		case repo == "kindest/node":
			out = append(out, Finding{Line: n, Rule: "image", Problem: "Kind node image " + ref + " is pinned by tag alone, which every kind release rebuilds for itself", Truth: "pin it by digest, from the release notes of the kind it runs with: the tutorial runs Kubernetes " + versions.DefaultKubernetes + " on " + pin})
		default:
			out = append(out, Finding{Line: n, Rule: "image", Note: true, Problem: "image " + ref + " differs from this project's pin", Truth: "this project runs and checks " + pin})
		}
	}
	// Any other image in a YAML image field; "image: the Ray image …" in
	// prose is no field.
	if field := imageFieldRE.FindStringSubmatch(line); field != nil && !imageRefRE.MatchString(field[1]) {
		img := field[1]
		_, tag, _ := strings.Cut(img[strings.LastIndex(img, "/")+1:], ":")
		switch {
		case strings.Contains(img, "@sha256:"):
			out = append(out, Finding{Line: n, Rule: "image", Note: true, Problem: "image " + img + " is not one this project pins or checks", Truth: "the tutorial's images are " + versions.RayImage + ", " + versions.KubeRayOperatorImage + " and " + versions.PauseImage})
		case tag == "" || tag == "latest":
			out = append(out, Finding{Line: n, Rule: "image", Problem: "image " + img + " is not pinned", Truth: "pin a release tag; the tutorial's images are " + versions.RayImage + ", " + versions.KubeRayOperatorImage + " and " + versions.PauseImage})
		default:
			out = append(out, Finding{Line: n, Rule: "image", Note: true, Problem: "image " + img + " is not one this project pins or checks", Truth: "the tutorial's images are " + versions.RayImage + ", " + versions.KubeRayOperatorImage + " and " + versions.PauseImage})
		}
	}
	return out
}

// imagePositionRE is what stands before an image that is used: a YAML image
// field, or an --image flag.
var imagePositionRE = regexp.MustCompile(`(?:^\s*-?\s*image:\s*["']?|--image[= ]["']?)$`)

func imagePosition(before string) bool { return imagePositionRE.MatchString(before) }

func orNone(tag string) string {
	if tag == "" {
		return "(none)"
	}
	return tag
}

// WorkingTreeChart reports whether `helm install NAME CHART` installs a
// chart from a directory (a working tree) rather than from a repository.
func WorkingTreeChart(co document.Command) bool {
	if len(co.Args) < 3 {
		return false
	}
	c := co.Args[2]
	return c == "." || strings.HasPrefix(c, "./") || strings.HasPrefix(c, "/") || strings.HasPrefix(c, "../") || co.Dir != "" && !strings.Contains(c, "/")
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
	if WorkingTreeChart(co) {
		return []Finding{{Line: co.Line, Rule: "chart", Problem: "installs the chart of a KubeRay working tree, whatever version it holds", Truth: InstallCommand()}}
	}
	// Only the operator's chart is the tutorial's to pin; other charts
	// (Prometheus, say) are the reader's.
	if path.Base(chartRef) != "kuberay-operator" {
		return nil
	}
	find := func(note bool, problem string) []Finding {
		return []Finding{{Line: co.Line, Rule: "chart", Note: note, Problem: problem, Truth: InstallCommand()}}
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
