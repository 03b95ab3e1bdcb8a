package drift

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Finding is one stale fact.
type Finding struct {
	Line int
	// Rule names the check: path, ref, name, import, image, bind, noop,
	// chart, labels, namespace, message or markdown.
	Rule    string
	Problem string
	// Truth is what is true instead.
	Truth string
}

func (f Finding) String() string { return fmt.Sprintf("%d: %s — %s", f.Line, f.Problem, f.Truth) }

// Note is something the report could not check, so the reader knows it
// was not.
type Note struct {
	Line int
	Text string
}

func (n Note) String() string { return fmt.Sprintf("%d: not checked: %s", n.Line, n.Text) }

// Report is the result for one document.
type Report struct {
	Findings []Finding
	Notes    []Note
}

type checker struct {
	ref    *Reference
	doc    *markdown.Doc
	report Report
	seen   map[string]bool

	// Objects the document's YAML creates: inline YAML and the files it
	// applies that could be read. unresolved is set when it applies a file
	// that could not be read, whose objects are then unknown.
	configMaps  map[string]string
	rayClusters map[string]string
	headSvcs    map[string]string
	unresolved  bool
	// claims127 is set when the document points readers at 127.0.0.1.
	claims127 bool
}

func (c *checker) find(line int, rule, problem, truth string) {
	key := fmt.Sprintf("%d|%s|%s", line, rule, problem)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.report.Findings = append(c.report.Findings, Finding{Line: line, Rule: rule, Problem: problem, Truth: truth})
}

func (c *checker) note(line int, text string) {
	key := fmt.Sprintf("%d|note|%s", line, text)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.report.Notes = append(c.report.Notes, Note{Line: line, Text: text})
}

// Check reports the drift of one document, in line order.
func Check(name string, data []byte, ref *Reference) Report {
	doc, err := markdown.Parse(name, data)
	c := &checker{
		ref: ref, doc: doc, seen: map[string]bool{},
		configMaps: map[string]string{}, rayClusters: map[string]string{}, headSvcs: map[string]string{},
	}
	var unclosed *markdown.UnclosedError
	if errors.As(err, &unclosed) {
		c.find(unclosed.Line, "markdown", "code block never closed", "close it with "+unclosed.Fence+", or everything after it reads as code")
	}
	c.claims127 = strings.Contains(string(data), "127.0.0.1")

	cmds := c.commands()
	c.collectObjects(cmds)
	for n, line := range doc.Lines {
		c.line(n+1, line)
	}
	for _, cmd := range cmds {
		c.command(cmd)
	}
	c.noopEdits()

	sort.SliceStable(c.report.Findings, func(i, j int) bool { return c.report.Findings[i].Line < c.report.Findings[j].Line })
	sort.SliceStable(c.report.Notes, func(i, j int) bool { return c.report.Notes[i].Line < c.report.Notes[j].Line })
	return c.report
}

// cmd is one simple command with the KubeRay directory it runs in, from a
// preceding `# Path: kuberay/…` comment or `cd`, if any.
type cmd struct {
	line  int
	words []string
	dir   string
}

var pathCommentRE = regexp.MustCompile(`(?i)^path:\s*(\S+)`)

func (c *checker) commands() []cmd {
	var out []cmd
	for _, b := range c.doc.Blocks {
		if !b.IsShell() {
			continue
		}
		dir := ""
		// Comments and commands in line order, so a "# Path:" comment sets
		// the directory of the commands below it.
		type item struct {
			line    int
			comment string
			words   []string
		}
		var items []item
		for _, cm := range b.Comments() {
			items = append(items, item{line: cm.Line, comment: cm.Text})
		}
		for _, co := range b.Commands() {
			for _, seg := range markdown.Segments(co.Words) {
				items = append(items, item{line: co.Line, words: seg})
			}
		}
		sort.SliceStable(items, func(i, j int) bool { return items[i].line < items[j].line })
		for _, it := range items {
			if it.words == nil {
				if m := pathCommentRE.FindStringSubmatch(it.comment); m != nil {
					dir = strings.TrimSuffix(m[1], "/")
				}
				continue
			}
			if it.words[0] == "cd" && len(it.words) == 2 {
				dir = path.Join(dir, it.words[1])
				continue
			}
			out = append(out, cmd{line: it.line, words: it.words, dir: dir})
		}
	}
	return out
}

