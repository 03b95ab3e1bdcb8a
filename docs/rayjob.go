// The rules for step 6's RayJobs: which RayJob each step applies and what
// it shows of it (status, event, refusal, the job's output), and the two
// kubectl tables the documents quote for them, RayJobs and events.

package docs

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
	"github.com/kuberay-docs/pod-security-e2e/rules"
)

// rayJobStep is what one step of 6 does with its RayJob.
type rayJobStep struct {
	// File is the fixture the step applies.
	File string
	// JobStatus and DeploymentStatus are the RayJob's status when the step
	// shows it: jobStatus is Ray's, empty before anything is submitted.
	JobStatus, DeploymentStatus string
	// Event is the reason of the Warning event that carries the refusal,
	// empty when nothing is refused.
	Event string
	// Runs says that the submitter Pod runs, so that its Job's log exists.
	Runs bool
}

// rayJobSteps are the steps that apply a RayJob. The refused submitter of
// 6.1 leaves the RayJob Running with no jobStatus; the refused head of 6.2
// leaves it Initializing; 6.3's RayJob succeeds.
var rayJobSteps = map[string]rayJobStep{
	"6.1": {File: facts.RayJobDefaultFile, DeploymentStatus: facts.DeploymentRunning, Event: facts.EventFailedCreate},
	"6.2": {File: facts.RayJobSidecarFile, DeploymentStatus: facts.DeploymentInitializing, Event: facts.EventFailedToCreateHeadPod},
	"6.3": {File: facts.RayJobHardenedFile, JobStatus: facts.JobStatusSucceeded, DeploymentStatus: facts.DeploymentComplete, Runs: true},
}

// eventReasons is the reason of the Warning event each step lists: the
// operator's for a refused head Pod, the Job controller's for a refused
// submitter Pod.
func eventReason(step string) string {
	if step == "5.1" {
		return facts.EventFailedToCreateHeadPod
	}
	return rayJobSteps[step].Event
}

// runningSubmitterStep is the step whose submitter Pod runs.
func runningSubmitterStep() string {
	for _, s := range facts.Steps {
		if rayJobSteps[s.ID].Runs {
			return s.ID
		}
	}
	return ""
}

// refusalViolation is the API server's first reason for the container whose
// refusal each step quotes: step 3's probe, 5.1's head, and KubeRay's
// submitter in the steps of 6 that are refused.
func refusalViolation(step string) (string, bool) {
	switch step {
	case "3":
		return facts.ProbeViolation, true
	case "5.1":
		return facts.HeadViolation, true
	}
	if s, ok := rayJobSteps[step]; ok && s.Event != "" {
		return facts.SubmitterViolation, true
	}
	return "", false
}

// refusalSteps lists the steps that quote a refusal, for messages.
func refusalSteps() string {
	var out []string
	for _, s := range facts.Steps {
		if _, ok := refusalViolation(s.ID); ok {
			out = append(out, s.ID)
		}
	}
	return strings.Join(out, ", ")
}

// stepRayJob is the RayJob of the step being checked.
func (c *checker) stepRayJob() (name string, s rayJobStep, ok bool) {
	s, ok = rayJobSteps[c.block.Marker]
	if !ok {
		return "", s, false
	}
	for n, f := range c.f.RayJobs {
		if f == s.File {
			return n, s, true
		}
	}
	return "", s, false
}

func isRayJobResource(s string) bool { return document.Kind(s) == "RayJob" }

// rayJob: in a step of 6, the step's own RayJob. That it is a RayJob of the
// fixtures at all is package rules' (ObjectNames).
func (c *checker) rayJob(line int, name string) {
	if c.f.RayJobs[name] == "" {
		return
	}
	if want, s, ok := c.stepRayJob(); ok && name != want {
		c.addf(line, "RayJob %s in step %s: the step applies %s, whose RayJob is %s", name, c.block.Marker, s.File, want)
	}
}

