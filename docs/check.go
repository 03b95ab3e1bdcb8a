package docs

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Problem is one way a document is wrong.
type Problem struct {
	Doc  string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.Doc, p.Line, p.Msg) }

// Markers that are not steps: blocks about ways to run the tutorial and
// about cleaning up.
var sectionMarkers = []string{"local", "offline", "clean-up"}

type checker struct {
	doc      *markdown.Doc
	f        *Facts
	problems []Problem
	// block is the block being checked.
	block markdown.Block
	// helmRepos are the aliases `helm repo add` made so far.
	helmRepos map[string]bool
}

func (c *checker) addf(line int, format string, args ...interface{}) {
	c.problems = append(c.problems, Problem{Doc: c.doc.Name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Check returns every problem of one document. docDir is the directory the
// document is in, for its relative links.
func Check(doc *markdown.Doc, docDir string, f *Facts) []Problem {
	c := &checker{doc: doc, f: f, helmRepos: map[string]bool{}}
	c.structure()
	for _, b := range doc.Blocks {
		c.block = b
		switch {
		case b.IsShell():
			c.commands(b)
		case b.Info == "text":
			c.output(b)
		case b.Info == "yaml":
			c.yamlExcerpt(b)
		default:
			c.addf(b.Open, "code block with info string %q: use sh for commands, text for their output or yaml for an excerpt of a file, so that the block is checked", b.Info)
		}
	}
	c.prose(docDir)
	return c.problems
}

// structure: every block names its step, steps come in order, every step
// has commands, a test named in its text, and a way to run it alone.
func (c *checker) structure() {
	last := -1
	hasCommand := map[string]bool{}
	hasRun := map[string]bool{}
	sections := map[string]map[int]bool{}
	for _, b := range c.doc.Blocks {
		if b.Marker == "" {
			c.addf(b.Open, "code block without a step marker: put <!-- step: ID --> on the line before it (ID one of %s, or %s)", stepIDs(), strings.Join(sectionMarkers, ", "))
			continue
		}
		idx := facts.StepIndex(b.Marker)
		if idx < 0 {
			if !slices.Contains(sectionMarkers, b.Marker) {
				c.addf(b.MarkerLine, "step marker %q names no step: use one of %s, or %s", b.Marker, stepIDs(), strings.Join(sectionMarkers, ", "))
			}
			continue
		}
		if idx < last {
			c.addf(b.MarkerLine, "a block of step %s comes after a block of step %s: keep the steps in the tutorial's order", b.Marker, facts.Steps[last].ID)
		}
		last = max(last, idx)
		if sections[b.Marker] == nil {
			sections[b.Marker] = map[int]bool{}
		}
		sections[b.Marker][b.Section] = true
		for _, cmd := range b.Commands() {
			if len(cmd.Words) >= 2 && cmd.Words[0] == "go" && cmd.Words[1] == "test" {
				hasRun[b.Marker] = true
			} else {
				hasCommand[b.Marker] = true
			}
		}
	}
	for _, s := range facts.Steps {
		if !hasCommand[s.ID] {
			c.addf(1, "step %s has no command block: mark the step's commands with <!-- step: %s -->", s.ID, s.ID)
		}
		if !hasRun[s.ID] {
			c.addf(1, "step %s does not say how to run it alone: add a block marked <!-- step: %s --> with go test ./e2e -v -run '%s'", s.ID, s.ID, s.RunPattern())
		}
		named := false
		for sec := range sections[s.ID] {
			for _, l := range c.doc.SectionText(sec) {
				if !c.doc.InBlock[l.N] && strings.Contains(l.Text, s.TestName()) {
					named = true
				}
			}
		}
		if len(sections[s.ID]) > 0 && !named {
			c.addf(1, "step %s does not name the test that proves it: write `%s` in the step's text", s.ID, s.TestName())
		}
	}
}

// stepIDs lists the steps' IDs for messages.
func stepIDs() string { return strings.Join(facts.StepIDs(facts.Steps), ", ") }

// commands checks each simple command of a shell block.
func (c *checker) commands(b markdown.Block) {
	for _, cmd := range b.Commands() {
		for _, w := range cmd.Words {
			if strings.Contains(w, "0.0.0.0") {
				c.addf(cmd.Line, "%q binds or reaches every network interface: instructions bind 127.0.0.1 only", w)
			}
		}
		for _, seg := range markdown.Segments(cmd.Words) {
			c.command(cmd.Line, seg)
		}
	}
}

func (c *checker) command(line int, words []string) {
	// Leading NAME=value words set the environment of the command.
	for len(words) > 0 && envAssignRE.MatchString(words[0]) {
		c.envVar(line, words[0])
		words = words[1:]
	}
	if len(words) == 0 {
		return
	}
	switch words[0] {
	case "kind":
		c.kind(line, words)
	case "docker":
		c.docker(line, words)
	case "kubectl":
		c.kubectl(line, words)
	case "helm":
		c.helm(line, words)
	case "go":
		c.goCmd(line, words)
	case "make":
		for _, t := range words[1:] {
			if !c.f.MakeTargets[t] {
				c.addf(line, "make %s: the Makefile has no target %q", t, t)
			}
		}
	case "curl":
		c.curl(line, words)
	case "echo":
		if len(words) != 2 || words[1] != "$?" {
			c.addf(line, "%s: the documents use echo only as `echo $?`, for the exit code the suite asserts; teach docs/check.go what else it must equal, or remove it", strings.Join(words, " "))
		}
	default:
		c.addf(line, "command %q is not one docs/check.go knows: teach it what the command's arguments must equal, or remove the command", words[0])
	}
}

var envAssignRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

// envVar checks a setting of the suite and its value.
func (c *checker) envVar(line int, assign string) {
	name, value, _ := strings.Cut(assign, "=")
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s`).MatchString(settings.Describe) {
		c.addf(line, "%s is not a setting of the suite: see internal/settings (settings.Describe) for the variables", name)
		return
	}
	switch name {
	case "E2E_PROVIDER":
		if !slices.Contains(settings.Providers, value) {
			c.addf(line, "E2E_PROVIDER=%s: the providers are %s", value, strings.Join(settings.Providers, ", "))
		}
	case "E2E_KUBERNETES_VERSION":
		if _, err := versions.LookupKubernetes(value); err != nil {
			c.addf(line, "%v", err)
		}
	case "E2E_CHART":
		if value != "standin" && value != "repo" && !c.f.exists(value) {
			c.addf(line, "E2E_CHART=%s: use standin, repo or an existing chart path", value)
		}
	}
}

// flags splits a command's words into positional arguments and flag values.
// valued lists the flags that take a value; a flag not in it is reported.
// Words after "--" are returned as rest.
type parsed struct {
	args  []string
	flags map[string][]string
	rest  []string
}

func (c *checker) parse(line int, words []string, valued map[string]string, boolean ...string) parsed {
	p := parsed{flags: map[string][]string{}}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			p.rest = words[i+1:]
			break
		}
		if !strings.HasPrefix(w, "-") || w == "-" {
			p.args = append(p.args, w)
			continue
		}
		name, value, hasValue := strings.Cut(w, "=")
		if long, ok := valued[name]; ok {
			if long != "" {
				name = long
			}
			if !hasValue {
				if i+1 >= len(words) {
					c.addf(line, "flag %s has no value", name)
					break
				}
				i++
				value = words[i]
			}
			p.flags[name] = append(p.flags[name], value)
			continue
		}
		if slices.Contains(boolean, name) {
			p.flags[name] = append(p.flags[name], "true")
			continue
		}
		c.addf(line, "%s: flag %s is not one docs/check.go knows for this command: teach it what the flag's value must equal, or remove the flag", words[0], name)
	}
	return p
}

func (p parsed) one(name string) (string, bool) {
	v := p.flags[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

func (c *checker) kind(line int, words []string) {
	p := c.parse(line, words, map[string]string{"--image": "", "--config": "", "--name": ""})
	sub := strings.Join(p.args[1:], " ")
	if name, ok := p.one("--name"); ok && name != "kind" {
		// The documents read the audit log from the node of the default
		// cluster name.
		c.addf(line, "kind --name %s: the documents use the default cluster name kind, whose node is %s", name, facts.KindControlPlane)
	}
	switch sub {
	case "create cluster":
		img, ok := p.one("--image")
		if !ok {
			c.addf(line, "kind create cluster without --image starts kind's default Kubernetes, not the pinned one: add --image %s", c.f.KindNodeImage)
		} else if img != c.f.KindNodeImage {
			c.addf(line, "kind node image %s: the pin (versions, Kubernetes %s) is %s", img, versions.DefaultKubernetes, c.f.KindNodeImage)
		}
		cfg, ok := p.one("--config")
		switch {
		case !ok:
			c.addf(line, "kind create cluster without --config %s has no audit log: add it", facts.KindConfigFile)
		case cfg != facts.KindConfigFile:
			c.addf(line, "kind --config %s: the tutorial's cluster is %s", cfg, facts.KindConfigFile)
		default:
			c.repoPath(line, cfg)
		}
	case "delete cluster":
	default:
		c.addf(line, "kind %s: the documents only create and delete the cluster", sub)
	}
}

func (c *checker) docker(line int, words []string) {
	if len(words) < 4 || words[1] != "exec" {
		c.addf(line, "%s: the documents use docker only as `docker exec %s cat|grep … %s`", strings.Join(words, " "), facts.KindControlPlane, facts.AuditLogPath)
		return
	}
	if words[2] != facts.KindControlPlane {
		c.addf(line, "docker exec %s: the control-plane node of the cluster `kind create cluster` makes is %s", words[2], facts.KindControlPlane)
	}
	inner := words[3:]
	file := inner[len(inner)-1]
	switch {
	case inner[0] == "cat" && len(inner) == 2:
	case inner[0] == "grep" && len(inner) == 3:
		c.headPodPattern(line, inner[1])
	default:
		c.addf(line, "docker exec … %s: the documents read the audit log with cat FILE or grep RAYCLUSTER-head FILE", strings.Join(inner, " "))
	}
	c.auditLogPath(line, file)
}

// headPodPattern: the refused head Pods are named after their RayCluster.
func (c *checker) headPodPattern(line int, pattern string) {
	name, ok := strings.CutSuffix(pattern, "-head")
	if !ok || c.f.RayClusters[name] == "" {
		c.addf(line, "grep %s: search for a RayCluster's head Pods as <RayCluster>-head; the RayClusters are %s", pattern, names(c.f.RayClusters))
	}
}

func (c *checker) auditLogPath(line int, p string) {
	if p != facts.AuditLogPath {
		c.addf(line, "audit log %s: the kind tier's API server writes it to %s (facts.AuditLogPath)", p, facts.AuditLogPath)
		return
	}
	// Once the kind tier's configuration is in the repository, it must write
	// the log where the documents read it.
	if data, err := os.ReadFile(filepath.Join(c.f.RepoRoot, facts.KindConfigFile)); err == nil {
		if !regexp.MustCompile(`(?m)^\s*audit-log-path:\s*"?` + regexp.QuoteMeta(p) + `"?\s*$`).Match(data) {
			c.addf(line, "%s does not set audit-log-path: %s, so the audit log is not where the documents read it", facts.KindConfigFile, p)
		}
	}
}

var kubectlFlags = map[string]string{
	"--namespace": "", "-n": "--namespace",
	"--filename": "", "-f": "--filename",
	"--selector": "", "-l": "--selector",
	"--output": "", "-o": "--output",
	"--field-selector": "", "--for": "", "--timeout": "", "--image": "", "--address": "",
	"--container": "", "-c": "--container",
}

func (c *checker) kubectl(line int, words []string) {
	p := c.parse(line, words, kubectlFlags)
	if len(p.args) < 2 {
		c.addf(line, "kubectl without a subcommand")
		return
	}
	sub := p.args[1]
	args := p.args[2:]
	ns, hasNS := p.one("--namespace")
	switch {
	case (sub == "create" || sub == "label") && len(args) > 0 && args[0] == "namespace":
		if len(args) < 2 || args[1] != facts.Namespace {
			c.addf(line, "kubectl %s namespace %s: the tutorial's namespace is %s", sub, strings.Join(args[1:], " "), facts.Namespace)
		}
		if sub == "label" {
			c.labels(line, args[2:])
		} else if len(args) > 2 {
			c.addf(line, "kubectl create namespace takes only the name")
		}
		return
	case !hasNS:
		c.addf(line, "kubectl %s without --namespace %s acts on the current context's namespace: add --namespace %s", sub, facts.Namespace, facts.Namespace)
	case ns != facts.Namespace:
		c.addf(line, "--namespace %s: the tutorial's namespace is %s", ns, facts.Namespace)
	}
	for _, sel := range p.flags["--selector"] {
		c.selector(line, sel)
	}
	switch sub {
	case "run":
		if len(args) != 1 || args[0] != facts.ProbeContainer {
			c.addf(line, "kubectl run %s: name the Pod %s; kubectl names its container after the Pod, and the suite asserts the refusal for container %q", strings.Join(args, " "), facts.ProbeContainer, facts.ProbeContainer)
		}
		if img, _ := p.one("--image"); img != versions.PauseImage {
			c.addf(line, "kubectl run --image %s: step 3's probe runs versions.PauseImage %s", img, versions.PauseImage)
		}
	case "apply", "delete":
		files := p.flags["--filename"]
		for _, f := range files {
			c.manifest(line, f)
		}
		if len(files) == 0 {
			if sub == "delete" && len(args) == 2 && isRayClusterResource(args[0]) {
				c.rayCluster(line, args[1])
			} else {
				c.addf(line, "kubectl %s %s: apply or delete the tutorial's files with --filename, or delete raycluster NAME", sub, strings.Join(args, " "))
			}
		}
	case "get":
		switch {
		case len(args) == 1 && (args[0] == "pods" || args[0] == "pod"):
		case len(args) == 2 && isRayClusterResource(args[0]):
			c.rayCluster(line, args[1])
			if out, ok := p.one("--output"); ok {
				c.jsonpath(line, out)
			}
		case len(args) == 1 && args[0] == "events":
			for _, fs := range p.flags["--field-selector"] {
				if fs != "reason="+facts.EventFailedToCreateHeadPod {
					c.addf(line, "--field-selector %s: KubeRay's event for a refused head Pod has reason %s", fs, facts.EventFailedToCreateHeadPod)
				}
			}
		default:
			c.addf(line, "kubectl get %s: the documents get pods, events or a RayCluster by name", strings.Join(args, " "))
		}
	case "wait":
		if len(args) != 1 {
			c.addf(line, "kubectl wait takes one TYPE/NAME")
			return
		}
		kind, name, _ := strings.Cut(args[0], "/")
		cond, _ := p.one("--for")
		switch {
		case kind == "deployment":
			if name != c.f.OperatorDeployment {
				c.addf(line, "deployment/%s: the chart's operator Deployment is %s", name, c.f.OperatorDeployment)
			}
			if cond != "condition=Available" {
				c.addf(line, "--for=%s: wait for the operator with --for=condition=Available", cond)
			}
		case isRayClusterResource(kind):
			c.rayCluster(line, name)
			if cond != "jsonpath={.status.state}=ready" {
				c.addf(line, "--for=%s: the suite waits for the RayCluster's state ready: --for=jsonpath='{.status.state}'=ready", cond)
			}
		default:
			c.addf(line, "kubectl wait %s: the documents wait for the operator Deployment or a RayCluster", args[0])
		}
	case "exec":
		if len(args) != 1 {
			c.addf(line, "kubectl exec takes one Pod or svc/NAME before --")
			return
		}
		c.headService(line, args[0])
		if cn, _ := p.one("--container"); cn != facts.HeadContainer {
			c.addf(line, "kubectl exec -c %s: the Ray container of the head Pod is %s", cn, facts.HeadContainer)
		}
		if !slices.Equal(p.rest, facts.XGBoostCommand()) && !slices.Equal(p.rest, facts.PipInstall()) {
			c.addf(line, "kubectl exec … -- %s: the suite runs `%s` and `%s` in the head container", strings.Join(p.rest, " "), strings.Join(facts.XGBoostCommand(), " "), strings.Join(facts.PipInstall(), " "))
		}
	case "port-forward":
		if len(args) != 2 {
			c.addf(line, "kubectl port-forward takes svc/NAME and LOCAL:REMOTE")
			return
		}
		c.headService(line, args[0])
		local, remote, found := strings.Cut(args[1], ":")
		if !found {
			remote = local
		}
		if remote != strconv.Itoa(facts.DashboardPort) || local != remote {
			c.addf(line, "port-forward %s: forward the dashboard's port %d to the same local port, %d:%d, which the documents' URLs use", args[1], facts.DashboardPort, facts.DashboardPort, facts.DashboardPort)
		}
		if addr, ok := p.one("--address"); !ok || addr != "127.0.0.1" {
			c.addf(line, "port-forward without --address 127.0.0.1 (got %q): bind the dashboard to this machine only", addr)
		}
	default:
		c.addf(line, "kubectl %s is not one docs/check.go knows: teach it what the arguments must equal, or remove the command", sub)
	}
}

func isRayClusterResource(s string) bool {
	switch s {
	case "raycluster", "rayclusters", "raycluster.ray.io", "rayclusters.ray.io":
		return true
	}
	return false
}

func (c *checker) rayCluster(line int, name string) {
	if c.f.RayClusters[name] == "" {
		c.addf(line, "RayCluster %s does not exist: the tutorial's RayClusters are %s", name, names(c.f.RayClusters))
	}
}

func (c *checker) headService(line int, ref string) {
	name, ok := strings.CutPrefix(ref, "svc/")
	if !ok {
		name, ok = strings.CutPrefix(ref, "service/")
	}
	want := facts.HeadServiceName(fixtures.RayClusterName)
	if !ok || name != want {
		c.addf(line, "%s: reach the head Pod through svc/%s, the head Service KubeRay %s makes for %s", ref, want, versions.KubeRay, fixtures.RayClusterName)
	}
}

var conditionRE = regexp.MustCompile(`@\.type=="([^"]*)"`)

func (c *checker) jsonpath(line int, out string) {
	for _, m := range conditionRE.FindAllStringSubmatch(out, -1) {
		if m[1] != facts.ConditionReplicaFailure {
			c.addf(line, "condition %s: KubeRay reports a refused head Pod in the condition %s", m[1], facts.ConditionReplicaFailure)
		}
	}
}

func (c *checker) selector(line int, sel string) {
	for _, term := range strings.Split(sel, ",") {
		k, v, _ := strings.Cut(term, "=")
		switch k {
		case facts.ClusterLabel:
			c.rayCluster(line, v)
		case facts.NodeTypeLabel:
			if v != "head" && v != "worker" {
				c.addf(line, "%s=%s: KubeRay labels Pods head or worker", k, v)
			}
		default:
			c.addf(line, "selector %s: select Ray Pods by %s or %s", term, facts.ClusterLabel, facts.NodeTypeLabel)
		}
	}
}

// labels: exactly the six, with their values.
func (c *checker) labels(line int, args []string) {
	got := map[string]string{}
	for _, a := range args {
		if a == "--overwrite" {
			continue
		}
		k, v, ok := strings.Cut(a, "=")
		if !ok || !strings.HasPrefix(k, facts.LabelPrefix) {
			c.addf(line, "label %s is not a Pod Security label; step 3 sets only the six %s labels", a, facts.LabelPrefix)
			continue
		}
		got[k] = v
	}
	for _, l := range facts.Labels {
		v, ok := got[l.Key]
		switch {
		case !ok:
			c.addf(line, "label %s=%s is missing: the namespace carries exactly the six labels the suite asserts", l.Key, l.Value)
		case v != l.Value:
			c.addf(line, "label %s=%s: the suite asserts %s=%s", l.Key, v, l.Key, l.Value)
		}
		delete(got, l.Key)
	}
	for k, v := range got {
		c.addf(line, "label %s=%s is not one of the six the suite asserts: remove it", k, v)
	}
}

// manifest: a file of this repository, or KubeRay's sample at the pinned tag.
func (c *checker) manifest(line int, ref string) {
	if u, err := url.Parse(ref); err == nil && u.Scheme != "" {
		c.kubeRayURL(line, ref)
		return
	}
	if ref != facts.PodSecurityClusterFile {
		c.addf(line, "%s: the tutorial applies %s (and KubeRay's %s by URL)", ref, facts.PodSecurityClusterFile, facts.CompleteSample)
	}
	c.repoPath(line, ref)
}

var rawKubeRayRE = regexp.MustCompile(`^https://raw\.githubusercontent\.com/ray-project/kuberay/([^/]+)/(.+)$`)

func (c *checker) kubeRayURL(line int, ref string) {
	m := rawKubeRayRE.FindStringSubmatch(ref)
	if m == nil {
		c.addf(line, "%s: the only file fetched by URL is KubeRay's sample, https://raw.githubusercontent.com/ray-project/kuberay/%s/%s", ref, versions.KubeRay, facts.CompleteSampleRepoPath)
		return
	}
	if m[1] != versions.KubeRay {
		c.addf(line, "%s reads KubeRay at %s: the pin is %s", ref, m[1], versions.KubeRay)
	}
	if m[2] != facts.CompleteSampleRepoPath {
		c.addf(line, "%s: the sample of step 5.1 is %s", ref, facts.CompleteSampleRepoPath)
	}
	c.kubeRayPath(line, m[2])
}

// kubeRayPath checks a path of a KubeRay checkout against the pinned module,
// which holds the ray-operator directory.
func (c *checker) kubeRayPath(line int, p string) {
	rel, ok := strings.CutPrefix(p, "ray-operator/")
	if !ok {
		c.addf(line, "%s is outside ray-operator/, so it cannot be checked against the pinned module: refer to KubeRay files under ray-operator/", p)
		return
	}
	if _, err := os.Stat(filepath.Join(c.f.KubeRayDir, filepath.FromSlash(rel))); err != nil {
		c.addf(line, "%s does not exist in KubeRay %s (%s)", p, versions.KubeRay, c.f.KubeRayDir)
	}
}

func (c *checker) repoPath(line int, p string) {
	if !c.f.exists(p) {
		c.addf(line, "%s does not exist in this repository: fix the path", p)
	}
}

var helmFlags = map[string]string{
	"--version": "", "--namespace": "", "-n": "--namespace", "--values": "", "-f": "--values", "--set": "",
}

func (c *checker) helm(line int, words []string) {
	p := c.parse(line, words, helmFlags)
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
		if v, _ := p.one("--version"); v != versions.KubeRayChartVersion {
			c.addf(line, "chart version %q: the pin is %s (versions.KubeRayChartVersion)", v, versions.KubeRayChartVersion)
		}
		if ns, _ := p.one("--namespace"); ns != facts.Namespace {
			c.addf(line, "helm install --namespace %q: the operator goes into %s", ns, facts.Namespace)
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
		c.addf(line, "helm %s: the documents add the repository, update it and install the chart", sub)
	}
}

func hasKey(m map[string]interface{}, path []string) bool {
	var cur interface{} = m
	for _, k := range path {
		mm, ok := cur.(map[string]interface{})
		if !ok {
			return false
		}
		if cur, ok = mm[k]; !ok {
			return false
		}
	}
	return true
}

func (c *checker) goCmd(line int, words []string) {
	switch {
	case len(words) >= 3 && words[1] == "test":
		p := c.parse(line, words, map[string]string{"-run": ""}, "-v", "-args", "--dry-run")
		if len(p.args) != 3 {
			c.addf(line, "go test takes one package in the documents")
			return
		}
		pkg := p.args[2]
		c.repoPath(line, strings.TrimPrefix(pkg, "./"))
		pattern, hasRun := p.one("-run")
		if !hasRun {
			return
		}
		if pkg != "./e2e" {
			c.addf(line, "go test %s -run: the steps are tests of ./e2e", pkg)
			return
		}
		got, err := facts.Selected(pattern)
		if err != nil {
			c.addf(line, "%v", err)
			return
		}
		ids := make([]string, len(got))
		for i, s := range got {
			ids[i] = s.ID
		}
		if facts.StepIndex(c.block.Marker) >= 0 && !slices.Equal(ids, []string{c.block.Marker}) {
			s, _ := facts.LookupStep(c.block.Marker)
			c.addf(line, "-run %s runs steps [%s], not step %s alone: use -run '%s'", pattern, strings.Join(ids, " "), c.block.Marker, s.RunPattern())
		}
	case len(words) >= 3 && words[1] == "run":
		p := c.parse(line, words, map[string]string{"--doc": "", "--kuberay": ""})
		if len(p.args) != 3 {
			c.addf(line, "go run takes one command in the documents")
			return
		}
		c.repoPath(line, strings.TrimPrefix(p.args[2], "./"))
		for _, d := range p.flags["--doc"] {
			c.repoPath(line, d)
		}
	default:
		c.addf(line, "%s: the documents run go test and go run only", strings.Join(words, " "))
	}
}

func (c *checker) curl(line int, words []string) {
	p := c.parse(line, words, nil, "-s")
	if len(p.args) != 2 {
		c.addf(line, "curl takes one URL in the documents")
		return
	}
	c.localURL(line, p.args[1])
}

var localURLRE = regexp.MustCompile(`https?://(?:127\.0\.0\.1|localhost):(\d+)(/[^\s)` + "`" + `]*)?`)

// localURL: the dashboard through the port-forward.
func (c *checker) localURL(line int, u string) {
	m := localURLRE.FindStringSubmatch(u)
	if m == nil {
		c.addf(line, "%s: the documents reach the dashboard at http://127.0.0.1:%d", u, facts.DashboardPort)
		return
	}
	if m[1] != strconv.Itoa(facts.DashboardPort) {
		c.addf(line, "%s: the dashboard's port is %d", u, facts.DashboardPort)
	}
	if path := m[2]; path != "" && path != "/" && path != facts.JobsAPIPath && path != "/#/jobs" {
		c.addf(line, "%s: the dashboard paths the documents use are / , /#/jobs and %s", u, facts.JobsAPIPath)
	}
}

// output checks an expected-output block line by line.
func (c *checker) output(b markdown.Block) {
	for _, l := range b.Lines {
		t := strings.TrimSpace(l.Text)
		switch {
		case t == "":
		case strings.Contains(t, "violates PodSecurity"):
			c.refusal(l.N, t)
		case c.f.ScriptPrints[t]:
		default:
			c.addf(l.N, "output line %q is not one docs/check.go can check: quote a refusal message or a line the fixture's script prints", t)
		}
	}
}

// refusal: what the suite asserts, and what the pinned API server wrote.
func (c *checker) refusal(line int, t string) {
	var container, violation string
	switch c.block.Marker {
	case "3":
		container, violation = facts.ProbeContainer, facts.ProbeViolation
	case "5.1":
		container, violation = facts.HeadContainer, facts.HeadViolation
	default:
		c.addf(line, "a refusal message in step %s: only steps 3 and 5.1 show one", c.block.Marker)
		return
	}
	i := strings.Index(t, facts.RestrictedPrefix)
	if i < 0 {
		c.addf(line, "refusal %q: the API server's message starts with %s", t, facts.RestrictedPrefix)
		return
	}
	if head := t[:i]; head != "" {
		want := fmt.Sprintf("Error from server (Forbidden): pods %q is forbidden: ", container)
		if head != want {
			c.addf(line, "refusal prefix %q: kubectl prints %q for the Pod %s", head, want, container)
		}
	}
	msg := t[i:]
	if asserted := facts.RestrictedPrefix + ": " + violation; !strings.HasPrefix(msg, asserted) {
		c.addf(line, "refusal %q does not start with what the suite asserts: %q", msg, asserted)
	}
	if !c.f.Refusals[msg] {
		c.addf(line, "refusal %q is not what Kubernetes %s writes (%s); copy the message from there", msg, versions.DefaultKubernetes, c.f.RefusalsFile)
	}
}

// yamlExcerpt: a YAML block is an excerpt of a repository file named in its
// first line, and equal to it where it overlaps.
func (c *checker) yamlExcerpt(b markdown.Block) {
	if len(b.Lines) == 0 || !strings.HasPrefix(strings.TrimSpace(b.Lines[0].Text), "#") {
		c.addf(b.Open, "YAML block without a source: start it with `# FILE (excerpt)` naming the repository file it shows")
		return
	}
	fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(b.Lines[0].Text), "#"))
	if len(fields) == 0 {
		c.addf(b.Lines[0].N, "YAML block without a source: name the repository file it shows")
		return
	}
	// A translation may put its word for "excerpt" right after the name.
	file := strings.FieldsFunc(fields[0], func(r rune) bool { return r == '（' || r == '(' })[0]
	if !c.f.exists(file) {
		c.addf(b.Lines[0].N, "%s does not exist in this repository: name the file the excerpt is from", file)
		return
	}
	data, err := os.ReadFile(filepath.Join(c.f.RepoRoot, file))
	if err != nil {
		c.addf(b.Lines[0].N, "%v", err)
		return
	}
	var whole, part map[string]interface{}
	if err := yaml.Unmarshal(data, &whole); err != nil {
		c.addf(b.Lines[0].N, "%s: %v", file, err)
		return
	}
	if err := yaml.Unmarshal([]byte(b.Text()), &part); err != nil {
		c.addf(b.Open, "the excerpt is not valid YAML: %v", err)
		return
	}
	for _, d := range subtreeDiffs(part, whole, nil) {
		c.addf(b.Open, "the excerpt differs from %s: %s", file, d)
	}
	if file == facts.OperatorValuesFile {
		for _, k := range leafPaths(part, nil) {
			if !c.f.ChartHasValue(k) {
				c.addf(b.Open, "value %s does not exist in the chart's values (%s/values.yaml): the chart would ignore it", strings.Join(k, "."), facts.StandInChartDir)
			}
		}
	}
}