// flagValues returns the values of the named flags, in both --flag value
// and --flag=value forms, and the positional words.
func flagValues(words []string, valued map[string]bool, want ...string) (values []string, positional []string) {
	for i := 1; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			break
		}
		name, value, hasValue := strings.Cut(w, "=")
		if strings.HasPrefix(w, "-") {
			takes := valued[name]
			if takes && !hasValue && i+1 < len(words) {
				i++
				value, hasValue = words[i], true
			}
			for _, x := range want {
				if name == x && hasValue {
					values = append(values, value)
				}
			}
			continue
		}
		positional = append(positional, w)
	}
	return values, positional
}

var kubectlValued = map[string]bool{
	"-n": true, "--namespace": true, "-f": true, "--filename": true, "-l": true, "--selector": true,
	"-o": true, "--output": true, "-c": true, "--container": true, "--address": true, "--image": true,
	"--field-selector": true, "--for": true, "--timeout": true, "--context": true,
}

var helmValued = map[string]bool{
	"-n": true, "--namespace": true, "-f": true, "--values": true, "--version": true, "--set": true, "--repo": true,
}

// collectObjects gathers the objects the document's YAML creates.
func (c *checker) collectObjects(cmds []cmd) {
	for _, b := range c.doc.Blocks {
		if b.Info == "yaml" || b.Info == "yml" {
			c.addObjects(b.Text(), fmt.Sprintf("the YAML at line %d", b.Open))
		}
	}
	for _, co := range cmds {
		if co.words[0] != "kubectl" || len(co.words) < 2 || (co.words[1] != "apply" && co.words[1] != "create") {
			continue
		}
		files, _ := flagValues(co.words, kubectlValued, "-f", "--filename")
		for _, f := range files {
			if data, where, ok := c.readManifest(co, f); ok {
				c.addObjects(string(data), where)
			} else {
				c.unresolved = true
			}
		}
	}
}

// readManifest reads a file a command applies, if it is a path this report
// can resolve: in the KubeRay source (by its directory comment or a KubeRay
// URL) or in this repository.
func (c *checker) readManifest(co cmd, f string) ([]byte, string, bool) {
	if m := kubeRayURLRE.FindStringSubmatch(f); m != nil {
		return c.readKubeRay(m[2])
	}
	if strings.Contains(f, "://") {
		return nil, "", false
	}
	if co.dir != "" && isKubeRayPath(co.dir) {
		return c.readKubeRay(path.Join(strings.TrimPrefix(co.dir, "kuberay/"), f))
	}
	if data, err := os.ReadFile(filepath.Join(c.ref.RepoRoot, filepath.FromSlash(f))); err == nil {
		return data, f + " (this repository)", true
	}
	if isKubeRayPath(f) {
		return c.readKubeRay(f)
	}
	return nil, "", false
}

