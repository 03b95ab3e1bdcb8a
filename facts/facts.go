// Package facts holds the facts of the Pod Security tutorial that both the
// e2e suite and the tutorial's documents state: the namespace and its labels,
// the steps and the tests that prove them, the refusal the API server gives,
// object names, ports, paths and commands. The suite asserts with these values
// and docs/ checks the documents against them, so the two cannot drift apart.
//
// Names of the fixture's objects stay in package fixtures and versions stay in
// package versions; this package refers to them.
package facts

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/rayjobs"
)

// Namespace is the namespace the tutorial creates and audit-policy.yaml
// records.
const Namespace = "pod-security"

// Label is one namespace label of step 3.
type Label struct{ Key, Value string }

// Labels are the six labels of step 3, in the order the documents list them:
// enforce refuses a non-compliant Pod, audit records the violation in the
// audit log, warn returns it to the client; each pinned to the newest
// version of the standard.
var Labels = []Label{
	{"pod-security.kubernetes.io/enforce", "restricted"},
	{"pod-security.kubernetes.io/enforce-version", "latest"},
	{"pod-security.kubernetes.io/audit", "restricted"},
	{"pod-security.kubernetes.io/audit-version", "latest"},
	{"pod-security.kubernetes.io/warn", "restricted"},
	{"pod-security.kubernetes.io/warn-version", "latest"},
}

// LabelPrefix is the prefix every Pod Security Admission label has.
const LabelPrefix = "pod-security.kubernetes.io/"

// NamespaceLabels returns the six labels as a new map, which callers may
// change.
func NamespaceLabels() map[string]string {
	m := make(map[string]string, len(Labels))
	for _, l := range Labels {
		m[l.Key] = l.Value
	}
	return m
}

// The refusal. The API server's message for a refused Pod starts with
// RestrictedPrefix, followed by ": " and the reasons; the first reason for a
// container without securityContext is the allowPrivilegeEscalation one.
const (
	RestrictedPrefix = `violates PodSecurity "restricted:latest"`

	// HeadContainer is the Ray container of KubeRay's head Pod.
	HeadContainer = "ray-head"
	// HeadViolation is the first reason for the head Pod of KubeRay's
	// complete sample (step 5.1).
	HeadViolation = `allowPrivilegeEscalation != false (container "ray-head" must set securityContext.allowPrivilegeEscalation=false)`

	// ProbeContainer is the container of step 3's probe Pods. `kubectl run`
	// names the container after the Pod, so the documents run a Pod of this
	// name to get the same message.
	ProbeContainer = "probe"
	// ProbeViolation is the first reason for step 3's bare probe Pod.
	ProbeViolation = `allowPrivilegeEscalation != false (container "probe" must set securityContext.allowPrivilegeEscalation=false)`
)

// PrivilegeEscalationViolation is the API server's first reason for a
// container that sets no securityContext; HeadViolation and ProbeViolation
// are two instances, spelled out so that they read as the message does.
func PrivilegeEscalationViolation(container string) string {
	return fmt.Sprintf("allowPrivilegeEscalation != false (container %q must set securityContext.allowPrivilegeEscalation=false)", container)
}

// What KubeRay (every pinned release) reports when it cannot create the head
// Pod (step 5.1):
// the RayCluster's condition and its reason, and the Warning event's reason.
const (
	ConditionReplicaFailure    = "ReplicaFailure"
	ReasonFailedCreateHeadPod  = "FailedCreateHeadPod"
	EventFailedToCreateHeadPod = "FailedToCreateHeadPod"
)

// Step 6 goes beyond the tutorial, to a RayJob. KubeRay (every pinned
// release) builds its submitter container with no securityContext and no
// RayJob field to set one, so restricted refuses it; what refuses it, and
// where the refusal shows, depends on where the container runs.
const (
	// SubmitterContainer is KubeRay's submitter container, in the Job's Pod
	// (K8sJobMode) or in the head Pod (SidecarMode).
	SubmitterContainer = fixtures.SubmitterContainer
	// SubmitterViolation is the first reason for it.
	SubmitterViolation = `allowPrivilegeEscalation != false (container "ray-job-submitter" must set securityContext.allowPrivilegeEscalation=false)`

	// EventFailedCreate is the Warning the Job controller records on a Job
	// whose Pod the API server refused (step 6.1).
	EventFailedCreate = "FailedCreate"
	// EventCreatedRayJobSubmitter is KubeRay's event on a RayJob when it has
	// created the submitter's Job.
	EventCreatedRayJobSubmitter = "CreatedRayJobSubmitter"
	// JobControllerUser is who creates a Job's Pods: the controller manager
	// with its per-controller credentials (kubeadm's default, and the local
	// tier's).
	JobControllerUser = "system:serviceaccount:kube-system:job-controller"
	// JobNameLabel is the label a Job's Pods carry on every Kubernetes
	// release the suite runs (batch.kubernetes.io/job-name only from 1.27).
	JobNameLabel = "job-name"

	// A RayJob's status: jobStatus is the Ray job's, jobDeploymentStatus
	// KubeRay's own for the whole RayJob.
	JobStatusSucceeded     = "SUCCEEDED"
	DeploymentInitializing = "Initializing"
	DeploymentRunning      = "Running"
	DeploymentComplete     = "Complete"
	// DeploymentValidationFailed is where KubeRay leaves a RayJob whose spec
	// it refuses, with ValidationRefusal in status.message for a SidecarMode
	// RayJob that brings a submitterPodTemplate.
	DeploymentValidationFailed = "ValidationFailed"
	SidecarTemplateRefusal     = "SidecarMode doesn't support SubmitterPodTemplate"

	// RayJobOutput is what the RayJobs' job prints on their cluster of a
	// head and one worker.
	RayJobOutput = "2 Ray nodes"
)

