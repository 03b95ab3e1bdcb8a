package audit

import (
	"fmt"

	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditpkg "k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// Policy is an audit policy evaluated by the API server's own code, so that
// the tests ask the same question kube-apiserver does: which level, if any,
// does this request get?
type Policy struct {
	eval   auditpkg.PolicyRuleEvaluator
	policy *auditinternal.Policy
}

// Rule is one rule of a policy, flattened for inspection.
type Rule struct {
	Level           string
	Namespaces      []string
	Resources       []string // "group/resource", "" group for core
	Verbs           []string
	Users           []string
	UserGroups      []string
	NonResourceURLs []string
	OmitStages      []string
}

// Rules lists the policy's rules in order, and the stages the whole policy
// omits. Unlike Level, which answers for one request, this lets a test
// check everything a policy can ever log.
func (p *Policy) Rules() ([]Rule, []string) {
	var out []Rule
	for _, r := range p.policy.Rules {
		rule := Rule{Level: string(r.Level), Namespaces: r.Namespaces, Verbs: r.Verbs, Users: r.Users, UserGroups: r.UserGroups, NonResourceURLs: r.NonResourceURLs}
		for _, gr := range r.Resources {
			for _, res := range gr.Resources {
				rule.Resources = append(rule.Resources, gr.Group+"/"+res)
			}
			if len(gr.Resources) == 0 {
				rule.Resources = append(rule.Resources, gr.Group+"/*")
			}
		}
		for _, st := range r.OmitStages {
			rule.OmitStages = append(rule.OmitStages, string(st))
		}
		out = append(out, rule)
	}
	var omit []string
	for _, st := range p.policy.OmitStages {
		omit = append(omit, string(st))
	}
	return out, omit
}

// LoadPolicy reads and validates an audit policy file, as kube-apiserver's
// --audit-policy-file does.
func LoadPolicy(path string) (*Policy, error) {
	p, err := policy.LoadPolicyFromFile(path)
	if err != nil {
		return nil, err
	}
	return &Policy{eval: policy.NewPolicyRuleEvaluator(p), policy: p}, nil
}

// Request describes a request to evaluate, in the terms of audit events.
type Request struct {
	User        string
	Groups      []string
	Verb        string
	Namespace   string
	APIGroup    string
	APIVersion  string
	Resource    string
	Subresource string
	Name        string
}

// Level returns the level the policy assigns to r, and the stages it omits.
func (p *Policy) Level(r Request) (string, []string) {
	cfg := p.eval.EvaluatePolicyRule(authorizer.AttributesRecord{
		User:            &user.DefaultInfo{Name: r.User, Groups: r.Groups},
		Verb:            r.Verb,
		Namespace:       r.Namespace,
		APIGroup:        r.APIGroup,
		APIVersion:      r.APIVersion,
		Resource:        r.Resource,
		Subresource:     r.Subresource,
		Name:            r.Name,
		ResourceRequest: r.Resource != "",
	})
	var omit []string
	for _, s := range cfg.OmitStages {
		omit = append(omit, string(s))
	}
	return string(cfg.Level), omit
}

// Check reports how e departs from the policy: an event the policy would not
// log, logged at another level, or at an omitted stage. nil means it obeys.
func (p *Policy) Check(e Event) error {
	r := Request{User: e.User.Username, Groups: e.User.Groups, Verb: e.Verb}
	if ref := e.ObjectRef; ref != nil {
		r.Namespace, r.APIGroup, r.APIVersion = ref.Namespace, ref.APIGroup, ref.APIVersion
		r.Resource, r.Subresource, r.Name = ref.Resource, ref.Subresource, ref.Name
	}
	level, omit := p.Level(r)
	if level == string(auditinternal.LevelNone) {
		return fmt.Errorf("event %s (%s %s/%s) is logged although the policy gives it level None", e.AuditID, e.Verb, r.Namespace, r.Resource)
	}
	if string(e.Level) != level {
		return fmt.Errorf("event %s (%s %s/%s) is logged at level %s, the policy says %s", e.AuditID, e.Verb, r.Namespace, r.Resource, e.Level, level)
	}
	for _, s := range omit {
		if string(e.Stage) == s {
			return fmt.Errorf("event %s is logged at stage %s, which the policy omits", e.AuditID, s)
		}
	}
	return nil
}