func (c *checker) readKubeRay(p string) ([]byte, string, bool) {
	p = strings.TrimPrefix(p, "kuberay/")
	rel, ok := strings.CutPrefix(p, "ray-operator/")
	if !ok {
		return nil, "", false
	}
	data, err := os.ReadFile(filepath.Join(c.ref.KubeRayDir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, "", false
	}
	return data, p + " (" + c.ref.KubeRay + ")", true
}

func isKubeRayPath(p string) bool {
	p = strings.TrimPrefix(p, "kuberay/")
	return p == "kuberay" || strings.HasPrefix(p, "ray-operator") || strings.HasPrefix(p, "helm-chart")
}

func (c *checker) addObjects(text, where string) {
	objs, err := fixtures.Decode(where, []byte(text))
	if err != nil {
		return
	}
	for _, o := range objs {
		switch o.GetKind() {
		case "ConfigMap":
			c.configMaps[o.GetName()] = where
		case "RayCluster":
			c.rayClusters[o.GetName()] = where
			svc := facts.HeadServiceName(o.GetName())
			if s, _, _ := unstructured.NestedString(o.Object, "spec", "headGroupSpec", "headService", "metadata", "name"); s != "" {
				svc = s
			}
			c.headSvcs[svc] = o.GetName()
		}
	}
}

var (
	kubeRayURLRE = regexp.MustCompile(`https?://(?:github\.com/ray-project/kuberay/(?:blob|tree|raw)|raw\.githubusercontent\.com/ray-project/kuberay)/([^/\s)]+)/([^\s)"'` + "`" + `#?]+)`)
	// KubeRay paths written without a URL.
	kubeRayPathRE = regexp.MustCompile(`(?:^|[\s` + "`" + `'"(=:])((?:kuberay/)?(?:ray-operator|helm-chart)/[\w./-]*[\w])`)
	unpinnedRE    = regexp.MustCompile(`(?i)(check\s*out|checkout|switch to|use)\W+(?:the\s+)?` + "`?" + `(master|main)` + "`?" + `\s+branch|git\s+(?:checkout|switch)\s+(master|main)\b|` + "`?" + `(master|main)` + "`?" + `\s*分支`)
	imageRefRE    = regexp.MustCompile(`\b(rayproject/ray-ml|rayproject/ray|kindest/node|quay\.io/kuberay/operator|registry\.k8s\.io/pause)(:[\w.-]+)?(@sha256:[0-9a-f]{64})?`)
	imageFieldRE  = regexp.MustCompile(`^\s*-?\s*image:\s*["']?([^\s"'#]+)`)
	rayAirRE      = regexp.MustCompile(`\bray\.air\b(?:\.\w+)*`)
	violatesRE    = regexp.MustCompile(`violates PodSecurity "([^"]+)"`)
	cmOutputRE    = regexp.MustCompile("(?i)\\bconfig\\s?maps?\\b(?:/|\\s+\"|\\s+`|\\s+)([a-z0-9]+(?:-[a-z0-9]+)+)")
	rcOutputRE    = regexp.MustCompile("(?i)\\brayclusters?(?:\\.ray\\.io)?\\b(?:/|\\s+\"|\\s+`)([a-z0-9]+(?:-[a-z0-9]+)+)")
	svcRefRE      = regexp.MustCompile(`\b(?:svc|service|services)/([a-z0-9]+(?:-[a-z0-9]+)+)`)
)

// line applies the checks that read any line: URLs and paths of KubeRay,
// unpinned branches, images, Ray imports, refusal messages and object names
// outside commands.
func (c *checker) line(n int, line string) {
	rest := line
	for _, m := range kubeRayURLRE.FindAllStringSubmatch(line, -1) {
		// Sentence punctuation after a URL is not part of it.
		m[2] = strings.TrimRight(m[2], ".,;:!")
		if m[1] != versions.KubeRay {
			c.find(n, "ref", fmt.Sprintf("links KubeRay at %s, which changes under the tutorial", m[1]), "the tutorial is pinned to KubeRay "+versions.KubeRay+": use "+versions.KubeRay+" in the URL")
		}
		c.kubeRayPath(n, m[2])
		rest = strings.Replace(rest, m[0], "", 1)
	}
	for _, m := range kubeRayPathRE.FindAllStringSubmatch(rest, -1) {
		c.kubeRayPath(n, m[1])
	}
	if m := unpinnedRE.FindString(line); m != "" {
		c.find(n, "ref", fmt.Sprintf("%q: a branch moves, and KubeRay deleted this tutorial's files from it in 2025", strings.TrimSpace(m)), "use KubeRay "+versions.KubeRay+" (git checkout "+versions.KubeRay+") and this repository's files")
	}
	c.images(n, line)
	if m := rayAirRE.FindString(line); m != "" {
		c.find(n, "import", m+" is Ray AIR's API, which Ray 2.7 folded into ray.train and deprecated",
			fmt.Sprintf("with %s import the configs from ray.train, as %s does: `%s`", versions.RayImage, facts.PodSecurityClusterFile, strings.TrimSpace(c.ref.trainImport)))
	}
	c.message(n, line)
	if !c.isCommandLine(n) {
		for _, m := range cmOutputRE.FindAllStringSubmatch(line, -1) {
			c.configMapRef(n, m[1])
		}
		for _, m := range rcOutputRE.FindAllStringSubmatch(line, -1) {
			c.rayClusterRef(n, m[1])
		}
		for _, m := range svcRefRE.FindAllStringSubmatch(line, -1) {
			c.serviceRef(n, m[1])
		}
	}
}

// isCommandLine reports whether line n holds a command (not a comment or
// output) of a shell block; commands are checked word by word instead.
func (c *checker) isCommandLine(n int) bool {
	for _, b := range c.doc.Blocks {
		if n <= b.Open || n >= b.Close || !b.IsShell() {
			continue
		}
		t := strings.TrimSpace(c.doc.Line(n))
		if b.Info == "console" {
			return strings.HasPrefix(t, "$")
		}
		return t != "" && !strings.HasPrefix(t, "#")
	}
	return false
}

// replacements are this repository's files for KubeRay's deleted ones.
var replacements = map[string]string{
	"ray-operator/config/security":                               "this repository's " + facts.KindConfigFile + ", " + facts.AuditPolicyFile + " and " + facts.PodSecurityClusterFile,
	"ray-operator/config/security/kind-config.yaml":              facts.KindConfigFile + " in this repository",
	"ray-operator/config/security/audit-policy.yaml":             facts.AuditPolicyFile + " in this repository",
	"ray-operator/config/security/ray-cluster.pod-security.yaml": facts.PodSecurityClusterFile + " in this repository",
}

func (c *checker) kubeRayPath(n int, p string) {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "kuberay/"), "/")
	exists, checked := c.ref.kubeRayPath(p)
	switch {
	case !checked:
		c.note(n, p+": "+c.ref.KubeRay+" here is the ray-operator Go module only; pass --kuberay with a checkout to check paths outside ray-operator/")
	case !exists:
		truth, ok := replacements[p]
		if !ok {
			truth = "it is not in " + c.ref.KubeRay
			if r, found := replacements[path.Dir(p)]; found {
				truth = "its directory is gone; use " + r
			}
		}
		c.find(n, "path", p+" does not exist in "+c.ref.KubeRay, truth)
	}
}

