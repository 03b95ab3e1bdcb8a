// Command matrix runs the tutorial on the local tier for every cell of
// Kubernetes × KubeRay (the pins in versions/, or the ones named) and writes
// _output/matrix/matrix.md, matrix.json and each cell's evidence directory
// with its step table and JUnit (cells/<cell>/).
//
//	go run ./cmd/matrix [-kubernetes 1.24,1.37] [-kuberay v1.6.2] [-cells 1.24/v1.5.1,...] [-parallel N]
//
// The suite is compiled once. Binaries a cell needs that are not cached are
// built first, one build at a time; then cells run concurrently, as many
// as -parallel allows (by default twice the cores, as the free memory
// allows). A failed cell never stops the others. Exit status: 0 when every
// cell passed, 1 when one did not, 2 for bad flags.
//
//	go run ./cmd/matrix -collect DIR -expect CELL,CELL [-title TITLE] [-out DIR]
//
// reports cells that ran elsewhere instead: the nightly workflow runs each
// kind cell in a job of its own and downloads their evidence directories
// into DIR, one per cell, named for it. It writes matrix.md (a row per
// cell, for the job summary), matrix.json and one junit.xml of every cell's
// checks. An expected cell without a readable steps.json is an error, so a
// job that crashed before uploading fails the report too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/quoted"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/matrix"
)

// cellMemory is what one local-tier cell takes at its peak (etcd,
// kube-apiserver, controller manager, scheduler, KWOK, the operator and the
// suite), measured on this project's runs with room to spare.
const cellMemory = 1 << 30

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	kubernetes, kuberay, cells string
	collect, expect, title     string
	parallel                   int
	out                        string
	timeout                    time.Duration
}

func parse(args []string, stderr io.Writer) (options, []matrix.Cell, error) {
	var o options
	fl := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.StringVar(&o.kubernetes, "kubernetes", "all", "Kubernetes versions, comma-separated, or all")
	fl.StringVar(&o.kuberay, "kuberay", "all", "KubeRay releases, comma-separated, or all")
	fl.StringVar(&o.cells, "cells", "", "cells as KUBERNETES/KUBERAY, comma-separated (instead of -kubernetes and -kuberay)")
	fl.IntVar(&o.parallel, "parallel", 0, "cells run at once (default: twice the cores, as free memory allows)")
	fl.StringVar(&o.out, "out", "", "output directory (default _output/matrix in the repository)")
	fl.DurationVar(&o.timeout, "timeout", 20*time.Minute, "go test -timeout of each cell")
	fl.StringVar(&o.collect, "collect", "", "report the cells whose evidence directories are in this directory instead of running cells")
	fl.StringVar(&o.expect, "expect", "", "with -collect: the cells (directory names, comma-separated) that must be there")
	fl.StringVar(&o.title, "title", "The tutorial, cell by cell", "with -collect: the report's title")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fl.SetOutput(stderr)
			fl.PrintDefaults()
		}
		return o, nil, err
	}
	if fl.NArg() > 0 {
		return o, nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fl.Arg(0))
	}
	set := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.collect != "" {
		for _, f := range []string{"kubernetes", "kuberay", "cells", "parallel", "timeout"} {
			if set[f] {
				return o, nil, fmt.Errorf("-collect reports cells that ran elsewhere: -%s runs cells here; give one or the other", f)
			}
		}
		if strings.TrimSpace(o.expect) == "" {
			return o, nil, errors.New("-collect needs -expect: the cells that must be there, or a cell that left nothing would go unnoticed")
		}
		return o, nil, nil
	}
	if set["expect"] || set["title"] {
		return o, nil, errors.New("-expect and -title go with -collect")
	}
	if set["cells"] && (set["kubernetes"] || set["kuberay"]) {
		return o, nil, errors.New("-cells names the cells itself: give it, or -kubernetes and -kuberay, not both")
	}
	if o.parallel < 0 || o.timeout <= 0 {
		return o, nil, errors.New("-parallel takes 0 (automatic) or more, -timeout a positive duration")
	}
	cells, err := matrix.Cells(o.kubernetes, o.kuberay, o.cells)
	return o, cells, err
}

