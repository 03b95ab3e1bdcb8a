// Package podsecurity tells, without a cluster, whether the API server will
// admit the pods a manifest makes under a Pod Security level, and words the
// refusal as the API server does. It evaluates each pod the workload package
// derives (for KubeRay's kinds, the pods the operator builds) with the
// checks of k8s.io/pod-security-admission, the library the API server's
// PodSecurity admission plugin runs.
package podsecurity

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kuberay-docs/pod-security-e2e/manifest"
	"github.com/kuberay-docs/pod-security-e2e/versions"
	"github.com/kuberay-docs/pod-security-e2e/workload"
)

// The policy a namespace gets from `pod-security.kubernetes.io/enforce:
// restricted` with no version label.
const (
	DefaultLevel   = "restricted"
	DefaultVersion = "latest"
)

// Options choose the policy and how it is evaluated.
type Options struct {
	// Level is privileged, baseline or restricted (default restricted).
	Level string
	// Version is "latest" (the default) or "v1.N", as in the namespace
	// label pod-security.kubernetes.io/enforce-version.
	Version string
	// Kubernetes is the minor version of the API server to answer for, e.g.
	// "1.24" or "v1.34.4": a server evaluates "latest", and any version newer
	// than itself, with the newest checks it knows. Empty means the newest
	// checks of the pod-security-admission library in go.mod.
	Kubernetes string
	// Operator holds KubeRay operator settings that change its pods.
	Operator workload.Operator
}

// Checker evaluates manifests against one policy.
type Checker struct {
	server    server
	policy    api.LevelVersion
	evaluator policy.Evaluator
	operator  workload.Operator
}

var serverVersion = regexp.MustCompile(`^v?1\.([1-9][0-9]*)(\.[0-9]+)?$`)