// Labels KubeRay puts on the Pods it makes.
const (
	ClusterLabel  = "ray.io/cluster"
	NodeTypeLabel = "ray.io/node-type"
)

// CompleteSample is KubeRay's sample of step 5.1, in config/samples of the
// ray-operator directory; it is read from the pinned release, never copied.
const CompleteSample = "ray-cluster.complete.yaml"

// CompleteSampleRepoPath is where CompleteSample is in a KubeRay checkout.
const CompleteSampleRepoPath = "ray-operator/config/samples/" + CompleteSample

// DashboardPort is the Ray dashboard's port (and its Jobs API's), as the
// fixture's head container declares it.
const DashboardPort = 8265

// JobsAPIPath is the dashboard's job list.
const JobsAPIPath = "/api/jobs/"

// HeadServiceName is the Service KubeRay (every pinned release) makes for a RayCluster's
// head when the RayCluster does not name one (utils.GenerateHeadServiceName:
// "<cluster>-head-svc").
func HeadServiceName(rayCluster string) string { return rayCluster + "-head-svc" }

// XGBoostCommand is what step 5.2 runs in the head container.
func XGBoostCommand() []string { return []string{"python3", fixtures.ScriptPath} }

// JobsFilter is the Python that step 5.2 pipes the Jobs API's answer into
// (python3 -c JobsFilter): for each job, its type, status and entrypoint.
const JobsFilter = `import json, sys; [print(j["type"], j["status"], j["entrypoint"]) for j in json.load(sys.stdin)]`

// XGBoostJobLine is what JobsFilter prints for step 5.2's run: the DRIVER
// job (rayjobs.FindDriver) that succeeded, whose entrypoint is the
// driver's command line, XGBoostCommand.
func XGBoostJobLine() string {
	return rayjobs.TypeDriver + " " + rayjobs.StatusSucceeded + " " + strings.Join(XGBoostCommand(), " ")
}

// PipInstall is step 5.2's proof that Python packages install under
// restricted.
func PipInstall() []string { return []string{"pip3", "install", "jsonpatch==1.32"} }

// PipVersion is the jsonpatch release PipInstall asks for.
func PipVersion() string {
	_, v, _ := strings.Cut(PipInstall()[2], "==")
	return v
}

// wheelServed is a request line of Python's http.server serving a jsonpatch
// wheel: `"GET /wheels/jsonpatch-1.32-py2.py3-none-any.whl HTTP/1.1" 200 -`.
var wheelServed = regexp.MustCompile(`"GET /\S*jsonpatch-[^"/\s]+\.whl HTTP/[0-9.]+" 200 `)

// IndexServedWheel reports whether a package index's request log shows the
// jsonpatch wheel fetched in full, i.e. pip downloaded it rather than
// finding it somewhere else.
func IndexServedWheel(log string) bool { return wheelServed.MatchString(log) }

// Where the kind tier's API server writes its audit log, inside the
// control-plane node, and the node's container name for Kind's default
// cluster name "kind".
const (
	AuditLogPath     = "/var/log/kubernetes/kube-apiserver-audit.log"
	KindControlPlane = "kind-control-plane"
)

// This repository's files the tutorial uses, relative to its top directory.
const (
	KindConfigFile         = "kind-config.yaml"
	AuditPolicyFile        = "audit-policy.yaml"
	OperatorValuesFile     = "fixtures/" + fixtures.OperatorValuesFile
	PodSecurityClusterFile = "fixtures/" + fixtures.PodSecurityClusterFile
	StandInChartDir        = "fixtures/charts/kuberay-operator"
	RayJobDefaultFile      = "fixtures/" + fixtures.RayJobDefaultSubmitterFile
	RayJobSidecarFile      = "fixtures/" + fixtures.RayJobSidecarFile
	RayJobHardenedFile     = "fixtures/" + fixtures.RayJobHardenedFile
)

