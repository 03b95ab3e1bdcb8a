// The objects a tutorial names: in kubectl's arguments, in prose
// ("the ConfigMap `x`") and in the output it quotes (`configmap "x"
// deleted`, svc/x).

package document

import (
	"regexp"
	"strings"
)

// Mention is an object the document names, by kind: ConfigMap, RayCluster,
// RayJob, Job or Service.
type Mention struct {
	Line       int
	Kind, Name string
}

// resourceKinds are kubectl's words for the kinds mentions are kept of.
var resourceKinds = map[string]string{
	"configmap": "ConfigMap", "configmaps": "ConfigMap", "cm": "ConfigMap",
	"raycluster": "RayCluster", "rayclusters": "RayCluster", "raycluster.ray.io": "RayCluster", "rayclusters.ray.io": "RayCluster",
	"rayjob": "RayJob", "rayjobs": "RayJob", "rayjob.ray.io": "RayJob", "rayjobs.ray.io": "RayJob",
	"job": "Job", "jobs": "Job", "job.batch": "Job", "jobs.batch": "Job",
	"svc": "Service", "service": "Service", "services": "Service",
}

// Kind is the kind kubectl's resource word names ("rayclusters.ray.io" is
// RayCluster), "" for a kind the mentions do not keep.
func Kind(word string) string { return resourceKinds[word] }

const nameRE = `([a-z0-9]+(?:-[a-z0-9]+)+)`

var (
	// proseMentionRE is a kind and a name in code: "the RayCluster `x`".
	proseMentionRE = regexp.MustCompile("\\b(ConfigMap|RayCluster|RayJob|Job|Service)\\s*`([a-z0-9-]+)`")
	// The names kubectl prints, or prose writes, with the kind before them.
	textMentionREs = map[string]*regexp.Regexp{
		"ConfigMap":  regexp.MustCompile("(?i)\\bconfig\\s?maps?\\b(?:/|\\s+\"|\\s+`)" + nameRE),
		"RayCluster": regexp.MustCompile("(?i)\\brayclusters?(?:\\.ray\\.io)?\\b(?:/|\\s+\"|\\s+`)" + nameRE),
		"RayJob":     regexp.MustCompile("(?i)\\brayjobs?(?:\\.ray\\.io)?\\b(?:/|\\s+\"|\\s+`)" + nameRE),
		"Service":    regexp.MustCompile(`\b(?:svc|service|services)/` + nameRE),
	}
)

// mentions reads the objects d names: kubectl's TYPE NAME and TYPE/NAME
// arguments, and in every line that is not a command, a kind with a name.
func (d *Document) mentions() []Mention {
	var out []Mention
	seen := map[Mention]bool{}
	add := func(m Mention) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, co := range d.Commands {
		if co.Program != "kubectl" || len(co.Args) < 2 {
			continue
		}
		// A label selector on ray.io/cluster names a RayCluster.
		for _, sel := range co.Values("--selector") {
			for _, term := range strings.Split(sel, ",") {
				if k, v, ok := strings.Cut(term, "="); ok && k == "ray.io/cluster" && v != "" {
					add(Mention{Line: co.Line, Kind: "RayCluster", Name: v})
				}
			}
		}
		args := co.Args[1:]
		for i, a := range args {
			typ, name, slash := strings.Cut(a, "/")
			kind := resourceKinds[typ]
			switch {
			case kind == "":
			case slash:
				add(Mention{Line: co.Line, Kind: kind, Name: name})
			case i+1 < len(args) && kind != "Service" && kind != "Job" && !strings.Contains(args[i+1], "/"):
				// `kubectl get svc x` and `job x` are rare in tutorials;
				// `kubectl get pods` lists and names nothing.
				add(Mention{Line: co.Line, Kind: kind, Name: args[i+1]})
			}
		}
	}
	commandLines := map[int]bool{}
	for _, b := range d.Blocks {
		if !b.IsShell() {
			continue
		}
		console := b.IsConsole()
		for _, l := range b.Lines {
			t := strings.TrimSpace(l.Text)
			if console && strings.HasPrefix(t, "$") || !console && t != "" && !strings.HasPrefix(t, "#") {
				commandLines[l.N] = true
			}
		}
	}
	for i, line := range d.Lines {
		n := i + 1
		if commandLines[n] {
			continue
		}
		for _, m := range proseMentionRE.FindAllStringSubmatch(line, -1) {
			add(Mention{Line: n, Kind: m[1], Name: m[2]})
		}
		for _, kind := range []string{"ConfigMap", "RayCluster", "RayJob", "Service"} {
			for _, m := range textMentionREs[kind].FindAllStringSubmatch(line, -1) {
				add(Mention{Line: n, Kind: kind, Name: m[1]})
			}
		}
	}
	return out
}
