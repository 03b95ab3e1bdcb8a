// Package rules holds the rules every copy of the Pod Security tutorial must
// obey, written once over the document model (package document): each says
// what a command or a line gets wrong and what is true instead. `go test
// ./docs` holds this repository's documents to them, together with the
// stricter rules only those documents follow (package docs); tutorial-drift
// holds any copy to them (package drift).
package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
)

// Finding is one way a tutorial is wrong, or, as a note, where it differs
// from this project's pins without being wrong.
type Finding struct {
	Line int
	// Rule names the rule: labels, namespace, bind, message, image or chart.
	Rule    string
	Problem string
	// Truth is what is true instead, or what to do.
	Truth string
	// Note marks a pin that differs from this project's (a published
	// release, pinned): not stale, so it does not change tutorial-drift's
	// exit status; this repository's documents follow the pins exactly.
	Note bool
	// Unchecked marks a fact the KubeRay source at hand cannot check;
	// Truth says what would.
	Unchecked bool
}

func (f Finding) String() string { return fmt.Sprintf("%d: %s — %s", f.Line, f.Problem, f.Truth) }

// Command applies the rules that read one command.
func Command(co document.Command, claims127 bool) []Finding {
	out := Bind(co, claims127)
	out = append(out, Namespace(co)...)
	out = append(out, Chart(co)...)
	if co.Program == "kubectl" && co.Sub() == "label" {
		if _, labels, ok := namespaceTarget(co.Args[1:]); ok {
			out = append(out, Labels(co.Line, labels)...)
		}
	}
	return out
}

// namespaceTarget reads kubectl's `namespace NAME …` or `namespace/NAME …`
// (also ns, namespaces): the namespace and the words after it.
func namespaceTarget(args []string) (name string, rest []string, ok bool) {
	if len(args) == 0 {
		return "", nil, false
	}
	if typ, n, slash := strings.Cut(args[0], "/"); slash && isNamespace(typ) {
		return n, args[1:], true
	}
	if len(args) >= 2 && isNamespace(args[0]) {
		return args[1], args[2:], true
	}
	return "", nil, false
}

// Markdown checks what the document's Markdown does to its reading: a code
// block never closed turns the rest of it into code.
func Markdown(d *document.Document) []Finding {
	if d.Unclosed == 0 {
		return nil
	}
	return []Finding{{Line: d.Unclosed, Rule: "markdown", Problem: "the code block opened here is never closed", Truth: "close it with " + d.UnclosedFence + ", or everything after it reads as code"}}
}

// Line applies the rules that read any line of the document.
func Line(n int, line string) []Finding {
	out := append(Refusal(n, line), Images(n, line)...)
	out = append(out, RayAPI(n, line)...)
	return append(out, RemoteData(n, line)...)
}

func isNamespace(s string) bool { return s == "namespace" || s == "namespaces" || s == "ns" }

// Labels checks the labels of `kubectl label namespace pod-security …`:
// exactly the six of step 3, each with its value. A command that removes
// labels (`key-`) or sets none of the Pod Security labels is not step 3.
func Labels(line int, args []string) []Finding {
	sets := false
	for _, a := range args {
		if strings.HasSuffix(a, "-") && !strings.Contains(a, "=") {
			return nil
		}
		sets = sets || strings.HasPrefix(a, facts.LabelPrefix)
	}
	if !sets {
		return nil
	}
	var out []Finding
	find := func(problem, truth string) {
		out = append(out, Finding{Line: line, Rule: "labels", Problem: problem, Truth: truth})
	}
	got := map[string]string{}
	var order []string
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || !strings.HasPrefix(k, facts.LabelPrefix) {
			find("label "+a+" is not a Pod Security Admission label", "step 3 sets only the six "+facts.LabelPrefix+" labels: enforce, audit and warn, each with a -version")
			continue
		}
		got[k] = v
		order = append(order, k)
	}
	for _, l := range facts.Labels {
		v, ok := got[l.Key]
		switch {
		case !ok:
			find("label "+l.Key+"="+l.Value+" is missing", "step 3 sets all six labels, this one to "+l.Key+"="+l.Value)
		case v != l.Value:
			find("label "+l.Key+"="+v, "step 3 sets "+l.Key+"="+l.Value)
		}
		delete(got, l.Key)
	}
	for _, k := range order {
		if v, ok := got[k]; ok {
			find("label "+k+"="+v+" is not one of the six Pod Security Admission labels", "the six are enforce, audit and warn, each with a -version: remove it")
			delete(got, k)
		}
	}
	return out
}

