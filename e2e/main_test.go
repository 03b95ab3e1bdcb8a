// Package e2e is the Pod Security tutorial as a test suite: one feature per
// tutorial step, run in the tutorial's order on whichever cluster provider
// E2E_PROVIDER names (local by default). Run one step with
// `go test ./e2e -run 'TestTutorial/^5.1_'` (keep the ^: -run matches
// anywhere in a name, so 'TestTutorial/1_' would run 5.1 too); the earlier
// steps it depends on are then set up without being asserted.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/envfuncs"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/cluster/existing"
	"github.com/kuberay-docs/pod-security-e2e/cluster/local"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/files"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/quoted"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
)

// testenv is the suite's environment: e2e-framework's, whose context carries
// the harness (harnessFrom) to every env func and step, and the same harness
// at hand for TestTutorial to record the steps' plans in. It is the only
// package-level state of the suite.
var testenv struct {
	env.Environment
	h *harness
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, stopSignals := proc.HandleSignals(context.Background())
	defer stopSignals()
	// A panic in TestMain's own goroutine (setup, teardown) still stops every
	// child. Panics in a test and `go test -timeout` end the binary from
	// other goroutines: there the kernel's parent-death signal ends the
	// children, TestTutorial's cleanup saves the evidence (panic only), and
	// the next run removes the run directory (RemoveStaleRunDirs).
	defer func() {
		if r := recover(); r != nil {
			proc.RunInterruptCleanups()
			panic(r)
		}
	}()
	local.RemoveStaleRunDirs()
	files.RemoveStale(pageDirPrefix)

	root, err := repo.Root()
	if err != nil {
		return fatal(err)
	}
	h := newHarness()
	if h.cfg, err = settings.FromEnv(root, time.Now()); err != nil {
		return fatal(err)
	}
	if h.page, err = readPage(h.cfg.Page); err != nil {
		return fatal(err)
	}
	if h.provider, err = h.newProvider(); err != nil {
		return fatal(err)
	}
	if h.cfg.Chart == "" {
		h.cfg.Chart = h.provider.DefaultChart()
	}
	// A provider that cannot prove what the run requires is refused now,
	// not after a cluster was built for nothing.
	if err := h.checkRequired(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 2
	}
	if err := chart.CheckSource(h.cfg.Chart); err != nil {
		return fatal(err)
	}
	// The steps' inputs are checked before any cluster starts, so a broken
	// fixture or KubeRay checkout costs a second, not a timeout.
	if _, err := fixtures.PodSecurityCluster(); err != nil {
		return fatal(err)
	}
	for _, f := range fixtures.RayJobFiles {
		if _, err := fixtures.RayJob(f); err != nil {
			return fatal(err)
		}
	}
	if _, err := upstream.Sample(h.cfg.KubeRay, CompleteSample); err != nil {
		return fatal(err)
	}
	if h.run, err = evidence.New(h.cfg.OutputDir); err != nil {
		return fatal(err)
	}
	defer h.run.RemoveIfEmpty()
	h.recordWhatRuns()
	fmt.Printf("e2e: provider %s, Kubernetes %s, KubeRay %s, chart %s\ne2e: evidence of this run goes to %s\n", h.cfg.Provider, h.cfg.Kubernetes, h.cfg.KubeRay.Version, h.cfg.Chart, h.run.Dir)

	// Flags after -args (--dry-run, --feature, --assess, --labels) are
	// e2e-framework's own.
	envCfg, err := envconf.NewFromFlags()
	if err != nil {
		return fatal(err)
	}
	testenv.Environment, testenv.h = env.NewWithConfig(envCfg).WithContext(withHarness(ctx, h)), h
	// `go test -list` must not start a cluster; e2e-framework only treats a
	// literal -list=true as a dry run.
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		envCfg.WithDryRunMode()
	}
	if envCfg.DryRunMode() {
		// A dry run lists the steps and their assessments without a cluster.
		fmt.Printf("e2e: dry run: listing the steps of provider %s; nothing is created\n", h.cfg.Provider)
		if err := h.printPlan(); err != nil {
			return fatal(err)
		}
		return testenv.Run(m)
	}
	// The framework's own env func creates the cluster under the provider's
	// name and points the run's envconf at its kubeconfig. Destroying it is
	// the harness's finishRun: a panicking step never reaches TestMain's
	// Finish, and TestTutorial's cleanup must still destroy what was made.
	testenv.Setup(
		setup("create cluster", envfuncs.CreateClusterWithOpts(h.provider, h.provider.Name())),
		setup("connect to the cluster", connect),
		setup("check the cluster is fresh", checkFresh),
		setup("prepare the page's checkout and tools", preparePage))
	testenv.Finish(func(ctx context.Context, _ *envconf.Config) (context.Context, error) {
		harnessFrom(ctx).finishRun(ctx)
		return ctx, nil
	})
	code := testenv.Run(m)
	table := h.run.Table()
	fmt.Printf("\n%s\ne2e: evidence in %s\n", table, h.run.Dir)
	_ = h.run.WriteFile("steps.txt", []byte(table))
	// steps.json and junit.xml carry the same per-check results for
	// machines (the matrix command reads steps.json).
	// A step table the documents quote for this run's configuration must
	// be this table: a quote is proven by every such run, never pasted.
	if problems := h.checkQuotes(code, table); len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: %s\n", strings.Join(problems, "\n  "))
		code = 1
	}
	if err := h.run.WriteReports(code); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: writing steps.json and junit.xml: %v\n", err)
	}
	return code
}

