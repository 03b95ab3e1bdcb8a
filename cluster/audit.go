package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kuberay-docs/pod-security-e2e/audit"
)

// AuditMark is the offset just past the last complete line of p's audit
// log, for a step to read only what it causes afterwards. (The raw size
// could fall inside a line the API server is still writing.) Errors are
// returned, never papered over with offset 0: reading from the start would
// credit a step with what earlier steps caused.
func AuditMark(ctx context.Context, p Provider) (int64, error) {
	rc, err := p.AuditLog(ctx)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	st, err := audit.Scan(rc, 0, func(audit.Event) bool { return true })
	if err != nil {
		return 0, fmt.Errorf("read the audit log: %w", err)
	}
	return st.Next, nil
}

// ReadAudit returns the events of p's audit log after offset from that match
// f. Malformed lines are an error: an event the suite cannot read is
// evidence it cannot weigh.
func ReadAudit(ctx context.Context, p Provider, from int64, f audit.Filter) ([]audit.Event, error) {
	rc, err := p.AuditLog(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	evs, st, err := audit.ReadAll(rc, from, f)
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	if st.Malformed > 0 {
		return evs, fmt.Errorf("the audit log has %d malformed lines; first: %v", st.Malformed, st.FirstMalformed)
	}
	return evs, nil
}

// ProveAuditing makes the API server write one event that the tutorial's
// audit policy selects, and reads it back: a GET of pod name in namespace ns,
// which need not exist (the answer is 404, and the policy logs every verb on
// pods there). Reading a log proves little on its own: an API server started
// without --audit-policy-file/--audit-log-path, or with a policy that logs
// nothing, leaves a log that is empty or stale but readable. It returns the
// event, or an error saying what is missing after timeout.
func ProveAuditing(ctx context.Context, p Provider, cs kubernetes.Interface, ns, name string, timeout time.Duration) (audit.Event, error) {
	mark, err := AuditMark(ctx, p)
	if err != nil {
		return audit.Event{}, err
	}
	if _, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		return audit.Event{}, fmt.Errorf("GET pod %s/%s, the audit probe: want 404 Not Found, got %v", ns, name, err)
	}
	var found audit.Event
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		evs, err := ReadAudit(ctx, p, mark, audit.Filter{Namespace: ns, Resource: "pods", Verb: "get"})
		if errors.Is(err, ErrNoAuditLog) {
			return false, err
		}
		last = err
		for _, e := range evs {
			if audit.Name(e) == name {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		if last != nil {
			return audit.Event{}, last
		}
		if errors.Is(err, ErrNoAuditLog) {
			return audit.Event{}, err
		}
		return audit.Event{}, fmt.Errorf("the API server did not record GET pods/%s in namespace %s within %s: it does not audit under audit-policy.yaml (is kube-apiserver started with --audit-policy-file and --audit-log-path, and does the policy log pods in %s?)", name, ns, timeout, ns)
	}
	return found, nil
}