// Namespace checks that kubectl and helm act in the tutorial's namespace,
// the one audit-policy.yaml records and step 3 labels.
func Namespace(co document.Command) []Finding {
	if co.Program != "kubectl" && co.Program != "helm" {
		return nil
	}
	var out []Finding
	wrong := func(problem string) {
		out = append(out, Finding{Line: co.Line, Rule: "namespace", Problem: problem,
			Truth: "the tutorial's namespace is " + facts.Namespace + ": " + facts.AuditPolicyFile + " records only it, and step 3's labels apply there"})
	}
	for _, n := range co.Values("--namespace") {
		if n != facts.Namespace {
			wrong("--namespace " + n)
		}
	}
	if co.Program == "kubectl" && (co.Sub() == "create" || co.Sub() == "label") {
		if name, _, ok := namespaceTarget(co.Args[1:]); ok && name != facts.Namespace {
			wrong("kubectl " + co.Sub() + " namespace " + name)
		}
	}
	return out
}

// bindFlags are the flags of servers and port-forwards that name the
// address to listen on.
var bindFlags = map[string]bool{"--address": true, "--host": true, "--bind": true, "--bind-address": true, "--listen": true, "--dashboard-host": true, "--ip": true}

func everyInterface(a string) bool {
	return a == "0.0.0.0" || a == "::" || a == "[::]" || a == "*"
}

// Bind checks that nothing a reader runs listens on every network
// interface: a bind flag's value, any word that names 0.0.0.0, and a
// port-forward that, without --address, binds localhost, 127.0.0.1 and ::1
// while the document speaks of 127.0.0.1 (claims127).
func Bind(co document.Command, claims127 bool) []Finding {
	var out []Finding
	flagged := map[string]bool{}
	w := co.Words
	for i := 1; i < len(w); i++ {
		name, value, hasValue := strings.Cut(w[i], "=")
		if !bindFlags[name] {
			continue
		}
		if !hasValue && i+1 < len(w) {
			value = w[i+1]
		}
		for _, a := range strings.Split(value, ",") {
			if everyInterface(a) {
				flagged[a] = true
				out = append(out, Finding{Line: co.Line, Rule: "bind", Problem: fmt.Sprintf("%s %s binds every network interface: anyone who can reach this machine reaches the server", name, a), Truth: "bind 127.0.0.1 only: " + name + " 127.0.0.1"})
			}
		}
	}
	for _, word := range append(append([]string{}, co.Env...), w...) {
		if strings.Contains(word, "0.0.0.0") && !flagged["0.0.0.0"] {
			flagged["0.0.0.0"] = true
			out = append(out, Finding{Line: co.Line, Rule: "bind", Problem: fmt.Sprintf("%q binds or reaches every network interface", word), Truth: "instructions bind and reach 127.0.0.1 only"})
		}
	}
	if co.Program == "kubectl" && co.Sub() == "port-forward" {
		addr, ok := co.Value("--address")
		switch {
		case !ok && claims127:
			out = append(out, Finding{Line: co.Line, Rule: "bind", Problem: "kubectl port-forward without --address binds localhost, 127.0.0.1 and ::1, while the tutorial speaks of 127.0.0.1", Truth: "add --address 127.0.0.1"})
		case ok && !loopback(addr) && len(out) == 0:
			out = append(out, Finding{Line: co.Line, Rule: "bind", Problem: "kubectl port-forward --address " + addr + " opens the dashboard to the network, and its Jobs API runs any code it is sent", Truth: "bind 127.0.0.1 only: --address 127.0.0.1"})
		}
	}
	return out
}

func loopback(addr string) bool {
	for _, a := range strings.Split(addr, ",") {
		if a != "127.0.0.1" && a != "localhost" && a != "::1" {
			return false
		}
	}
	return true
}

var violatesRE = regexp.MustCompile(`violates PodSecurity "([^"]+)"`)

// Refusal checks a quoted refusal of the API server: the namespace enforces
// restricted at version latest, and the head Pod's first reason is worded
// as the API server words it.
func Refusal(n int, line string) []Finding {
	line = strings.ReplaceAll(line, `\"`, `"`)
	m := violatesRE.FindStringSubmatchIndex(line)
	if m == nil {
		return nil
	}
	var out []Finding
	if policy := line[m[2]:m[3]]; policy != "restricted:latest" {
		out = append(out, Finding{Line: n, Rule: "message", Problem: "the refusal names policy " + policy, Truth: "the namespace enforces restricted at version latest: " + facts.RestrictedPrefix})
	}
	if strings.Contains(line, `container "`+facts.HeadContainer+`"`) && strings.Contains(line, "allowPrivilegeEscalation") && !strings.Contains(line, facts.HeadViolation) {
		out = append(out, Finding{Line: n, Rule: "message", Problem: "the head Pod's refusal is not worded as the API server words it", Truth: "it reads: " + facts.RestrictedPrefix + ": " + facts.HeadViolation})
	}
	return out
}