// quotingDocs are the documents that quote step tables.
var quotingDocs = []string{"docs/automation.md"}

// checkQuotes compares the step tables the documents quote for this run's
// configuration (the same provider, versions, chart and requirements) with
// table, when the run was whole: every check ran and the suite passed.
func (h *harness) checkQuotes(code int, table string) []string {
	if code != 0 || h.run.Failed() || h.run.Totals().NotRun > 0 {
		return nil
	}
	var problems []string
	for _, doc := range quotingDocs {
		path, err := repo.Path(doc)
		if err != nil {
			return []string{err.Error()}
		}
		quotes, err := quoted.All(path)
		if err != nil {
			return []string{err.Error()}
		}
		for _, q := range quotes {
			if quoted.SameRun(q, table) {
				problems = append(problems, quoted.StepTableDiff(q, table)...)
			}
		}
	}
	return problems
}

// recordWhatRuns starts the run's record with the provider and the versions
// it runs; the API server's own version replaces the pinned one once the
// cluster answers.
func (h *harness) recordWhatRuns() {
	h.run.SetMeta("provider", h.cfg.Provider)
	h.run.SetMeta("Kubernetes", h.cfg.Kubernetes)
	operator := "operator image " + h.cfg.OperatorImage
	if p, ok := h.provider.(cluster.OperatorRunner); ok {
		operator = p.OperatorSource()
	}
	h.run.SetMeta("KubeRay", h.cfg.KubeRay.Version+" ("+operator+")")
	h.run.SetMeta("Ray", h.cfg.Ray.Version+" (image "+h.cfg.RayImage+")")
	h.run.SetMeta("chart", chart.Describe(h.cfg.Chart, h.cfg.KubeRay))
	if len(h.cfg.Require) > 0 {
		h.run.SetMeta("required", strings.Join(h.cfg.Require, ", "))
	}
}

// setup names an env func so that a failing setup says which one failed in
// plain words (e2e-framework logs it only at a debug level), and marks the
// run failed so that its evidence is kept. A failed setup also gets a row of
// its own, so that the step table says what stopped the run instead of
// being empty.
func setup(name string, fn env.Func) env.Func {
	return func(ctx context.Context, c *envconf.Config) (context.Context, error) {
		h := harnessFrom(ctx)
		start := time.Now()
		ctx, err := fn(ctx, c)
		if err != nil {
			h.failed.Store(true)
			fmt.Fprintf(os.Stderr, "e2e: %s failed: %v\n", name, err)
			row := "setup: " + name
			h.run.Note(row, "%v (no step ran)", err)
			h.run.Finish(row, evidence.Fail, time.Since(start))
		}
		return ctx, err
	}
}