// Step is one step of the tutorial and the e2e feature that proves it.
type Step struct {
	// ID is the step's number in the documents, e.g. "5.1".
	ID string
	// Title is the e2e feature's name; it starts with ID and a space.
	Title string
}

// SuiteTest is the Go test that runs the steps, one subtest per step.
const SuiteTest = "TestTutorial"

// Steps are the tutorial's steps in order.
var Steps = []Step{
	{"1", "1 the API server writes an audit log"},
	{"2", "2 the audit log holds nothing for pod-security yet"},
	{"3", "3 namespace pod-security enforces restricted"},
	{"4", "4 the kuberay-operator chart installs with a hardened securityContext"},
	{"5.1", "5.1 complete.yaml is rejected"},
	{"5.2", "5.2 pod-security.yaml runs the XGBoost job"},
	{"6.1", "6.1 a RayJob's default submitter is refused"},
	{"6.2", "6.2 a SidecarMode RayJob's head is refused"},
	{"6.3", "6.3 a hardened submitterPodTemplate runs the RayJob"},
}

// StepTitle returns the title of step id. An unknown id is a programming
// error, so it panics.
func StepTitle(id string) string {
	s, ok := LookupStep(id)
	if !ok {
		panic(fmt.Sprintf("tutorial: no step %q; the steps are %s", id, StepList()))
	}
	return s.Title
}

// LookupStep finds a step by its ID.
func LookupStep(id string) (Step, bool) {
	if i := StepIndex(id); i >= 0 {
		return Steps[i], true
	}
	return Step{}, false
}

// StepIndex is the position of the step id in Steps, -1 for none.
func StepIndex(id string) int {
	return slices.IndexFunc(Steps, func(s Step) bool { return s.ID == id })
}

// StepIDs are the IDs of steps, in order.
func StepIDs(steps []Step) []string {
	ids := make([]string, len(steps))
	for i, s := range steps {
		ids[i] = s.ID
	}
	return ids
}

// StepList is the tutorial's step IDs as a message lists them: "1, 2, …".
func StepList() string { return strings.Join(StepIDs(Steps), ", ") }

// SubtestName is the step's name as `go test -v` prints it under SuiteTest:
// the testing package turns spaces into underscores.
func (s Step) SubtestName() string { return rewriteSubtestName(s.Title) }

// TestName is the full name, e.g. "TestTutorial/3_namespace_pod-security_enforces_restricted".
func (s Step) TestName() string { return SuiteTest + "/" + s.SubtestName() }

// RunPattern is a `go test -run` pattern that selects this step alone. It is
// anchored: an unanchored "1_" would also select "5.1_…".
func (s Step) RunPattern() string { return SuiteTest + "/^" + s.ID + "_" }

// rewriteSubtestName follows testing's rewrite of subtest names for the
// characters a title can hold: spaces become underscores and other
// non-printable characters are quoted.
func rewriteSubtestName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte('_')
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Selected returns the steps that `go test ./e2e -run pattern` runs, by the
// rules of the testing package: the pattern is split at "|" into
// alternatives and each alternative at "/" (outside brackets and
// parentheses); an alternative's first element must match the top-level
// test's name and its second the step's subtest name, each as an unanchored
// regular expression. Later elements choose assessments within a step and
// do not change which steps run.
func Selected(pattern string) ([]Step, error) {
	chosen := map[string]bool{}
	for _, alt := range splitRunPattern(pattern) {
		res := make([]*regexp.Regexp, 0, 2)
		for i, e := range alt {
			if i == 2 {
				break
			}
			re, err := regexp.Compile(e)
			if err != nil {
				return nil, fmt.Errorf("-run %q: element %q is not a regular expression: %v", pattern, e, err)
			}
			res = append(res, re)
		}
		if !res[0].MatchString(SuiteTest) {
			continue
		}
		for _, s := range Steps {
			if len(res) == 1 || res[1].MatchString(s.SubtestName()) {
				chosen[s.ID] = true
			}
		}
	}
	var out []Step
	for _, s := range Steps {
		if chosen[s.ID] {
			out = append(out, s)
		}
	}
	return out, nil
}

// splitRunPattern splits a -run pattern the way the testing package does:
// into alternatives at "|", each into elements at "/", except inside
// brackets or parentheses or after a backslash.
func splitRunPattern(p string) [][]string {
	var alts [][]string
	var elems []string
	brackets, parens := 0, 0
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			brackets++
		case ']':
			if brackets > 0 {
				brackets--
			}
		case '(':
			if brackets == 0 {
				parens++
			}
		case ')':
			if brackets == 0 {
				parens--
			}
		case '\\':
			i++
		case '/', '|':
			if brackets == 0 && parens == 0 {
				elems = append(elems, p[start:i])
				start = i + 1
				if p[i] == '|' {
					alts = append(alts, elems)
					elems = nil
				}
			}
		}
	}
	return append(alts, append(elems, p[start:]))
}