var pins = map[string]string{
	"rayproject/ray":           versions.RayImage,
	"quay.io/kuberay/operator": versions.KubeRayOperatorImage,
	"registry.k8s.io/pause":    versions.PauseImage,
}

func (c *checker) images(n int, line string) {
	kind, _ := versions.LookupKubernetes(versions.DefaultKubernetes)
	for _, m := range imageRefRE.FindAllStringSubmatch(line, -1) {
		repoName, tag, digest := m[1], m[2], m[3]
		ref := m[0]
		switch {
		case repoName == "rayproject/ray-ml":
			c.find(n, "image", ref+": the rayproject/ray-ml images are discontinued", "use "+versions.RayImage+", the image the tutorial's RayCluster pins")
		case tag == "" && digest == "":
			// A repository name alone, as in prose or a values file.
		case repoName == "kindest/node":
			if ref != kind.KindNodeImage {
				c.find(n, "image", "Kind node image "+ref+" is not the tutorial's", "the tutorial runs Kubernetes "+versions.DefaultKubernetes+" on "+kind.KindNodeImage+" (pinned by digest: a tag is rebuilt by every kind release)")
			}
		default:
			if pin := pins[repoName]; ref != pin {
				c.find(n, "image", "image "+ref+" differs from the pin", "the tutorial pins "+pin)
			}
		}
	}
	if m := imageFieldRE.FindStringSubmatch(line); m != nil && !imageRefRE.MatchString(m[1]) {
		c.find(n, "image", "image "+m[1]+" is not one the tutorial pins", "the tutorial's images are "+versions.RayImage+", "+versions.KubeRayOperatorImage+" and "+versions.PauseImage)
	}
}

func (c *checker) message(n int, line string) {
	line = strings.ReplaceAll(line, `\"`, `"`)
	m := violatesRE.FindStringSubmatchIndex(line)
	if m == nil {
		return
	}
	if policy := line[m[2]:m[3]]; policy != "restricted:latest" {
		c.find(n, "message", "the refusal names policy "+policy, "the namespace enforces restricted at version latest: "+facts.RestrictedPrefix)
	}
	if strings.Contains(line, `container "`+facts.HeadContainer+`"`) && strings.Contains(line, "allowPrivilegeEscalation") && !strings.Contains(line, facts.HeadViolation) {
		c.find(n, "message", "the head Pod's refusal is not worded as the API server words it", "it reads: "+facts.RestrictedPrefix+": "+facts.HeadViolation)
	}
}

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
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" ("+m[k]+")")
	}
	return strings.Join(parts, ", ")
}

var bindFlags = map[string]bool{"--address": true, "--host": true, "--bind": true, "--bind-address": true, "--listen": true, "--dashboard-host": true, "--ip": true}

