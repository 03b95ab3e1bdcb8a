// Command podsecurity-check tells, without a cluster, whether the API server
// will admit the pods that Kubernetes manifests make, RayClusters, RayJobs
// and RayServices included, under a Pod Security level, and prints the
// refusal in the API server's words.
//
//	go run ./cmd/podsecurity-check [flags] FILE|DIR|- ...
//
// It prints one line per pod (notes on operator-added containers follow,
// indented), one per document that makes no pods, and one per document it
// cannot read. Exit status: 0 when every pod is allowed, 1 when a pod is
// rejected, 2 when a file or document could not be checked or the flags are
// wrong.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Exit statuses.
const (
	exitAdmitted = 0
	exitRejected = 1
	exitProblem  = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("podsecurity-check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var opts podsecurity.Options
	fl.StringVar(&opts.Level, "level", podsecurity.DefaultLevel, "Pod Security level: privileged, baseline or restricted")
	fl.StringVar(&opts.Version, "version", podsecurity.DefaultVersion, `policy version: "latest" or "v1.N" (the enforce-version label)`)
	fl.StringVar(&opts.Kubernetes, "kubernetes-version", "", `answer as the API server of this Kubernetes version (e.g. 1.24) does, which runs its own newest checks for "latest"; default: the newest checks this tool knows`)
	fl.BoolVar(&opts.Operator.NoInitContainerInjection, "no-init-container-injection", false, "the KubeRay operator runs with ENABLE_INIT_CONTAINER_INJECTION=false (no wait-gcs-ready init container)")
	kuberay := fl.String("kuberay-version", versions.KubeRay, "derive KubeRay's pods as this pinned operator release builds them: "+strings.Join(versions.SupportedKubeRay(), ", "))
	output := fl.String("o", "text", "output format: text or json")
	quiet := fl.Bool("q", false, "text output: print only rejected pods and problems")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "Usage: podsecurity-check [flags] FILE|DIR|- ...\n\n"+
			"Checks the pods that Kubernetes manifests make (for RayCluster, RayJob, RayService and RayCronJob, the pods the\n"+
			"KubeRay operator builds) against a Pod Security level, as the API server's admission plugin does.\n"+
			"A directory is searched for *.yaml and *.yml files; - or no argument reads standard input.\n"+
			"Exit status: 0 all pods allowed, 1 a pod is rejected, 2 a file or document could not be checked.\n\nFlags:\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return exitProblem
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "podsecurity-check: -o %q: choose text or json\n", *output)
		return exitProblem
	}
	var err error
	if opts.Operator.KubeRay, err = versions.LookupKubeRay(*kuberay); err != nil {
		fmt.Fprintf(stderr, "podsecurity-check: --kuberay-version: %v\n", err)
		return exitProblem
	}
	checker, err := podsecurity.New(opts)
	if err != nil {
		fmt.Fprintf(stderr, "podsecurity-check: %v\n", err)
		return exitProblem
	}
	files := fl.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	report := podsecurity.Report{Policy: checker.Policy(), KubeRay: checker.KubeRay()}
	for _, f := range files {
		report.Add(checkPath(checker, f, stdin))
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			fmt.Fprintf(stderr, "podsecurity-check: %v\n", err)
			return exitProblem
		}
	} else {
		for _, l := range report.Lines() {
			if *quiet && !strings.Contains(l, ": rejected: ") && !strings.Contains(l, ": cannot check: ") && !strings.HasPrefix(l, " ") {
				continue
			}
			fmt.Fprintln(stdout, l)
		}
		summary(stderr, report)
	}
	switch {
	case len(report.Problems) > 0:
		return exitProblem
	case len(report.Rejected()) > 0:
		return exitRejected
	}
	return exitAdmitted
}

// checkPath checks a file, standard input ("-"), or every YAML file under a
// directory.
func checkPath(c *podsecurity.Checker, path string, stdin io.Reader) podsecurity.Report {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return problem(c, "-", fmt.Errorf("reading standard input: %w", err))
		}
		return c.CheckFile("-", data)
	}
	info, err := os.Stat(path)
	if err != nil {
		return problem(c, path, err)
	}
	if !info.IsDir() {
		return checkFile(c, path)
	}
	report := podsecurity.Report{Policy: c.Policy(), KubeRay: c.KubeRay()}
	found := false
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			report.Add(problem(c, p, err))
			return nil
		}
		if ext := filepath.Ext(p); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			found = true
			report.Add(checkFile(c, p))
		}
		return nil
	})
	if err == nil && !found {
		err = fmt.Errorf("directory holds no .yaml or .yml file")
	}
	if err != nil {
		report.Add(problem(c, path, err))
	}
	return report
}

func checkFile(c *podsecurity.Checker, path string) podsecurity.Report {
	data, err := os.ReadFile(path)
	if err != nil {
		return problem(c, path, err)
	}
	return c.CheckFile(path, data)
}

func problem(c *podsecurity.Checker, source string, err error) podsecurity.Report {
	r := c.CheckFile(source, nil)
	r.Problems = append(r.Problems, podsecurity.Problem{Where: podsecurity.Where{Source: source}, Err: err.Error()})
	return r
}

func summary(w io.Writer, r podsecurity.Report) {
	fmt.Fprintf(w, "%d pods checked against %s: %d allowed, %d rejected; %d documents skipped, %d could not be checked\n",
		len(r.Pods), r.Policy, len(r.Pods)-len(r.Rejected()), len(r.Rejected()), len(r.Skipped), len(r.Problems))
}
