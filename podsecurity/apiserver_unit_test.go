package podsecurity

import (
	"fmt"
	"strings"
	"testing"
)

func TestCompareAPIServer(t *testing.T) {
	head := Verdict{
		Where: Where{Source: "c.yaml", Kind: "RayCluster", Name: "raycluster-complete"}, Role: "head",
		Pod: "raycluster-complete-head-*", Policy: "restricted:latest",
		Result: Result{Message: `violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "ray-head" must set securityContext.allowPrivilegeEscalation=false)`},
	}
	forbidden := `pods "raycluster-complete-head-x7k2p" is forbidden: ` + head.Message
	// As the audit log records it, and as the operator's event quotes it.
	for _, msg := range []string{forbidden, "Failed to create head Pod pod-security/, " + forbidden} {
		if err := head.CompareAPIServer(msg); err != nil {
			t.Errorf("%q: %v", msg, err)
		}
	}
	for _, tc := range []struct{ msg, want string }{
		// The API server has a reason more: the messages part where the static one ends.
		{forbidden + ", runAsNonRoot != true", fmt.Sprintf("from byte %d on", len(forbidden))},
		{forbidden + ", runAsNonRoot != true", "static from there:     (end)"},
		{strings.Replace(forbidden, "raycluster-complete-head-x7k2p", "other-head-x7k2p", 1), `refused pod "other-head-x7k2p"`},
		{"Internal error occurred", "has no `pods \"NAME\" is forbidden:` refusal"},
	} {
		err := head.CompareAPIServer(tc.msg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one saying %q", tc.msg, err, tc.want)
		}
	}
	allowed := head
	allowed.Result = Result{Allowed: true}
	if err := allowed.CompareAPIServer(forbidden); err == nil || !strings.Contains(err.Error(), "passes restricted:latest statically, but the API server refused it") {
		t.Errorf("allowed verdict vs a refusal: %v", err)
	}
}