// command applies the checks that need a command's words.
func (c *checker) command(co cmd) {
	w := co.words
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
				c.find(co.line, "bind", fmt.Sprintf("%s %s binds every network interface: anyone who can reach this machine reaches the server", name, a), "bind 127.0.0.1 only: "+name+" 127.0.0.1")
			}
		}
	}
	switch w[0] {
	case "kubectl":
		c.kubectl(co)
	case "helm":
		c.helm(co)
	}
}

func (c *checker) kubectl(co cmd) {
	w := co.words
	if len(w) < 2 {
		return
	}
	ns, pos := flagValues(w, kubectlValued, "-n", "--namespace")
	if len(pos) == 0 {
		return
	}
	for _, n := range ns {
		if n != facts.Namespace {
			c.find(co.line, "namespace", "namespace "+n+" is not the tutorial's", facts.AuditPolicyFile+" records only namespace "+facts.Namespace+", where the labels of step 3 apply")
		}
	}
	sub := pos[0]
	args := pos[1:]
	if (sub == "create" || sub == "label") && len(args) >= 2 && (args[0] == "namespace" || args[0] == "ns") && args[1] != facts.Namespace {
		c.find(co.line, "namespace", "namespace "+args[1]+" is not the tutorial's", facts.AuditPolicyFile+" records only namespace "+facts.Namespace)
	}
	c.labels(co.line, w)
	// Object names in arguments.
	for i, a := range args {
		typ, name, slash := strings.Cut(a, "/")
		if !slash && i+1 < len(args) {
			typ, name = a, args[i+1]
		}
		switch typ {
		case "configmap", "configmaps", "cm":
			c.configMapRef(co.line, name)
		case "raycluster", "rayclusters", "raycluster.ray.io", "rayclusters.ray.io":
			c.rayClusterRef(co.line, name)
		case "svc", "service", "services":
			if slash {
				c.serviceRef(co.line, name)
			}
		}
	}
	if sub == "port-forward" {
		addr, _ := flagValues(w, kubectlValued, "--address")
		if len(addr) == 0 && c.claims127 {
			c.find(co.line, "bind", "kubectl port-forward without --address binds localhost, 127.0.0.1 and ::1, while the tutorial speaks of 127.0.0.1", "add --address 127.0.0.1")
		}
	}
	if sub == "apply" || sub == "create" || sub == "delete" {
		files, _ := flagValues(w, kubectlValued, "-f", "--filename")
		for _, f := range files {
			c.manifestPath(co, f)
		}
	}
}

