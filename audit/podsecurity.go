package audit

import (
	"strings"
)

// Annotation keys Pod Security Admission adds to audit events.
const (
	AnnotationEnforcePolicy   = "pod-security.kubernetes.io/enforce-policy"
	AnnotationAuditViolations = "pod-security.kubernetes.io/audit-violations"
	AnnotationExempt          = "pod-security.kubernetes.io/exempt"
)

// Verdict is Pod Security Admission's decision on one request, as the audit
// log records it.
type Verdict struct {
	AuditID   string
	Verb      string
	Namespace string
	Resource  string
	Name      string
	// User is who made the request, e.g. the operator's ServiceAccount.
	User string
	Code int32
	// EnforcePolicy is the level:version enforced, e.g. "restricted:latest".
	EnforcePolicy string
	// Denied is set when enforcement refused the request.
	Denied bool
	// Message is the response's message; for a denial it starts with the
	// object and `violates PodSecurity "…"`.
	Message string
	// Violations are the reasons of a denial, in the order the plugin gave
	// them, each "check (detail)".
	Violations []string
	// AuditViolations is the audit mode's annotation: what the audit level
	// would have refused, whether or not enforcement did.
	AuditViolations string
	// Exempt names the exemption that applied, if one did.
	Exempt string
}

// PodSecurity returns the verdict recorded in e, and false when e carries
// no Pod Security decision (other resources, or requests the plugin did not
// evaluate).
func PodSecurity(e Event) (Verdict, bool) {
	enforce, hasEnforce := e.Annotations[AnnotationEnforcePolicy]
	auditV, hasAudit := e.Annotations[AnnotationAuditViolations]
	exempt, hasExempt := e.Annotations[AnnotationExempt]
	if !hasEnforce && !hasAudit && !hasExempt {
		return Verdict{}, false
	}
	v := Verdict{
		AuditID: string(e.AuditID), Verb: e.Verb, Name: Name(e), Code: Code(e), User: e.User.Username,
		EnforcePolicy: enforce, AuditViolations: auditV, Exempt: exempt,
	}
	if ref := e.ObjectRef; ref != nil {
		v.Namespace, v.Resource = ref.Namespace, ref.Resource
	}
	if e.ResponseStatus != nil {
		v.Message = e.ResponseStatus.Message
	}
	if v.Code == 403 {
		if reasons, ok := ViolationReasons(v.Message); ok {
			v.Denied = true
			v.Violations = reasons
		}
	}
	return v, true
}

// ViolationReasons splits a Pod Security message, `… violates PodSecurity
// "level:version": reason (detail), reason (detail)` (or the audit and warn
// forms, `would violate …`), into its reasons. The separator ", " also
// appears inside details, so only top-level commas split.
func ViolationReasons(msg string) ([]string, bool) {
	i := strings.Index(msg, "violate PodSecurity ")
	if i < 0 {
		i = strings.Index(msg, "violates PodSecurity ")
	}
	if i < 0 {
		return nil, false
	}
	rest := msg[i:]
	j := strings.Index(rest, `": `)
	if j < 0 {
		return nil, false
	}
	body := rest[j+3:]
	var out []string
	depth, quoted, start := 0, false, 0
	for k := 0; k < len(body); k++ {
		switch body[k] {
		case '"':
			quoted = !quoted
		case '(':
			if !quoted {
				depth++
			}
		case ')':
			if !quoted && depth > 0 {
				depth--
			}
		case ',':
			if !quoted && depth == 0 && k+1 < len(body) && body[k+1] == ' ' {
				out = append(out, strings.TrimSpace(body[start:k]))
				start = k + 2
			}
		}
	}
	if tail := strings.TrimSpace(body[start:]); tail != "" {
		out = append(out, tail)
	}
	return out, len(out) > 0
}
