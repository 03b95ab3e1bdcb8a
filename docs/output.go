// The rules over text blocks: a line of expected output is a refusal the
// pinned API server writes, kubectl's line for no Pods found (step 5.1),
// kubectl's lines for the probe Pod created and deleted (step 3), a
// line the fixture's script or a RayJob's job prints, a line podsecurity-check prints for a file the step checked, or a
// row of a kubectl table the documents quote (rayjob.go).

package docs

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/rayjobs"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// output checks an expected-output block line by line. A table runs from
// its header to the next blank line.
func (c *checker) output(b markdown.Block) {
	var tbl *table
	for _, l := range b.Lines {
		t := strings.TrimSpace(l.Text)
		if t == "" {
			tbl = nil
			continue
		}
		if tbl != nil {
			c.row(tbl, l)
			continue
		}
		if h, ok := c.header(l); ok {
			tbl = h
			if tbl == nil {
				// A wrong header is reported; its rows cannot be read.
				tbl = &table{}
			}
			continue
		}
		switch {
		case c.podSecurityCheckLine(t):
			if i := strings.Index(t, facts.RestrictedPrefix); i >= 0 {
				c.refusal(l.N, t[i:])
			}
		case strings.Contains(t, "violates PodSecurity"):
			c.refusalLine(l.N, t)
		case strings.HasPrefix(t, "No resources found"):
			c.noResources(l.N, t)
		case probeLineRE.MatchString(t):
			c.probeLine(l.N, t)
		case strings.HasPrefix(t, rayjobs.TypeDriver+" ") || strings.HasPrefix(t, rayjobs.TypeSubmission+" "):
			c.jobLine(l.N, t)
		case c.f.ScriptPrints[t]:
		case c.jobPrints(t):
		default:
			c.addf(l.N, "output line %q is not one docs/output.go can check: quote a refusal message, a line the fixture's script or a RayJob's job prints, podsecurity-check's output for a file the step checks, or a kubectl table it knows", t)
		}
	}
}

// noResourcesStep is the step whose `kubectl get pods` finds no Pod: the
// refused RayCluster's.
const noResourcesStep = "5.1"

// noResources: what kubectl prints when `kubectl get pods --namespace
// pod-security` finds none, in the step where it finds none.
func (c *checker) noResources(line int, t string) {
	want := fmt.Sprintf("No resources found in %s namespace.", facts.Namespace)
	switch {
	case c.block.Marker != noResourcesStep:
		c.addf(line, "output line %q in step %s: only step %s's kubectl get pods finds no Pod", t, c.block.Marker, noResourcesStep)
	case t != want:
		c.addf(line, "output line %q: kubectl get pods --namespace %s prints %q when it finds no Pod", t, facts.Namespace, want)
	}
}

// podSecurityCheckLine: a line podsecurity-check prints for a file that a
// command of this step checked.
func (c *checker) podSecurityCheckLine(t string) bool {
	for _, f := range c.checked[c.block.Marker] {
		if c.f.CheckOutput[f][t] {
			return true
		}
	}
	return false
}

// jobPrints: the line a RayJob's job prints, in the step whose submitter
// runs it.
func (c *checker) jobPrints(t string) bool {
	name, s, ok := c.stepRayJob()
	return ok && s.Runs && c.f.RayJobPrints[name] == t
}

// refusalLine: a refusal quoted alone, from `violates PodSecurity` on, or as
// kubectl prints it in the step where kubectl itself creates the Pod.
func (c *checker) refusalLine(line int, t string) {
	i := strings.Index(t, facts.RestrictedPrefix)
	if i < 0 {
		c.addf(line, "refusal %q: the API server's message starts with %s", t, facts.RestrictedPrefix)
		return
	}
	if head := t[:i]; head != "" {
		if c.block.Marker == "3" {
			want := fmt.Sprintf("Error from server (Forbidden): pods %q is forbidden: ", facts.ProbeContainer)
			if head != want {
				c.addf(line, "refusal prefix %q: kubectl prints %q for the Pod %s", head, want, facts.ProbeContainer)
			}
		} else {
			c.addf(line, "refusal prefix %q: in step %s no kubectl command creates the Pod, so quote the message from %q on, or the whole line of an event or of podsecurity-check", head, c.block.Marker, facts.RestrictedPrefix)
		}
	}
	c.refusal(line, t[i:])
}

// refusal: msg, from `violates PodSecurity` on, is what the suite asserts
// for the step's container and what the pinned API server wrote.
func (c *checker) refusal(line int, msg string) {
	violation, ok := refusalViolation(c.block.Marker)
	if !ok {
		c.addf(line, "a refusal message in step %s: only steps %s show one", c.block.Marker, refusalSteps())
		return
	}
	if asserted := facts.RestrictedPrefix + ": " + violation; !strings.HasPrefix(msg, asserted) {
		c.addf(line, "refusal %q does not start with what the suite asserts: %q", msg, asserted)
	}
	if !c.f.Refusals[msg] {
		c.addf(line, "refusal %q is not what Kubernetes %s writes (%s); copy the message from there", msg, versions.DefaultKubernetes, c.f.RefusalsFile)
	}
}

// probeLineRE: what kubectl prints when kubectl run creates a Pod and when
// kubectl delete pod deletes it.
var probeLineRE = regexp.MustCompile(`^pod/(\S+) created$|^pod "([^"]*)" deleted$`)

// probeLine: kubectl's line for the probe Pod that step 3 creates and
// deletes, in step 3.
func (c *checker) probeLine(line int, t string) {
	m := probeLineRE.FindStringSubmatch(t)
	name := m[1] + m[2]
	if name != facts.ProbeContainer {
		c.addf(line, "output line %q: the Pod step %s creates and deletes is %s: kubectl prints %q and %q", t, probeStep, facts.ProbeContainer, "pod/"+facts.ProbeContainer+" created", fmt.Sprintf("pod %q deleted", facts.ProbeContainer))
	}
	if c.block.Marker != probeStep {
		c.addf(line, "output line %q in step %s: only step %s creates and deletes a Pod with kubectl", t, c.block.Marker, probeStep)
	}
}

// jobLine: the line facts.JobsFilter prints for the XGBoost run, in step
// 5.2, whose curl of the Jobs API it filters.
func (c *checker) jobLine(line int, t string) {
	if c.block.Marker != jobsFilterStep {
		c.addf(line, "output line %q in step %s: only step %s lists the Jobs API's jobs", t, c.block.Marker, jobsFilterStep)
		return
	}
	if want := facts.XGBoostJobLine(); t != want {
		c.addf(line, "output line %q: the Jobs API's filter prints %q for the XGBoost run (type, status, entrypoint)", t, want)
	}
}