// manifestPath checks a file a command applies or deletes.
func (c *checker) manifestPath(co cmd, f string) {
	if strings.Contains(f, "://") {
		return // URLs are checked with every line.
	}
	if co.dir != "" && isKubeRayPath(co.dir) {
		full := path.Join(strings.TrimPrefix(co.dir, "kuberay/"), f)
		if exists, checked := c.ref.kubeRayPath(full); checked && !exists {
			truth, ok := replacements[full]
			if !ok {
				truth = "it is not in " + c.ref.KubeRay
			}
			c.find(co.line, "path", f+" (in "+co.dir+") does not exist in "+c.ref.KubeRay, truth)
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
	c.find(co.line, "path", f+" does not exist", truth)
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

func (c *checker) helm(co cmd) {
	w := co.words
	values, pos := flagValues(w, helmValued, "--version")
	if len(pos) < 3 || pos[0] != "install" {
		return
	}
	ns, _ := flagValues(w, helmValued, "-n", "--namespace")
	for _, n := range ns {
		if n != facts.Namespace {
			c.find(co.line, "namespace", "the operator is installed into "+n, "install it into "+facts.Namespace+", where its own Pod must pass restricted too")
		}
	}
	want := fmt.Sprintf("helm install kuberay-operator kuberay/kuberay-operator --version %s --namespace %s --values %s", versions.KubeRayChartVersion, facts.Namespace, facts.OperatorValuesFile)
	chartRef := pos[2]
	if chartRef == "." || strings.HasPrefix(chartRef, "./") || strings.HasPrefix(chartRef, "/") || strings.HasPrefix(chartRef, "../") || co.dir != "" && !strings.Contains(chartRef, "/") {
		c.find(co.line, "chart", "installs the chart of a KubeRay working tree, whatever version it holds", want)
		return
	}
	switch {
	case len(values) == 0:
		c.find(co.line, "chart", "installs the newest chart, not the pinned one", want)
	case values[len(values)-1] != versions.KubeRayChartVersion:
		c.find(co.line, "chart", "chart version "+values[len(values)-1]+" differs from the pin", want)
	}
	for _, set := range flagsOf(w, "--set") {
		key, val, _ := strings.Cut(set, "=")
		c.valueEdit(co.line, map[string]interface{}{key: val}, true)
	}
}

func flagsOf(words []string, name string) []string {
	v, _ := flagValues(words, helmValued, name)
	return v
}

// editRE finds an instruction to edit chart values. Only explicit editing
// verbs count, so that prose which merely mentions a values file is not
// taken for an instruction.
var editRE = regexp.MustCompile(`(?i)\b(update|edit|change|modify)\b.*\bvalues(?:\.ya?ml)?\b|(修改|更新|编辑|更改).*values`)

// noopEdits finds instructions to edit chart values and the YAML that
// follows them, and reports values the chart already has.
func (c *checker) noopEdits() {
	for i, line := range c.doc.Lines {
		n := i + 1
		if !editRE.MatchString(line) {
			continue
		}
		fragment := c.fragmentAfter(n)
		if fragment == "" {
			continue
		}
		var v map[string]interface{}
		if err := yaml.Unmarshal([]byte(fragment), &v); err != nil || len(v) == 0 {
			continue
		}
		c.valueEdit(n, v, false)
	}
}

// fragmentAfter returns the YAML an instruction on line n points at: the
// lines right below it in the same block, or the next block when the
// instruction is prose.
func (c *checker) fragmentAfter(n int) string {
	if c.doc.InBlock[n] {
		var lines []string
		for m := n + 1; m <= len(c.doc.Lines) && c.doc.InBlock[m]; m++ {
			t := c.doc.Line(m)
			if strings.TrimSpace(t) == "" || strings.HasPrefix(strings.TrimSpace(t), "#") || strings.HasPrefix(strings.TrimSpace(t), "```") {
				break
			}
			lines = append(lines, t)
		}
		return strings.Join(lines, "\n")
	}
	for _, b := range c.doc.Blocks {
		if b.Open > n {
			// Only a YAML block right below the instruction is what it asks
			// for; one further down belongs to other text.
			if (b.Info != "yaml" && b.Info != "yml") || b.Open-n > 3 {
				return ""
			}
			return b.Text()
		}
	}
	return ""
}

// valueEdit compares edited values with the chart's defaults: values the
// chart has and already sets to the same thing make the edit a no-op; keys
// the chart does not have make it ineffective.
func (c *checker) valueEdit(n int, edit map[string]interface{}, fromSet bool) {
	var same, unknown []string
	total := 0
	for _, leaf := range leaves(edit, nil) {
		total++
		key := strings.Join(leaf.path, ".")
		def, exists, known := c.ref.chartValue(leaf.path)
		switch {
		case !exists && known:
			unknown = append(unknown, key)
		case !exists:
			c.note(n, key+": the stand-in chart leaves this key out; pass --kuberay with a checkout to check it against the real chart")
		case fromSet && fmt.Sprint(def) == fmt.Sprint(leaf.value) || !fromSet && reflect.DeepEqual(def, leaf.value):
			same = append(same, fmt.Sprintf("%s=%v", key, leaf.value))
		}
	}
	for _, k := range unknown {
		c.find(n, "noop", "the chart has no value "+k+", so setting it changes nothing", "see "+c.ref.ChartSource+" for the values it reads")
	}
	if total > 0 && len(same) == total {
		c.find(n, "noop", "asks to edit chart values that "+c.ref.ChartSource+" already sets: "+strings.Join(same, ", "),
			"nothing to edit: install the chart as it is, with --values "+facts.OperatorValuesFile+", which states the restricted settings on purpose")
	}
}

type leaf struct {
	path  []string
	value interface{}
}

func leaves(v interface{}, prefix []string) []leaf {
	m, ok := v.(map[string]interface{})
	if !ok || len(m) == 0 {
		return []leaf{{path: prefix, value: v}}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []leaf
	for _, k := range keys {
		out = append(out, leaves(m[k], append(append([]string(nil), prefix...), strings.Split(k, ".")...))...)
	}
	return out
}
