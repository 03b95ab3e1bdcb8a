package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
)

// Step 1's probe (cluster.ProveAuditing) must fail on an API server that
// writes no audit events, and pass on one that audits under the
// repository's policy. Before, step 1 only read the log and passed on an
// empty one.
func TestProveAuditingCatchesAnAPIServerThatDoesNotAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three local control planes")
	}
	nothing := filepath.Join(t.TempDir(), "logs-nothing.yaml")
	policy := "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n"
	if err := os.WriteFile(nothing, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []Option
		want string // "" for success
	}{
		{"without audit flags", []Option{WithoutAuditFlags()}, "no such file"},
		{"with a policy that logs nothing", []Option{WithAuditPolicy(nothing)}, "did not record GET pods/"},
		{"with the repository's policy", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newCluster(t, append(tc.opts, WithProgress(testlog.Writer{T: t}))...)
			if _, err := c.Create(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Destroy(context.Background()) })
			cs, err := kubernetes.NewForConfig(c.KubernetesRestConfig())
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.Auditing(); !ok {
				t.Fatal("the provider offers the log either way: only the probe can tell")
			}
			ev, err := cluster.ProveAuditing(ctx, c, cs, "pod-security", "e2e-audit-probe", 3*time.Second)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("an auditing API server: %v", err)
			case tc.want == "" && (ev.ObjectRef == nil || ev.ObjectRef.Name != "e2e-audit-probe" || ev.Verb != "get"):
				t.Fatalf("the probe's event: %+v", ev)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			t.Logf("probe: %v", err)
		})
	}
}
