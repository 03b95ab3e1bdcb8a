package audit

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The testdata logs were written by kube-apiserver v1.24.17 and v1.34.4 of
// the local tier, and v1.29.2 of the offline kind tier, under the
// repository's audit-policy.yaml during tutorial runs (a subset of their
// lines, unchanged).
const capturedLog = "testdata/kube-apiserver-v1.24.17-audit.log"

var capturedLogs = []string{capturedLog, "testdata/kube-apiserver-v1.29.2-audit.log", "testdata/kube-apiserver-v1.34.4-audit.log", "testdata/kube-apiserver-v1.37.2-audit.log"}

func readCaptured(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(capturedLog)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestReadCapturedLog(t *testing.T) {
	data := readCaptured(t)
	lines := bytes.Count(data, []byte("\n"))
	evs, st, err := ReadAll(bytes.NewReader(data), 0, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != lines || len(evs) != lines || st.Malformed != 0 {
		t.Fatalf("read %d events (%d kept, %d malformed) from %d lines", st.Events, len(evs), st.Malformed, lines)
	}
	if st.Next != int64(len(data)) {
		t.Errorf("next offset %d, want end of log %d", st.Next, len(data))
	}
	for _, e := range evs {
		if e.ObjectRef == nil || e.ObjectRef.Namespace != "pod-security" || e.ObjectRef.Resource != "pods" {
			t.Errorf("event %s outside the policy's scope: %+v", e.AuditID, e.ObjectRef)
		}
	}
}

func TestFilter(t *testing.T) {
	data := readCaptured(t)
	denied, _, err := ReadAll(bytes.NewReader(data), 0, Filter{Namespace: "pod-security", Resource: "pods", Verb: "create", Code: 403})
	if err != nil {
		t.Fatal(err)
	}
	// v1.24.17's capture: the probe's 403 (step 3), the operator's for the
	// complete sample's head (5.1), the Job controller's for a RayJob's
	// default submitter (6.1) and the operator's for a SidecarMode head (6.2).
	var who []string
	for _, e := range denied {
		who = append(who, e.User.Username)
	}
	want := []string{"kuberay-e2e-admin", "system:serviceaccount:pod-security:kuberay-operator", "system:serviceaccount:kube-system:job-controller", "system:serviceaccount:pod-security:kuberay-operator"}
	if strings.Join(who, " ") != strings.Join(want, " ") {
		t.Fatalf("403 creates by %v, want %v", who, want)
	}
	none, _, _ := ReadAll(bytes.NewReader(data), 0, Filter{Namespace: "default"})
	if len(none) != 0 {
		t.Errorf("namespace filter let through %d events", len(none))
	}
}

func TestPodSecurityVerdicts(t *testing.T) {
	for _, file := range capturedLogs {
		t.Run(file, func(t *testing.T) { testVerdicts(t, file) })
	}
}

func testVerdicts(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	evs, _, err := ReadAll(bytes.NewReader(data), 0, Filter{Verb: "create"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Verdict{}
	for _, e := range evs {
		v, ok := PodSecurity(e)
		if !ok {
			t.Fatalf("create %s carries no Pod Security annotation", e.AuditID)
		}
		if v.Code == 403 || v.Name != "" {
			byName[v.Name] = v
		}
	}
	bare := byName["psa-probe-bare"]
	if !bare.Denied || bare.EnforcePolicy != "restricted:latest" || bare.Namespace != "pod-security" {
		t.Errorf("bare probe: %+v", bare)
	}
	wantReasons := []string{
		`allowPrivilegeEscalation != false (container "probe" must set securityContext.allowPrivilegeEscalation=false)`,
		`unrestricted capabilities (container "probe" must set securityContext.capabilities.drop=["ALL"])`,
		`runAsNonRoot != true (pod or container "probe" must set securityContext.runAsNonRoot=true)`,
		`seccompProfile (pod or container "probe" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
	}
	if strings.Join(bare.Violations, "\n") != strings.Join(wantReasons, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(bare.Violations, "\n"), strings.Join(wantReasons, "\n"))
	}
	if !strings.HasPrefix(bare.AuditViolations, `would violate PodSecurity "restricted:latest": `) {
		t.Errorf("audit-violations annotation: %q", bare.AuditViolations)
	}
	audited, ok := ViolationReasons(bare.AuditViolations)
	if !ok || strings.Join(audited, "\n") != strings.Join(wantReasons, "\n") {
		t.Errorf("the audit annotation's reasons differ from the enforced ones: %v", audited)
	}

	// The operator creates pods with generateName: the request has no name
	// and only the failure's status details carry the one the server chose.
	var head Verdict
	for name, v := range byName {
		if strings.HasPrefix(name, "raycluster-complete-head-") {
			head = v
		}
	}
	if !head.Denied || len(head.Violations) == 0 || !strings.HasPrefix(head.Violations[0], `allowPrivilegeEscalation != false (container "ray-head"`) {
		t.Errorf("head pod of ray-cluster.complete.yaml: %+v", head)
	}

	// A RayJob's pods: KubeRay's default submitter, refused when the Job
	// controller creates it, and a SidecarMode head, refused when the
	// operator does; both for the same container's two missing fields first.
	for prefix, user := range map[string]string{
		"rayjob-default-submitter-": "system:serviceaccount:kube-system:job-controller",
		"rayjob-sidecar-":           "system:serviceaccount:pod-security:kuberay-operator",
	} {
		var v Verdict
		for name, w := range byName {
			if strings.HasPrefix(name, prefix) {
				v = w
			}
		}
		if !v.Denied || v.User != user || len(v.Violations) < 2 || !strings.HasPrefix(v.Violations[0], `allowPrivilegeEscalation != false (container "ray-job-submitter"`) {
			t.Errorf("pod %s* refused by %s: %+v", prefix, user, v)
		}
	}

	hardened := byName["psa-probe-hardened"]
	if hardened.Denied || hardened.Code != 201 || hardened.AuditViolations != "" || hardened.EnforcePolicy != "restricted:latest" {
		t.Errorf("hardened probe: %+v", hardened)
	}
}

func TestOffsetShowsOnlyLaterEvents(t *testing.T) {
	data := readCaptured(t)
	first := bytes.IndexByte(data, '\n') + 1
	all, _, _ := ReadAll(bytes.NewReader(data), 0, Filter{})
	later, st, err := ReadAll(bytes.NewReader(data), int64(first), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(later) != len(all)-1 || later[0].AuditID != all[1].AuditID {
		t.Errorf("from offset %d: %d events, want %d starting at the second", first, len(later), len(all)-1)
	}
	// A reader that cannot seek is skipped forward instead.
	later2, _, err := ReadAll(strings.NewReader(string(data)), int64(first), Filter{})
	if err != nil || len(later2) != len(later) {
		t.Errorf("non-seeking reader: %d events, %v", len(later2), err)
	}
	if st.Next != int64(len(data)) {
		t.Errorf("next %d, want %d", st.Next, len(data))
	}
	if _, _, err := ReadAll(strings.NewReader("short\n"), 100, Filter{}); err == nil {
		t.Error("an offset past the end (a rotated log) must be an error")
	}
}

func TestPartialLastLineWaitsForTheNextRead(t *testing.T) {
	data := readCaptured(t)
	lines := bytes.SplitAfter(data, []byte("\n"))
	complete := bytes.Join(lines[:3], nil)
	// The API server is in the middle of writing the fourth line.
	partial := append(append([]byte{}, complete...), lines[3][:len(lines[3])/2]...)
	evs, st, err := ReadAll(bytes.NewReader(partial), 0, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || st.Malformed != 0 || st.Next != int64(len(complete)) {
		t.Fatalf("got %d events, %d malformed, next %d; want 3, 0, %d", len(evs), st.Malformed, st.Next, len(complete))
	}
	// Once the line is complete, reading from Next yields exactly it.
	whole := bytes.Join(lines[:4], nil)
	evs, _, err = ReadAll(bytes.NewReader(whole), st.Next, Filter{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("after completion: %d events, %v", len(evs), err)
	}
}

func TestMalformedLinesAreCountedNotFatal(t *testing.T) {
	lines := bytes.SplitAfter(readCaptured(t), []byte("\n"))
	var log []byte
	log = append(log, lines[0]...)
	log = append(log, []byte("this is not JSON\n")...)
	log = append(log, lines[1][:40]...) // a line cut short and then ended
	log = append(log, '\n')
	log = append(log, []byte("{\"kind\":\"Event\"}\n")...) // JSON, but no audit event
	log = append(log, lines[2]...)
	evs, st, err := ReadAll(bytes.NewReader(log), 0, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || st.Malformed != 3 {
		t.Fatalf("got %d events and %d malformed lines, want 2 and 3", len(evs), st.Malformed)
	}
	if st.FirstMalformed == nil || !strings.Contains(st.FirstMalformed.Error(), "line 2") {
		t.Errorf("first malformed line should be reported as line 2: %v", st.FirstMalformed)
	}
}

func TestScanStopsWhenAsked(t *testing.T) {
	n := 0
	st, err := Scan(bytes.NewReader(readCaptured(t)), 0, func(Event) bool { n++; return n < 2 })
	if err != nil || n != 2 || st.Events != 2 {
		t.Fatalf("n=%d events=%d err=%v", n, st.Events, err)
	}
}

func TestViolationReasonsKeepsCommasInsideDetails(t *testing.T) {
	msg := `pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (containers "a", "b" must set securityContext.allowPrivilegeEscalation=false), seccompProfile (pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
	got, ok := ViolationReasons(msg)
	if !ok || len(got) != 2 || !strings.HasSuffix(got[0], `"b" must set securityContext.allowPrivilegeEscalation=false)`) {
		t.Fatalf("got %q", got)
	}
	if _, ok := ViolationReasons(`pods "x" is forbidden: exceeded quota`); ok {
		t.Error("a message that is no Pod Security denial must not parse")
	}
}

func TestPolicyChecksCapturedEvents(t *testing.T) {
	pol, err := LoadPolicy("../audit-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event
	for _, file := range capturedLogs {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := ReadAll(bytes.NewReader(data), 0, Filter{})
		if err != nil || len(got) == 0 {
			t.Fatalf("%s: %d events, %v", file, len(got), err)
		}
		evs = append(evs, got...)
	}
	for _, e := range evs {
		if err := pol.Check(e); err != nil {
			t.Error(err)
		}
	}
	// The same event at another level, or for a resource the policy leaves
	// out, must be caught.
	e := evs[0]
	e.Level = "RequestResponse"
	if pol.Check(e) == nil {
		t.Error("a RequestResponse event passed a Metadata policy")
	}
	e = evs[0]
	ref := *e.ObjectRef
	ref.Resource = "configmaps"
	e.ObjectRef = &ref
	if pol.Check(e) == nil {
		t.Error("a configmaps event passed a pods-only policy")
	}
	e = evs[0]
	e.Stage = "RequestReceived"
	if pol.Check(e) == nil {
		t.Error("an event at the omitted stage passed")
	}
	if _, err := LoadPolicy("testdata/missing.yaml"); err == nil {
		t.Error("a missing policy file must be an error")
	}
}

func TestPolicyRules(t *testing.T) {
	pol, err := LoadPolicy("../audit-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, omit := pol.Rules()
	if len(rules) != 1 || rules[0].Level != "Metadata" || strings.Join(rules[0].Resources, ",") != "/pods" ||
		strings.Join(rules[0].Namespaces, ",") != "pod-security" || strings.Join(omit, ",") != "RequestReceived" {
		t.Errorf("rules %+v, omitted stages %v", rules, omit)
	}
}
