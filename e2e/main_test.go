// Package e2e is the Pod Security tutorial as a test suite: one feature per
// tutorial step, run in the tutorial's order on whichever cluster provider
// E2E_PROVIDER names (local by default). Run one step with
// `go test ./e2e -run 'TestTutorial/5.1'`; earlier steps it depends on are
// then set up without being asserted.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/cluster"
	"github.com/kuberay-docs/pod-security-e2e/cluster/existing"
	"github.com/kuberay-docs/pod-security-e2e/cluster/local"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

var (
	testenv  env.Environment
	provider cluster.Provider
	cfg      settings.Settings
	run      *evidence.Run
	tut      *tutorial
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, stopSignals := proc.HandleSignals(context.Background())
	defer stopSignals()
	// A panic anywhere in the harness still stops every child process.
	defer func() {
		if r := recover(); r != nil {
			proc.RunInterruptCleanups()
			panic(r)
		}
	}()

	root, err := repo.Root()
	if err != nil {
		return fatal(err)
	}
	if cfg, err = settings.FromEnv(root, time.Now()); err != nil {
		return fatal(err)
	}
	if provider, err = newProvider(cfg); err != nil {
		return fatal(err)
	}
	if cfg.Chart == "" {
		cfg.Chart = provider.DefaultChart()
	}
	if err := chart.CheckSource(cfg.Chart); err != nil {
		return fatal(err)
	}
	// The steps' inputs are checked before any cluster starts, so a broken
	// fixture or KubeRay checkout costs a second, not a timeout.
	if _, err := fixtures.PodSecurityCluster(); err != nil {
		return fatal(err)
	}
	if _, err := fixtures.UpstreamSample(CompleteSample); err != nil {
		return fatal(err)
	}
	if run, err = evidence.New(cfg.OutputDir); err != nil {
		return fatal(err)
	}
	defer run.RemoveIfEmpty()
	fmt.Printf("e2e: provider %s, Kubernetes %s, chart %s\ne2e: evidence of this run goes to %s\n", cfg.Provider, cfg.Kubernetes, cfg.Chart, run.Dir)

	tut = newTutorial()
	// Flags after -args (--dry-run, --feature, --assess, --labels) are
	// e2e-framework's own.
	envCfg, err := envconf.NewFromFlags()
	if err != nil {
		return fatal(err)
	}
	testenv = env.NewWithConfig(envCfg).WithContext(ctx)
	if envCfg.DryRunMode() {
		// A dry run lists the steps and their assessments without a cluster.
		fmt.Printf("e2e: dry run: listing the steps of provider %s; nothing is created\n", cfg.Provider)
		if err := printPlan(); err != nil {
			return fatal(err)
		}
		return testenv.Run(m)
	}
	testenv.Setup(step("create cluster", createCluster), step("check the cluster is fresh", tut.checkFresh))
	testenv.BeforeEachFeature(func(ctx context.Context, _ *envconf.Config, _ *testing.T, f features.Feature) (context.Context, error) {
		return context.WithValue(ctx, featureStart{}, time.Now()), nil
	})
	testenv.AfterEachFeature(func(ctx context.Context, _ *envconf.Config, t *testing.T, f features.Feature) (context.Context, error) {
		result := evidence.Pass
		switch {
		case t.Failed():
			result = evidence.Fail
		case t.Skipped():
			result = evidence.Skip
		}
		start, _ := ctx.Value(featureStart{}).(time.Time)
		run.Finish(f.Name(), result, time.Since(start))
		return ctx, nil
	})
	testenv.Finish(step("clean up the tutorial's objects", tut.cleanup), step("save evidence", saveEvidence), step("destroy cluster", destroyCluster))
	code := testenv.Run(m)
	fmt.Printf("\n%s\ne2e: evidence in %s\n", run.Table(), run.Dir)
	_ = run.WriteFile("steps.txt", []byte(run.Table()))
	return code
}

type featureStart struct{}

// step names an env func so that a failing setup or teardown says which one
// failed in plain words (e2e-framework logs it only at a debug level).
func step(name string, fn env.Func) env.Func {
	return func(ctx context.Context, c *envconf.Config) (context.Context, error) {
		ctx, err := fn(ctx, c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s failed: %v\n", name, err)
		}
		return ctx, err
	}
}

func fatal(err error) int {
	fmt.Fprintf(os.Stderr, "e2e: %v\n\nSettings (environment variables):\n%s\n", err, settings.Describe)
	return 2
}

func newProvider(s settings.Settings) (cluster.Provider, error) {
	switch s.Provider {
	case "local":
		p := local.New(local.WithKeep(s.Keep))
		p.WithVersion(s.Kubernetes)
		return p, nil
	case "existing":
		return existing.New(), nil
	case "kind":
		return newKindProvider(s)
	}
	return nil, fmt.Errorf("unknown provider %q", s.Provider)
}

// printPlan prints what the provider will do to set up and tear down, where
// it can say so without doing it.
func printPlan() error {
	p, ok := provider.(cluster.Planner)
	if !ok {
		return nil
	}
	lines, err := p.Plan()
	if err != nil {
		return err
	}
	fmt.Printf("e2e: the %s provider will:\n", cfg.Provider)
	for i, l := range lines {
		fmt.Printf("  %2d. %s\n", i+1, l)
	}
	return nil
}

func createCluster(ctx context.Context, c *envconf.Config) (context.Context, error) {
	// Without E2E_CLUSTER_NAME each provider keeps its own default (the kind
	// tier a new name per run).
	if cfg.ClusterName != "" {
		provider.WithName(cfg.ClusterName)
	}
	kubeconfig, err := provider.Create(ctx)
	if err != nil {
		return ctx, err
	}
	c.WithKubeconfigFile(kubeconfig)
	if err := provider.WaitForControlPlane(ctx, nil); err != nil {
		return ctx, err
	}
	return ctx, tut.connect(provider.KubernetesRestConfig(), kubeconfig)
}

func destroyCluster(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	tut.stopOperator()
	// Cleanup never fails the run: a teardown problem is reported, and the
	// steps' own results stand.
	if err := provider.Destroy(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: destroying the cluster: %v\n", err)
	}
	return ctx, nil
}