// rayJobFile: in a step of 6, the file is the step's RayJob.
func (c *checker) rayJobFile(line int, file string) {
	_, s, ok := c.stepRayJob()
	switch {
	case ok && file != s.File:
		c.addf(line, "%s in step %s: the step's RayJob is %s", file, c.block.Marker, s.File)
	case !ok && slices.Contains(rayJobFiles(), file):
		c.addf(line, "%s in step %s: the RayJobs belong to the steps of 6", file, c.block.Marker)
	}
}

func rayJobFiles() []string {
	var out []string
	for _, s := range rayJobSteps {
		out = append(out, s.File)
	}
	sort.Strings(out)
	return out
}

// generatedName matches the five characters the API server (for
// generateName) and KubeRay (for a RayJob's RayCluster) append to a name:
// apimachinery's rand.String alphabet.
const generatedSuffix = `-[bcdfghjklmnpqrstvwxz2456789]{5}`

func generatedFrom(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + generatedSuffix + `$`)
}

// eventColumns are the columns `kubectl get events` prints (the API server's
// table for events, without -o wide; k8s.io/kubernetes
// pkg/printers/internalversion).
var eventColumns = []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}

// kubectl's ages and "last seen": duration.HumanDuration, e.g. 41s, 4m12s,
// 3h, 2d5h.
var humanDurationRE = regexp.MustCompile(`^(?:\d+[smhdy]){1,2}$`)

// table is a kubectl table being read: its columns and where each starts.
type table struct {
	kind   string
	names  []string
	starts []int
}

// columns splits a header where kubectl's tabwriter aligned it: at runs of
// two or more spaces (a column's name has single spaces).
var columnGapRE = regexp.MustCompile(`\S+(?: \S+)*`)

func readHeader(text string) table {
	var t table
	for _, loc := range columnGapRE.FindAllStringIndex(text, -1) {
		t.names = append(t.names, text[loc[0]:loc[1]])
		t.starts = append(t.starts, loc[0])
	}
	return t
}

// header recognises the header of a table the documents quote; ok is false
// for a line that is not one. A header of the right shape with the wrong
// columns is reported.
func (c *checker) header(l markdown.Line) (*table, bool) {
	t := readHeader(l.Text)
	if len(t.names) == 0 {
		return nil, false
	}
	switch t.names[0] {
	case "NAME":
		if !slices.Equal(t.names, c.f.RayJobColumns) {
			c.addf(l.N, "table header %q: `kubectl get rayjob` prints the columns %s (KubeRay's CRD, with NAME first)", strings.TrimSpace(l.Text), strings.Join(c.f.RayJobColumns, ", "))
			return nil, true
		}
		t.kind = "rayjob"
	case eventColumns[0]:
		if !slices.Equal(t.names, eventColumns) {
			c.addf(l.N, "table header %q: `kubectl get events` prints the columns %s", strings.TrimSpace(l.Text), strings.Join(eventColumns, ", "))
			return nil, true
		}
		t.kind = "events"
	default:
		return nil, false
	}
	return &t, true
}

// cells cuts a row at the header's column starts.
func (t *table) cells(text string) map[string]string {
	out := map[string]string{}
	for i, name := range t.names {
		from := t.starts[i]
		to := len(text)
		if i+1 < len(t.starts) {
			to = min(t.starts[i+1], len(text))
		}
		if from >= len(text) {
			out[name] = ""
			continue
		}
		out[name] = strings.TrimSpace(text[from:max(from, to)])
	}
	return out
}

func (c *checker) row(t *table, l markdown.Line) {
	cells := t.cells(l.Text)
	switch t.kind {
	case "rayjob":
		c.rayJobRow(l.N, cells)
	case "events":
		c.eventRow(l.N, cells)
	}
}