// finishRun removes the tutorial's objects, saves the evidence and destroys
// the cluster, once, from whichever comes first: TestMain's Finish or
// TestTutorial's cleanup after a panic.
func (h *harness) finishRun(ctx context.Context) {
	h.finishOnce.Do(func() {
		ctx = context.WithoutCancel(ctx)
		h.cleanup(ctx)
		h.finishPage()
		h.saveEvidence(ctx)
		h.destroyCluster(ctx)
	})
}

func fatal(err error) int {
	fmt.Fprintf(os.Stderr, "e2e: %v\n\nSettings (environment variables):\n%s\n", err, settings.Describe)
	return 2
}

func (h *harness) newProvider() (cluster.Provider, error) {
	s := h.cfg
	switch s.Provider {
	case "local":
		// A cold build that cannot finish within go test's -timeout stops
		// with advice instead of the timeout's goroutine dump.
		// The components' logs of a cluster that failed to start go to the
		// run's evidence, since the run directory that held them is removed.
		opts := []local.Option{local.WithVersion(s.Kubernetes), local.WithKubeRay(s.KubeRay), local.WithKeep(s.Keep), local.WithBuildDeadline(binaries.TestTimeoutDeadline()),
			local.WithLogsDir(filepath.Join(s.OutputDir, "cluster")), local.WithStartTimeout(s.LocalStartTimeout)}
		if s.ClusterName != "" {
			opts = append(opts, local.WithName(s.ClusterName))
		}
		return local.New(opts...)
	case "existing":
		return existing.New(existing.WithKubeconfig(s.Kubeconfig), existing.WithContext(s.KubeContext), existing.WithAuditLog(s.AuditLog))
	case "kind":
		return h.newKindProvider()
	}
	return nil, fmt.Errorf("unknown provider %q", s.Provider)
}

// printPlan prints what the provider will do to set up and tear down, where
// it can say so without doing it.
func (h *harness) printPlan() error {
	p, ok := h.provider.(cluster.Planner)
	if !ok {
		return nil
	}
	lines, err := p.Plan()
	if err != nil {
		return err
	}
	fmt.Printf("e2e: the %s provider will:\n", h.cfg.Provider)
	for i, l := range lines {
		fmt.Printf("  %2d. %s\n", i+1, l)
	}
	return nil
}

// connect makes the run's clients for the cluster envfuncs created.
func connect(ctx context.Context, c *envconf.Config) (context.Context, error) {
	h := harnessFrom(ctx)
	if err := h.connect(h.provider.KubernetesRestConfig(), c.KubeconfigFile()); err != nil {
		return ctx, err
	}
	if v, err := h.cs.Discovery().ServerVersion(); err == nil {
		h.server = v.GitVersion
		h.run.SetMeta("Kubernetes", v.GitVersion+" (the API server's own version)")
	} else {
		h.run.SetMeta("Kubernetes", "unknown: the API server did not say ("+err.Error()+")")
	}
	if p, ok := h.provider.(cluster.HostAdapter); ok && p.HostAdaptation() != "" {
		h.run.SetMeta("host", p.HostAdaptation())
	}
	// What a provider can do may be known only once it is connected (an
	// existing cluster whose nodes are all fakes).
	return ctx, h.checkRequired()
}

func (h *harness) destroyCluster(ctx context.Context) {
	h.stopOperator()
	// Cleanup never fails the run: a teardown problem is reported, and the
	// steps' own results stand.
	if err := h.provider.Destroy(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: destroying the cluster: %v\n", err)
	}
}
