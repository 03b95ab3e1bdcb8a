// The rules for kubectl commands: the namespace and its labels, the files
// applied, the RayCluster, its head Service and Pods, the dashboard's
// port-forward, step 3's probe Pods (kubectl run, its --overrides, and
// kubectl delete pod), and step 6's RayJobs, their events and the
// submitter's log.

package docs

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// kubectlFlags are the flags the kubectl rules check.
var kubectlFlags = []string{"--namespace", "--filename", "--selector", "--output", "--field-selector", "--for", "--timeout", "--image", "--address", "--container", "--overrides"}

func (c *checker) kubectl(co document.Command) {
	line := co.Line
	if co.Sub() == "version" {
		c.kubectlVersion(co)
		return
	}
	p := c.parse(co, kubectlFlags...)
	if len(p.args) < 2 {
		c.addf(line, "kubectl without a subcommand")
		return
	}
	sub := p.args[1]
	args := p.args[2:]
	_, hasNS := p.one("--namespace")
	switch {
	// The namespace's name, its labels and a --namespace of another are
	// package rules' (shared with every copy of the tutorial); these
	// documents also name the namespace in every command.
	case (sub == "create" || sub == "label") && len(args) > 0 && args[0] == "namespace":
		if len(args) < 2 {
			c.addf(line, "kubectl %s namespace without a name: the tutorial's namespace is %s", sub, facts.Namespace)
		}
		if sub == "create" && len(args) > 2 {
			c.addf(line, "kubectl create namespace takes only the name")
		}
		return
	case !hasNS:
		c.addf(line, "kubectl %s without --namespace %s acts on the current context's namespace: add --namespace %s", sub, facts.Namespace, facts.Namespace)
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
		if o, ok := p.one("--overrides"); ok {
			c.overrides(line, o)
		}
	case "apply", "delete":
		if sub == "delete" && len(args) > 0 && (args[0] == "pod" || args[0] == "pods") {
			c.deleteProbe(line, args)
			return
		}
		files := p.flags["--filename"]
		for _, f := range files {
			c.manifest(line, f)
		}
		if len(files) == 0 {
			// The RayCluster's name: package rules (ObjectNames).
			if !(sub == "delete" && len(args) == 2 && isRayClusterResource(args[0])) {
				c.addf(line, "kubectl %s %s: apply or delete the tutorial's files with --filename, or delete raycluster NAME", sub, strings.Join(args, " "))
			}
		}
	case "get":
		switch {
		case len(args) == 1 && (args[0] == "pods" || args[0] == "pod"):
		case len(args) == 2 && isRayClusterResource(args[0]):
			if out, ok := p.one("--output"); ok {
				c.jsonpath(line, out)
			}
		case len(args) == 2 && isRayJobResource(args[0]):
			c.rayJob(line, args[1])
		case len(args) == 1 && args[0] == "events":
			for _, fs := range p.flags["--field-selector"] {
				if reason := eventReason(c.block.Marker); reason == "" || fs != "reason="+reason {
					c.addf(line, "--field-selector %s: %s", fs, c.eventReasonWant())
				}
			}
		default:
			c.addf(line, "kubectl get %s: the documents get pods, events, or a RayCluster or RayJob by name", strings.Join(args, " "))
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
			if cond != "jsonpath={.status.state}=ready" {
				c.addf(line, "--for=%s: the suite waits for the RayCluster's state ready: --for=jsonpath='{.status.state}'=ready", cond)
			}
		case isRayJobResource(kind):
			c.rayJob(line, name)
			if want := "jsonpath={.status.jobDeploymentStatus}=" + facts.DeploymentComplete; cond != want {
				c.addf(line, "--for=%s: the suite waits for the RayJob's jobDeploymentStatus %s: --for=jsonpath='{.status.jobDeploymentStatus}'=%s", cond, facts.DeploymentComplete, facts.DeploymentComplete)
			}
			if _, s, ok := c.stepRayJob(); ok && s.DeploymentStatus != facts.DeploymentComplete {
				c.addf(line, "kubectl wait %s in step %s: its RayJob never completes (it stays %s)", args[0], c.block.Marker, s.DeploymentStatus)
			}
		default:
			c.addf(line, "kubectl wait %s: the documents wait for the operator Deployment, a RayCluster or a RayJob", args[0])
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
	case "logs":
		c.submitterLogs(line, args, p)
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
		// Binding loopback is package rules'; these documents name the one
		// address their URLs use.
		if addr, ok := p.one("--address"); ok && addr != "127.0.0.1" {
			c.addf(line, "port-forward --address %s: the documents bind and reach 127.0.0.1, as their URLs do", addr)
		}
	default:
		c.addf(line, "kubectl %s is not one docs/kubectl.go knows: teach it what the arguments must equal, or remove the command", sub)
	}
}

// kubectlVersion: before step 1 there is no cluster to ask, so the
// documents ask kubectl for its own version only.
func (c *checker) kubectlVersion(co document.Command) {
	p := c.parse(co, "--client")
	if len(p.args) != 2 {
		c.addf(co.Line, "kubectl version %s: kubectl version takes no arguments", strings.Join(p.args[2:], " "))
	}
	if v := p.flags["--client"]; len(v) != 1 || v[0] != "true" {
		c.addf(co.Line, "kubectl version without --client asks the cluster too: before step 1 there is none, so check kubectl with kubectl version --client")
	}
}

func isRayClusterResource(s string) bool { return document.Kind(s) == "RayCluster" }

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
			// The RayCluster's name: package rules (ObjectNames).
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
// manifest: a file of this repository, or KubeRay's sample at the pinned tag.
func (c *checker) manifest(line int, ref string) {
	if u, err := url.Parse(ref); err == nil && u.Scheme != "" {
		c.kubeRayURL(line, ref)
		return
	}
	if ref != facts.PodSecurityClusterFile && !slices.Contains(rayJobFiles(), ref) {
		c.addf(line, "%s: the tutorial applies %s, the RayJobs %s (and KubeRay's %s by URL)", ref, facts.PodSecurityClusterFile, strings.Join(rayJobFiles(), ", "), facts.CompleteSample)
	} else {
		c.rayJobFile(line, ref)
	}
	c.repoPath(line, ref)
}

// submitterLogs: `kubectl logs job/NAME` reads the submitter's log, in the
// step whose submitter runs; KubeRay names the Job after the RayJob.
func (c *checker) submitterLogs(line int, args []string, p parsed) {
	if len(args) != 1 || len(p.flags["--container"]) > 0 {
		c.addf(line, "kubectl logs %s: the documents read the submitter's log as kubectl logs job/NAME", strings.Join(args, " "))
		return
	}
	kind, name, _ := strings.Cut(args[0], "/")
	if document.Kind(kind) != "Job" {
		c.addf(line, "kubectl logs %s: read the submitter's log through its Job, job/NAME", args[0])
		return
	}
	want, s, ok := c.stepRayJob()
	switch {
	case c.f.SubmitterJobs[name] == "":
		// Not a Job of the tutorial: package rules (ObjectNames) says so.
	case !ok || !s.Runs:
		c.addf(line, "kubectl logs %s in step %s: only a submitter that runs has a log, step %s's", args[0], c.block.Marker, runningSubmitterStep())
	case name != want:
		c.addf(line, "kubectl logs %s in step %s: the step's submitter Job is job/%s", args[0], c.block.Marker, want)
	}
}

var rawKubeRayRE = regexp.MustCompile(`^https://raw\.githubusercontent\.com/ray-project/kuberay/([^/]+)/(.+)$`)

func (c *checker) kubeRayURL(line int, ref string) {
	m := rawKubeRayRE.FindStringSubmatch(ref)
	if m == nil {
		c.addf(line, "%s: the only file fetched by URL is KubeRay's sample, https://raw.githubusercontent.com/ray-project/kuberay/%s/%s", ref, versions.KubeRay, facts.CompleteSampleRepoPath)
		return
	}
	// The ref and whether the file exists: package rules (KubeRayRefs), on
	// every line.
	if m[2] != facts.CompleteSampleRepoPath {
		c.addf(line, "%s: the sample of step 5.1 is %s", ref, facts.CompleteSampleRepoPath)
	}
}

// probeStep is the step whose probe Pods kubectl run creates and kubectl
// delete removes.
const probeStep = "3"

// overrides: the JSON of kubectl run --overrides is a Pod whose one
// container is the probe, running the pause image, and which passes
// restricted:latest, as step 3 shows it admitted.
func (c *checker) overrides(line int, o string) {
	var pod corev1.Pod
	dec := json.NewDecoder(strings.NewReader(o))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pod); err != nil {
		c.addf(line, "kubectl run --overrides: the value is not the JSON of a Pod: %v", err)
		return
	}
	if dec.More() {
		c.addf(line, "kubectl run --overrides: the value holds more than one JSON object")
	}
	if pod.APIVersion != "v1" {
		c.addf(line, "kubectl run --overrides: apiVersion %q: kubectl applies the overrides only with \"apiVersion\":\"v1\"", pod.APIVersion)
	}
	if pod.Kind != "" && pod.Kind != "Pod" {
		c.addf(line, "kubectl run --overrides: kind %q: kubectl run makes a Pod", pod.Kind)
	}
	cs := pod.Spec.Containers
	if len(cs) != 1 || cs[0].Name != facts.ProbeContainer || cs[0].Image != versions.PauseImage {
		var got []string
		for _, ct := range cs {
			got = append(got, ct.Name+" "+ct.Image)
		}
		c.addf(line, "kubectl run --overrides: containers [%s]: the overrides' containers replace kubectl's, so list exactly one, named %s, with versions.PauseImage %s", strings.Join(got, ", "), facts.ProbeContainer, versions.PauseImage)
	}
	if len(pod.Spec.InitContainers) > 0 || len(pod.Spec.EphemeralContainers) > 0 {
		c.addf(line, "kubectl run --overrides: the probe Pod has one container, no init or ephemeral containers")
	}
	checker, err := podsecurity.New(podsecurity.Options{})
	if err != nil {
		c.addf(line, "kubectl run --overrides: %v", err)
		return
	}
	pod.Name = facts.ProbeContainer
	pod.Namespace = facts.Namespace
	if r := checker.Evaluate(pod.ObjectMeta, pod.Spec); !r.Allowed {
		var vs []string
		for _, v := range r.Violations {
			vs = append(vs, v.String())
		}
		c.addf(line, "kubectl run --overrides: the Pod does not pass %s, so the API server refuses it: %s", checker.Policy(), strings.Join(vs, ", "))
	}
}

// deleteProbe: kubectl delete pod removes the probe Pod that step 3 created.
func (c *checker) deleteProbe(line int, args []string) {
	if len(args) != 2 || args[1] != facts.ProbeContainer {
		c.addf(line, "kubectl delete %s: the only Pod the documents delete by name is step %s's probe, kubectl delete pod %s", strings.Join(args, " "), probeStep, facts.ProbeContainer)
	}
	if c.block.Marker != probeStep {
		c.addf(line, "kubectl delete %s in step %s: only step %s creates the probe Pod", strings.Join(args, " "), c.block.Marker, probeStep)
	}
}
