// Package hardeningtest holds the checks that the tests of package fixtures
// (the hardened RayCluster, the operator values) and package chart (the
// stand-in chart rendered with those values) share: whether a container's
// securityContext is hardened as the tutorial hardens it, and what a Pod
// violates of the restricted Pod Security Standard.
package hardeningtest

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// FromUnstructured converts in, a decoded object or part of one, into out,
// failing t on a field out does not have.
func FromUnstructured(t testing.TB, in interface{}, out interface{}) {
	t.Helper()
	m, ok := in.(map[string]interface{})
	if !ok {
		t.Fatalf("expected a mapping, got %T", in)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(m, out, true); err != nil {
		t.Fatal(err)
	}
}

// RestrictedViolations lists what the Pod meta violates of the restricted
// standard at its latest version.
func RestrictedViolations(t testing.TB, meta *corev1.Pod) []string {
	t.Helper()
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range evaluator.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &meta.ObjectMeta, &meta.Spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+": "+r.ForbiddenDetail)
		}
	}
	return out
}

// CheckHardened fails t unless sc sets what the tutorial sets on every
// container: no privilege escalation, all capabilities dropped, a non-root
// user, the RuntimeDefault seccomp profile. where names sc in errors.
func CheckHardened(t testing.TB, where string, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil {
		t.Errorf("%s has no securityContext", where)
		return
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", where)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: capabilities.drop must contain ALL", where)
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: runAsNonRoot must be true", where)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile.type must be RuntimeDefault", where)
	}
}
