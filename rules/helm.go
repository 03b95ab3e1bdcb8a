// The Helm a copy asks its reader for.

package rules

import (
	"regexp"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var (
	helm3RE = regexp.MustCompile(`(?i)\bHelm\s+v?3(?:\.\d+)*\b|helm\.sh/helm/v3|get-helm-3`)
	helm4RE = regexp.MustCompile(`(?i)\bHelm\s+v?4(?:\.\d+)*\b|helm\.sh/helm/v4`)
)

// Helm notes a copy that asks for Helm 3 and never names Helm 4: Helm 3
// still runs the tutorial's helm lines, but its support ends, and this
// project runs them with Helm 4. A note, not a finding: until then the copy
// works. One note, at the first line that names Helm 3.
func Helm(d *document.Document) []Finding {
	first := 0
	for i, l := range d.Lines {
		if helm4RE.MatchString(l) {
			return nil
		}
		if first == 0 && helm3RE.MatchString(l) {
			first = i + 1
		}
	}
	if first == 0 {
		return nil
	}
	return []Finding{{Line: first, Rule: "helm", Note: true,
		Problem: "asks for Helm 3, whose security fixes end on " + versions.HelmThreeSecurityEnd,
		Truth:   "this project runs the tutorial's helm lines with Helm " + versions.Helm + "; name Helm 4, keeping Helm 3 as the older choice if you like"}}
}