// rayJobRow: the step's RayJob with the status the step leads to.
func (c *checker) rayJobRow(line int, cells map[string]string) {
	want, s, ok := c.stepRayJob()
	if !ok {
		c.addf(line, "a RayJob row in step %s, which applies no RayJob", c.block.Marker)
		return
	}
	name := cells["NAME"]
	c.shared(rules.ObjectName(document.Mention{Line: line, Kind: "RayJob", Name: name}, known{c.f}))
	c.rayJob(line, name)
	if got := cells["JOB STATUS"]; got != s.JobStatus {
		c.addf(line, "job status %q: step %s's RayJob has job status %q", got, c.block.Marker, s.JobStatus)
	}
	if got := cells["DEPLOYMENT STATUS"]; got != s.DeploymentStatus {
		c.addf(line, "deployment status %q: step %s's RayJob has deployment status %q", got, c.block.Marker, s.DeploymentStatus)
	}
	if got := cells["RAY CLUSTER NAME"]; !generatedFrom(want).MatchString(got) {
		c.addf(line, "ray cluster name %q: KubeRay names a RayJob's RayCluster %s-<5 random characters>", got, want)
	}
	start, err := time.Parse(time.RFC3339, cells["START TIME"])
	if err != nil {
		c.addf(line, "start time %q: KubeRay sets it when the RayJob starts initializing; kubectl prints it as RFC 3339", cells["START TIME"])
	}
	end := cells["END TIME"]
	switch {
	case s.DeploymentStatus == facts.DeploymentComplete:
		if e, err := time.Parse(time.RFC3339, end); err != nil || e.Before(start) {
			c.addf(line, "end time %q: a Complete RayJob has an end time after its start time", end)
		}
	case end != "":
		c.addf(line, "end time %q: a %s RayJob has no end time yet", end, s.DeploymentStatus)
	}
	if !humanDurationRE.MatchString(cells["AGE"]) {
		c.addf(line, "age %q is not a duration as kubectl prints it, such as 4m12s", cells["AGE"])
	}
}

// eventRow: a Warning of the step's reason. A row of FailedCreate is the Job
// controller's: on the step's Job, whose refused Pod is named after it.
func (c *checker) eventRow(line int, cells map[string]string) {
	if !humanDurationRE.MatchString(cells["LAST SEEN"]) {
		c.addf(line, "last seen %q is not a duration as kubectl prints it, such as 41s", cells["LAST SEEN"])
	}
	if cells["TYPE"] != "Warning" {
		c.addf(line, "event type %q: a refusal is reported as a Warning", cells["TYPE"])
	}
	reason := eventReason(c.block.Marker)
	if cells["REASON"] != reason || reason == "" {
		c.addf(line, "event reason %q in step %s: %s", cells["REASON"], c.block.Marker, c.eventReasonWant())
		return
	}
	if reason != facts.EventFailedCreate {
		c.addf(line, "docs/output.go reads the event rows of %s only: quote KubeRay's refusal from %q on, as step 5.1 does", facts.EventFailedCreate, facts.RestrictedPrefix)
		return
	}
	job, _, _ := c.stepRayJob()
	if want := "job/" + job; cells["OBJECT"] != want {
		c.addf(line, "event object %q: KubeRay names the submitter's Job after the RayJob, %s", cells["OBJECT"], want)
	}
	msg := cells["MESSAGE"]
	i := strings.Index(msg, facts.RestrictedPrefix)
	if i < 0 {
		c.addf(line, "event message %q does not quote the refusal, %s…", msg, facts.RestrictedPrefix)
		return
	}
	head := regexp.MustCompile(`^Error creating: pods "` + regexp.QuoteMeta(job) + generatedSuffix + `" is forbidden: $`)
	if !head.MatchString(msg[:i]) {
		c.addf(line, "event message %q: the Job controller writes `Error creating: pods \"%s-xxxxx\" is forbidden: ` before the refusal (the Pod's name is the Job's and 5 random characters)", msg[:i], job)
	}
	c.refusal(line, msg[i:])
}

// eventReasonWant says which event a step lists, for messages.
func (c *checker) eventReasonWant() string {
	switch reason := eventReason(c.block.Marker); reason {
	case "":
		var steps []string
		for _, s := range facts.Steps {
			if eventReason(s.ID) != "" {
				steps = append(steps, s.ID)
			}
		}
		return "only steps " + strings.Join(steps, ", ") + " show an event"
	case facts.EventFailedCreate:
		return "the Job controller records its refused submitter Pod with reason " + reason
	default:
		return "KubeRay's event for a refused head Pod has reason " + reason
	}
}