// New returns a Checker for o.
func New(o Options) (*Checker, error) {
	if o.Level == "" {
		o.Level = DefaultLevel
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	level, err := api.ParseLevel(o.Level)
	if err != nil {
		return nil, fmt.Errorf("Pod Security level %q: %w", o.Level, err)
	}
	version, err := api.ParseVersion(o.Version)
	if err != nil {
		return nil, fmt.Errorf("Pod Security version %q: %w, as in the enforce-version namespace label", o.Version, err)
	}
	var emulate *api.Version
	var srv server
	if o.Kubernetes != "" {
		m := serverVersion.FindStringSubmatch(strings.TrimSpace(o.Kubernetes))
		if m == nil {
			return nil, fmt.Errorf("Kubernetes version %q: want the API server's version, such as 1.24 or v1.34.4", o.Kubernetes)
		}
		minor, _ := strconv.Atoi(m[1])
		v := api.MajorMinorVersion(1, minor)
		emulate, srv = &v, server{minor: minor}
	}
	eval, err := policy.NewEvaluator(srv.checks(), emulate)
	if err != nil {
		// The library's own checks are valid; only a broken upgrade gets here.
		return nil, fmt.Errorf("pod-security-admission rejects its own checks: %w", err)
	}
	if o.Operator.KubeRay.Version == "" {
		o.Operator.KubeRay = versions.DefaultKubeRay()
	}
	return &Checker{server: srv, policy: api.LevelVersion{Level: level, Version: version}, evaluator: eval, operator: o.Operator}, nil
}

// Policy is the level:version the Checker enforces, as the API server writes
// it, e.g. "restricted:latest".
func (c *Checker) Policy() string { return c.policy.String() }

// KubeRay is the operator release the checker derives KubeRay's pods for.
func (c *Checker) KubeRay() string { return c.operator.KubeRay.Version }

// Result is the verdict on one pod.
type Result struct {
	Allowed bool `json:"allowed"`
	// Violations are the failed checks, in the order the API server lists them.
	Violations []Violation `json:"violations,omitempty"`
	// Message is what follows `pods "NAME" is forbidden: ` in the API
	// server's refusal; empty when the pod is allowed.
	Message string `json:"message,omitempty"`
}

// Violation is one failed check: its reason and, in parentheses in the
// message, the detail.
type Violation struct {
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

func (v Violation) String() string {
	if v.Detail == "" {
		return v.Reason
	}
	return v.Reason + " (" + v.Detail + ")"
}

// Evaluate checks one pod as its creator sends it to the API server: it
// first does to the pod what the API server does before admission.
func (c *Checker) Evaluate(meta metav1.ObjectMeta, spec corev1.PodSpec) Result {
	meta, spec = *meta.DeepCopy(), *spec.DeepCopy()
	c.server.prepare(&meta, &spec)
	agg := policy.AggregateCheckResults(c.evaluator.EvaluatePod(c.policy, &meta, &spec))
	if agg.Allowed {
		return Result{Allowed: true}
	}
	r := Result{Message: fmt.Sprintf("violates PodSecurity %q: %s", c.policy.String(), agg.ForbiddenDetail())}
	for i, reason := range agg.ForbiddenReasons {
		r.Violations = append(r.Violations, Violation{Reason: reason, Detail: agg.ForbiddenDetails[i]})
	}
	return r
}

// Forbidden is the API server's whole refusal of a pod named name, as the
// pod's creator receives it.
func (r Result) Forbidden(name string) string {
	if r.Allowed {
		return ""
	}
	return fmt.Sprintf("pods %q is forbidden: %s", name, r.Message)
}

// Where points at a document of a file.
type Where struct {
	// Source is the file name, "-" for standard input.
	Source string `json:"source,omitempty"`
	// Document counts the file's YAML documents from 1; 0 when the object
	// did not come with a position.
	Document int    `json:"document,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Name     string `json:"name,omitempty"`
}

func (w Where) String() string {
	var b strings.Builder
	b.WriteString(w.Source)
	if w.Document > 0 {
		fmt.Fprintf(&b, ":%d", w.Document)
	}
	if w.Kind != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(w.Kind)
		if w.Name != "" {
			b.WriteString("/" + w.Name)
		}
	}
	return b.String()
}

// Verdict is the Result for one pod a manifest makes.
type Verdict struct {
	Where
	// Role says which of the object's pods this is, e.g. "head" or
	// "worker group small-group".
	Role string `json:"role"`
	// Pod is the pod's name; "*" stands for characters picked at creation.
	Pod    string `json:"pod"`
	Policy string `json:"policy"`
	Result
	// Notes explain failing containers that the KubeRay operator adds, and
	// say so when no field of the manifest can make them pass.
	Notes []string `json:"notes,omitempty"`
}

func (v Verdict) String() string {
	head := fmt.Sprintf("%s %s (pod %s)", v.Where, v.Role, v.Pod)
	if v.Allowed {
		return head + ": allowed by " + v.Policy
	}
	var b strings.Builder
	b.WriteString(head + ": rejected: " + v.Message)
	for _, n := range v.Notes {
		b.WriteString("\n    note: " + n)
	}
	return b.String()
}

// Skipped is a document that makes no pods.
type Skipped struct {
	Where
	Reason string `json:"reason"`
}

func (s Skipped) String() string { return s.Where.String() + ": skipped: " + s.Reason }

// Problem is a document that could not be checked.
type Problem struct {
	Where
	Err string `json:"error"`
}

func (p Problem) String() string { return p.Where.String() + ": cannot check: " + p.Err }

// Report is the outcome for one or more files.
type Report struct {
	Policy string `json:"policy"`
	// KubeRay is the operator release KubeRay's pods were derived for.
	KubeRay  string    `json:"kuberay,omitempty"`
	Pods     []Verdict `json:"pods"`
	Skipped  []Skipped `json:"skipped,omitempty"`
	Problems []Problem `json:"problems,omitempty"`

	sources []string // files in the order they were checked
}

// Rejected returns the verdicts of pods the API server would refuse.
func (r Report) Rejected() []Verdict {
	var out []Verdict
	for _, v := range r.Pods {
		if !v.Allowed {
			out = append(out, v)
		}
	}
	return out
}

// Admitted says that every pod is allowed and every document was checked.
func (r Report) Admitted() bool { return len(r.Rejected()) == 0 && len(r.Problems) == 0 }

// Add appends other's findings to r.
func (r *Report) Add(other Report) {
	if r.Policy == "" {
		r.Policy = other.Policy
	}
	for _, src := range other.sources {
		if !slices.Contains(r.sources, src) {
			r.sources = append(r.sources, src)
		}
	}
	r.Pods = append(r.Pods, other.Pods...)
	r.Skipped = append(r.Skipped, other.Skipped...)
	r.Problems = append(r.Problems, other.Problems...)
}

// Lines is the report in text: per file, in the order the files were
// checked, one line per pod, skipped document and problem, in document
// order; notes follow their pod, indented.
func (r Report) Lines() []string {
	type line struct {
		doc  int
		text string
	}
	bySource := map[string][]line{}
	for _, v := range r.Pods {
		bySource[v.Source] = append(bySource[v.Source], line{v.Document, v.String()})
	}
	for _, s := range r.Skipped {
		bySource[s.Source] = append(bySource[s.Source], line{s.Document, s.String()})
	}
	for _, p := range r.Problems {
		bySource[p.Source] = append(bySource[p.Source], line{p.Document, p.String()})
	}
	var out []string
	for _, src := range r.sources {
		ls := bySource[src]
		// Stable, so the pods of one document keep the operator's order.
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].doc < ls[j].doc })
		for _, l := range ls {
			out = append(out, l.text)
		}
	}
	return out
}

// Check evaluates objects decoded from source (e.g. with fixtures.Decode),
// which carry no document positions.
func (c *Checker) Check(source string, objs []*unstructured.Unstructured) Report {
	docs := make([]manifest.Document, len(objs))
	for i, o := range objs {
		docs[i] = manifest.Document{Object: o}
	}
	return c.CheckDocuments(source, docs)
}

// CheckFile evaluates the YAML data of file source.
func (c *Checker) CheckFile(source string, data []byte) Report {
	docs, err := manifest.Documents(data)
	r := c.CheckDocuments(source, docs)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Where: Where{Source: source, Document: len(docs) + 1}, Err: err.Error()})
	}
	return r
}

// CheckDocuments evaluates the documents of one file.
func (c *Checker) CheckDocuments(source string, docs []manifest.Document) Report {
	r := Report{Policy: c.Policy(), KubeRay: c.KubeRay(), sources: []string{source}}
	for _, d := range docs {
		at := Where{Source: source, Document: d.Index}
		switch {
		case d.Err != nil:
			r.Problems = append(r.Problems, Problem{Where: at, Err: d.Err.Error()})
			continue
		case d.Object == nil:
			r.Skipped = append(r.Skipped, Skipped{Where: at, Reason: "empty document"})
			continue
		}
		at.Kind, at.Name = d.Object.GetKind(), d.Object.GetName()
		pods, err := workload.Pods(d.Object, c.operator)
		if errors.Is(err, workload.ErrNoPods) || errors.Is(err, workload.ErrNotDerived) {
			r.Skipped = append(r.Skipped, Skipped{Where: at, Reason: err.Error()})
			continue
		}
		if err != nil {
			r.Problems = append(r.Problems, Problem{Where: at, Err: err.Error()})
			continue
		}
		for _, p := range pods {
			r.Pods = append(r.Pods, c.verdict(at, p))
		}
	}
	return r
}

func (c *Checker) verdict(at Where, p workload.Pod) Verdict {
	v := Verdict{Where: at, Role: p.Role, Pod: p.Name, Policy: c.Policy(), Result: c.Evaluate(p.Meta, p.Spec)}
	if v.Allowed {
		return v
	}
	for _, a := range p.Added {
		// Every check names the containers it refuses in double quotes.
		if a.Unfixable || strings.Contains(v.Message, strconv.Quote(a.Container)) {
			v.Notes = append(v.Notes, a.Why)
		}
	}
	return v
}