func run(args []string, stdout, stderr io.Writer) int {
	o, cells, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 2
	}
	if o.collect != "" {
		return collect(o, stdout, stderr)
	}
	// Ctrl-C or SIGTERM stops the cells in order: each suite gets SIGTERM
	// and removes its cluster, the report says which cells were stopped,
	// and the command exits 130.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := repo.Root()
	if err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 2
	}
	if o.out == "" {
		o.out = filepath.Join(root, "_output", "matrix")
	}
	if o.out, err = filepath.Abs(o.out); err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 2
	}
	// A matrix directory holds one run: the previous one's cells go.
	if err := os.RemoveAll(filepath.Join(o.out, "cells")); err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	if o.parallel == 0 {
		o.parallel = autoParallel(len(cells))
	}
	start := time.Now()
	names := make([]string, len(cells))
	for i, c := range cells {
		names[i] = c.String()
	}
	fmt.Fprintf(stdout, "matrix: %d cells (%s), %d at a time; output in %s\n", len(cells), strings.Join(names, ", "), o.parallel, o.out)

	tmp, err := tempDir()
	if err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	suite := filepath.Join(tmp, "e2e.test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", suite, "./e2e")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(stderr, "matrix: compiling the suite: %v\n%s", err, out)
		return 1
	}

	built := ensureBinaries(ctx, cells, stdout)
	results := make([]matrix.Result, len(cells))
	var wg sync.WaitGroup
	slots := make(chan struct{}, o.parallel)
	var mu sync.Mutex
	done := 0
	for i, c := range cells {
		// A slot is taken before the cell's goroutine starts, so that cells
		// start in the matrix's order.
		slots <- struct{}{}
		if ctx.Err() != nil {
			results[i] = matrix.NewResult(c, "cells/"+c.Name(), 0, nil, errors.New("not started: the matrix was interrupted"))
			<-slots
			continue
		}
		if built[c.Name()] == nil {
			mu.Lock()
			fmt.Fprintf(stdout, "matrix: %s started\n", c)
			mu.Unlock()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := built[c.Name()]; err != nil {
				results[i] = matrix.NewResult(c, "cells/"+c.Name(), 0, nil, fmt.Errorf("its binaries: %w", err))
			} else {
				results[i] = runCell(ctx, root, suite, o, c)
			}
			mu.Lock()
			done++
			fmt.Fprintf(stdout, "matrix: [%d/%d] %s: %s in %.0fs\n", done, len(cells), c, results[i].Summary(), results[i].Seconds)
			mu.Unlock()
		}()
	}
	wg.Wait()

	wall := time.Since(start).Round(time.Second)
	header := fmt.Sprintf("Generated %s by `go run ./cmd/matrix`; %d cells, %d at a time, in %s on %d cores. "+
		"The local tier runs no container: the checks that need one are skipped, never passed (the kind tier runs them).",
		time.Now().UTC().Format(time.RFC3339), len(cells), o.parallel, wall, runtime.NumCPU())
	md := matrix.Markdown(results, header)
	js, err := matrix.JSON(results, map[string]any{"generated": time.Now().UTC().Format(time.RFC3339), "parallel": o.parallel, "wall_seconds": wall.Seconds(), "cores": runtime.NumCPU()})
	// One JUnit document for every cell, as -collect writes: a cell that
	// crashed or never built is a failing case in it, not a missing file.
	var junit []byte
	if err == nil {
		junit, err = matrix.JUnit(results, "local-tier matrix")
	}
	if err == nil {
		err = errors.Join(evidence.Write(o.out, "matrix.md", md), evidence.Write(o.out, "matrix.json", js), evidence.Write(o.out, evidence.JUnitFile, junit))
	}
	if err != nil {
		fmt.Fprintf(stderr, "matrix: writing the report: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\n%s\nmatrix: %s in %s\n", md, filepath.Join(o.out, "matrix.md"), wall)
	// The matrix docs/automation.md quotes must say what this run's cells
	// say, for every cell the run has.
	stale := false
	if q, err := quoted.Find(filepath.Join(root, "docs", "automation.md"), "matrix"); err == nil {
		cells := quoted.MatrixCells(q)
		for _, r := range results {
			if want, ok := cells[r.Kubernetes+"/"+r.KubeRay]; ok && r.Report != nil && want != r.Summary() {
				fmt.Fprintf(stderr, "matrix: %s:%d quotes cell %s as %q; this run says %q (paste this run's matrix.md there)\n", q.File, q.Line, r.Name, want, r.Summary())
				stale = true
			}
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "matrix: interrupted; the cells that were running were stopped")
		return 130
	}
	if matrix.Failed(results) || stale {
		return 1
	}
	return 0
}