// subtreeDiffs lists where part is not contained in whole.
func subtreeDiffs(part, whole interface{}, path []string) []string {
	pm, ok := part.(map[string]interface{})
	if !ok {
		if !reflect.DeepEqual(part, whole) {
			return []string{fmt.Sprintf("%s is %v there, %v here", strings.Join(path, "."), whole, part)}
		}
		return nil
	}
	wm, ok := whole.(map[string]interface{})
	if !ok {
		return []string{fmt.Sprintf("%s is not a mapping there", strings.Join(path, "."))}
	}
	var out []string
	for k, v := range pm {
		p := append(append([]string(nil), path...), k)
		w, ok := wm[k]
		if !ok {
			out = append(out, fmt.Sprintf("%s is not set there", strings.Join(p, ".")))
			continue
		}
		out = append(out, subtreeDiffs(v, w, p)...)
	}
	return out
}

func leafPaths(v interface{}, path []string) [][]string {
	m, ok := v.(map[string]interface{})
	if !ok {
		return [][]string{path}
	}
	var out [][]string
	for k, vv := range m {
		out = append(out, leafPaths(vv, append(append([]string(nil), path...), k))...)
	}
	return out
}

var (
	inlineCodeRE = regexp.MustCompile("`([^`]+)`")
	// Image references of the registries the tutorial uses.
	imageRE = regexp.MustCompile(`\b(?:kindest/node|rayproject/ray(?:-ml)?|quay\.io/kuberay/operator|registry\.k8s\.io/pause)(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?`)
	// Paths of this repository, by their shape.
	repoPathRE = regexp.MustCompile(`^(?:[\w.-]+/)*[\w.-]+\.(?:ya?ml|go|md|py|log)$|^(?:fixtures|e2e|docs|cmd|tutorial|drift|audit)/[\w./-]*$`)
	linkRE     = regexp.MustCompile(`\]\(([^)#\s]+)\)`)
	objectRE   = regexp.MustCompile("(ConfigMap|RayCluster|Service)\\s*`([a-z0-9-]+)`")
	envRE      = regexp.MustCompile(`\bE2E_[A-Z0-9_]+(?:=[\w.,/-]+)?`)
)

