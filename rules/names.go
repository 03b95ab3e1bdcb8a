// The objects a tutorial names must be ones it creates.

package rules

import (
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Known is what a tutorial creates, as its checker resolves it: its YAML
// and the files it applies, or this repository's fixtures.
type Known interface {
	// Has reports whether the tutorial creates kind/name, or might (a file
	// it applies could not be read).
	Has(kind, name string) bool
	// Describe lists what it creates of kind, for the finding's truth.
	Describe(kind string) string
	// Unread says why what the tutorial creates is not fully known (a
	// file it applies could not be read), or "" when it is: a name it
	// might create is then not checked, never a finding.
	Unread() string
}

// ObjectNames checks every object the document names (document.Mention)
// against what it creates: a name it never creates is a command that fails,
// or output that a reader never sees.
func ObjectNames(d *document.Document, known Known) []Finding {
	var out []Finding
	for _, m := range d.Mentions {
		out = append(out, ObjectName(m, known)...)
	}
	return out
}

// ObjectName checks one object the document names.
func ObjectName(m document.Mention, known Known) []Finding {
	// Of Services, only a RayCluster's head Service is the tutorial's to
	// create; others (the operator's, say) come from charts.
	if known.Has(m.Kind, m.Name) || m.Kind == "Service" && !strings.HasSuffix(m.Name, "-head-svc") {
		return nil
	}
	// KubeRay names a RayJob's RayCluster after it, with a generated suffix.
	if i := strings.LastIndex(m.Name, "-"); m.Kind == "RayCluster" && i > 0 && len(m.Name)-i == 6 && known.Has("RayJob", m.Name[:i]) {
		return nil
	}
	// What an unread file would have created is unknown, not absent.
	if why := known.Unread(); why != "" {
		return []Finding{{Line: m.Line, Rule: "name", Unchecked: true, Problem: m.Kind + " " + m.Name + " is not created by the YAML that was read", Truth: "not checked: " + why}}
	}
	f := Finding{Line: m.Line, Rule: "name", Problem: m.Kind + " " + m.Name + " is created by no YAML of this tutorial", Truth: "its " + m.Kind + "s are " + known.Describe(m.Kind)}
	switch m.Kind {
	case "Service":
		f.Problem = "Service " + m.Name + " is no RayCluster's head Service"
		f.Truth = "KubeRay " + versions.KubeRay + " names a head Service <RayCluster>-head-svc: " + known.Describe(m.Kind)
	case "Job":
		f.Problem = "Job " + m.Name + " is no RayJob's submitter Job"
		f.Truth = "KubeRay names the Job after its RayJob: " + known.Describe(m.Kind)
	}
	return []Finding{f}
}
