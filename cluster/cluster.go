// Package cluster defines what the tutorial suite asks of a cluster, whichever
// provider runs it (local processes, Kind, or a cluster the user already has).
// The suite asks the provider about its capabilities; it never branches on the
// provider's name.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/e2e-framework/support"
)

// Provider is an e2e-framework cluster provider with the extras the tutorial
// needs.
type Provider interface {
	support.E2EClusterProvider

	// Name is the cluster's name, under which envfuncs.CreateCluster keeps
	// the provider in the suite's context: the one given, or the provider's
	// default (the kind tier makes one up for each run).
	Name() string

	// AuditLog returns the API server's audit log as written so far, in the
	// JSON-lines format of audit.k8s.io/v1. A provider that cannot read it
	// returns an error wrapping ErrNoAuditLog that says why.
	AuditLog(ctx context.Context) (io.ReadCloser, error)

	// Containers reports whether pods run real containers. When they do not,
	// reason says why, and steps that need a running container are skipped
	// with it.
	Containers() (ok bool, reason string)

	// Auditing reports whether the suite can read the API server's audit
	// log. When it cannot, reason says why, and the audit checks are
	// skipped with it (or refused, when the run requires them). A provider
	// that says yes is still put to the test: step 1 makes the API server
	// write an event and reads it back.
	Auditing() (ok bool, reason string)

	// RunOperator makes sure a KubeRay operator reconciles namespace ns once
	// the chart has been installed there. Where the chart's own pod runs the
	// operator this only returns; the local tier, whose pods run no
	// container, starts the pinned operator binary with the credentials of
	// the chart's ServiceAccount. stop ends what RunOperator started.
	RunOperator(ctx context.Context, ns, serviceAccount string) (stop func(), err error)

	// DefaultChart is the kuberay-operator chart source the provider uses when
	// the user names none: "standin" (this project's offline chart) or
	// "repo" (KubeRay's published chart at the pinned version).
	DefaultChart() string
}

// OperatorRunner is a provider that runs the KubeRay operator itself rather
// than through the chart's image (the local tier).
type OperatorRunner interface {
	// OperatorSource says what runs the operator, for the run's record.
	OperatorSource() string
}

// PackageIndexer is a provider that serves its pods a package index of its
// own, where they can reach no other (the offline kind tier).
type PackageIndexer interface {
	// PackageIndex is pip's --index-url for the pods, or "" for none.
	PackageIndex() string
	// PackageIndexLog is the index server's request log so far, which shows
	// what the pods downloaded from it.
	PackageIndexLog(ctx context.Context) (string, error)
}

// HostAdapter is a provider that may change how it runs the cluster to fit
// the host (the kind tier on a cgroup v1 host); the run records what it did.
type HostAdapter interface {
	HostAdaptation() string
}

// Planner is a provider that can say, without doing it, what it will do to
// make and remove its cluster; a dry run prints it.
type Planner interface {
	Plan() ([]string, error)
}

// A node annotated KWOKNodeAnnotation=KWOKNodeFake is faked by KWOK: pods
// bound to it are reported Running, but no container runs. The local tier's
// node carries it, and the existing provider looks for it.
const (
	KWOKNodeAnnotation = "kwok.x-k8s.io/node"
	KWOKNodeFake       = "fake"
)

// ErrNoAuditLog marks a provider that cannot read the audit log.
var ErrNoAuditLog = errors.New("audit log not readable")

// NoAuditLog returns an error wrapping ErrNoAuditLog with the reason.
func NoAuditLog(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNoAuditLog, fmt.Sprintf(format, args...))
}