// prose checks facts anywhere in the document: images, test names, paths,
// links, object names, local URLs and settings.
func (c *checker) prose(docDir string) {
	for i, line := range c.doc.Lines {
		n := i + 1
		for _, img := range imageRE.FindAllString(line, -1) {
			if _, ok := c.f.Images[img]; !ok && !c.f.pinnedRepository(img) {
				c.addf(n, "image %s is not pinned: the pins are %s", img, names(c.f.Images))
			}
		}
		for _, m := range localURLRE.FindAllString(line, -1) {
			c.localURL(n, m)
		}
		if c.doc.InBlock[n] {
			continue
		}
		for _, m := range inlineCodeRE.FindAllStringSubmatch(line, -1) {
			c.inlineCode(n, m[1])
		}
		for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
			if u, err := url.Parse(m[1]); err == nil && u.Scheme == "" {
				if _, err := os.Stat(filepath.Join(docDir, filepath.FromSlash(m[1]))); err != nil {
					c.addf(n, "link %s: no such file next to the document", m[1])
				}
			}
		}
		for _, m := range objectRE.FindAllStringSubmatch(line, -1) {
			var known map[string]string
			switch m[1] {
			case "ConfigMap":
				known = c.f.ConfigMaps
			case "RayCluster":
				known = c.f.RayClusters
			case "Service":
				known = c.f.HeadServices
			}
			if known[m[2]] == "" {
				c.addf(n, "%s %s does not exist: the tutorial's are %s", m[1], m[2], names(known))
			}
		}
		for _, m := range envRE.FindAllString(line, -1) {
			if strings.Contains(m, "=") {
				c.envVar(n, strings.TrimRight(m, "`),.;"))
			} else {
				c.envVar(n, m+"=")
			}
		}
	}
}