// collect reports the cells of o.collect: matrix.md, matrix.json and
// junit.xml in o.out (by default o.collect itself).
func collect(o options, stdout, stderr io.Writer) int {
	var expect []string
	for _, name := range strings.Split(o.expect, ",") {
		expect = append(expect, strings.TrimSpace(name))
	}
	results, err := matrix.Collect(o.collect, expect)
	if err != nil {
		fmt.Fprintf(stderr, "matrix: -collect: %v\n", err)
		return 2
	}
	if o.out == "" {
		o.out = o.collect
	}
	now := time.Now().UTC().Format(time.RFC3339)
	header := fmt.Sprintf("Read by `go run ./cmd/matrix -collect` on %s from the evidence of %d cells (each cell's steps.json). "+
		"A cell that left no steps.json is an ERROR, never a pass.", now, len(results))
	md := matrix.RunsMarkdown(results, o.title, header)
	js, err := matrix.JSON(results, map[string]any{"generated": now, "title": o.title})
	var junit []byte
	if err == nil {
		junit, err = matrix.JUnit(results, o.title)
	}
	if err == nil {
		err = errors.Join(evidence.Write(o.out, "matrix.md", md), evidence.Write(o.out, "matrix.json", js), evidence.Write(o.out, evidence.JUnitFile, junit))
	}
	if err != nil {
		fmt.Fprintf(stderr, "matrix: writing the report: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\nmatrix: %s, %s\n", md, filepath.Join(o.out, "matrix.md"), filepath.Join(o.out, evidence.JUnitFile))
	if matrix.Failed(results) {
		return 1
	}
	return 0
}

// tempDir holds the compiled suite for this run. A matrix killed with
// SIGKILL cannot remove it, so each run first removes the directories of
// runs whose process is gone.
func tempDir() (string, error) {
	const prefix = "kuberay-e2e-matrix-"
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range old {
		data, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
		if err == nil && perr == nil && syscall.Kill(pid, 0) != nil {
			_ = os.RemoveAll(d)
		}
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// autoParallel is how many cells run at once: twice the cores, since a cell
// spends most of its time waiting on the API server (measured on 2 cores:
// 8 cells in 2 min 56 s two at a time, 1 min 35 s four at a time, each cell
// as fast as alone), and no more than the free memory holds.
func autoParallel(cells int) int {
	n := min(2*runtime.NumCPU(), cells)
	if free := availableMemory(); free > 0 {
		n = min(n, int(free/cellMemory))
	}
	return max(n, 1)
}

// availableMemory is MemAvailable of /proc/meminfo in bytes, 0 if unknown.
func availableMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "MemAvailable: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}

// ensureBinaries builds what the cells need that is not cached, one build
// at a time (a cold Kubernetes build takes the cores for minutes), and says
// per cell whether its binaries are there.
func ensureBinaries(ctx context.Context, cells []matrix.Cell, stdout io.Writer) map[string]error {
	out := map[string]error{}
	for _, c := range cells {
		start := time.Now()
		_, err := binaries.Ensure(ctx, c.Kubernetes, binaries.WithKubeRay(c.KubeRay), binaries.WithProgress(stdout))
		out[c.Name()] = err
		if d := time.Since(start); err == nil && d > 5*time.Second {
			fmt.Fprintf(stdout, "matrix: binaries of %s built in %s\n", c, d.Round(time.Second))
		} else if err != nil {
			fmt.Fprintf(stdout, "matrix: binaries of %s: %v\n", c, err)
		}
	}
	return out
}

// runCell runs the compiled suite for one cell, its evidence in
// cells/<cell>/, its output in cells/<cell>/test.log.
func runCell(ctx context.Context, root, suite string, o options, c matrix.Cell) matrix.Result {
	rel := "cells/" + c.Name()
	dir := filepath.Join(o.out, filepath.FromSlash(rel))
	start := time.Now()
	runErr := func() error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		log, err := os.Create(filepath.Join(dir, "test.log"))
		if err != nil {
			return err
		}
		defer log.Close()
		cmd := exec.Command(suite, "-test.run", "TestTutorial", "-test.count=1", "-test.v", "-test.timeout", o.timeout.String())
		cmd.Dir = filepath.Join(root, "e2e")
		cmd.Env = append(os.Environ(),
			"E2E_PROVIDER=local",
			"E2E_KUBERNETES_VERSION="+c.Kubernetes.Version,
			"E2E_KUBERAY_VERSION="+c.KubeRay.Version,
			"E2E_OUTPUT_DIR="+dir,
			"E2E_REPO_DIR="+root,
		)
		// If the matrix dies, the suite gets SIGTERM, on which it removes
		// its cluster, as it does here on Ctrl-C.
		p, err := proc.StartWithDeathSignal("suite "+c.String(), cmd, log, syscall.SIGTERM)
		if err != nil {
			return err
		}
		select {
		case <-p.Exited():
		case <-ctx.Done():
			// The suite cleans up on SIGTERM: its cluster, its processes.
			p.Stop(time.Minute)
		}
		if err := p.Wait(); err != nil {
			return fmt.Errorf("the suite %w (log: %s)", err, filepath.Join(rel, "test.log"))
		}
		return nil
	}()
	var rep *evidence.Report
	if r, err := evidence.ReadReport(dir); err == nil {
		rep = &r
	}
	return matrix.NewResult(c, rel, time.Since(start), rep, runErr)
}