func (c *checker) inlineCode(n int, code string) {
	switch {
	case strings.HasPrefix(code, facts.SuiteTest+"/"):
		for _, s := range facts.Steps {
			if code == s.TestName() {
				return
			}
		}
		c.addf(n, "%s is not a step's test; the steps' tests are %s/<step>, e.g. %s", code, facts.SuiteTest, facts.Steps[0].TestName())
	case strings.HasPrefix(code, "/"):
		if code != facts.AuditLogPath && code != fixtures.ScriptPath {
			c.addf(n, "%s: the paths inside the cluster the documents name are %s and %s", code, facts.AuditLogPath, fixtures.ScriptPath)
		}
	case strings.HasPrefix(code, "~/") || strings.Contains(code, " "):
	case code == facts.CompleteSample:
		c.kubeRayPath(n, facts.CompleteSampleRepoPath)
	case code == fixtures.ScriptKey:
	case repoPathRE.MatchString(code):
		c.repoPath(n, code)
	}
}

// Compare checks that two translations carry the same blocks: the same
// markers, info strings and lines, except full-line comments, which are
// translated.
func Compare(a, b *markdown.Doc) []Problem {
	var out []Problem
	if len(a.Blocks) != len(b.Blocks) {
		out = append(out, Problem{Doc: b.Name, Line: 1, Msg: fmt.Sprintf("%d code blocks, %s has %d: the translations must carry the same blocks", len(b.Blocks), a.Name, len(a.Blocks))})
	}
	for i := 0; i < min(len(a.Blocks), len(b.Blocks)); i++ {
		x, y := a.Blocks[i], b.Blocks[i]
		if x.Marker != y.Marker || x.Info != y.Info {
			out = append(out, Problem{Doc: b.Name, Line: y.Open, Msg: fmt.Sprintf("block %d is %s for step %q, but in %s (line %d) %s for step %q", i+1, y.Info, y.Marker, a.Name, x.Open, x.Info, x.Marker)})
			continue
		}
		xl, yl := uncommented(x), uncommented(y)
		for j := 0; j < max(len(xl), len(yl)); j++ {
			switch {
			case j >= len(xl):
				out = append(out, Problem{Doc: b.Name, Line: yl[j].N, Msg: fmt.Sprintf("%q is not in %s's block at line %d", yl[j].Text, a.Name, x.Open)})
			case j >= len(yl):
				out = append(out, Problem{Doc: b.Name, Line: y.Open, Msg: fmt.Sprintf("the block lacks %q (%s line %d)", xl[j].Text, a.Name, xl[j].N)})
			case xl[j].Text != yl[j].Text:
				out = append(out, Problem{Doc: b.Name, Line: yl[j].N, Msg: fmt.Sprintf("%q differs from %s line %d: %q", yl[j].Text, a.Name, xl[j].N, xl[j].Text)})
			}
		}
	}
	return out
}

func uncommented(b markdown.Block) []markdown.Line {
	var out []markdown.Line
	for _, l := range b.Lines {
		t := strings.TrimSpace(l.Text)
		if t == "" || (b.Info != "text" && strings.HasPrefix(t, "#")) {
			continue
		}
		out = append(out, markdown.Line{N: l.N, Text: strings.TrimRight(l.Text, " \t")})
	}
	return out
}
