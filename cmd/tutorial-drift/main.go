// Command tutorial-drift reports where a copy of the Pod Security tutorial
// has gone stale, one line per finding:
//
//	LINE: problem — what is true instead
//
// It compares the document with this repository (fixtures, pins, the
// tutorial's facts) and with KubeRay: the pinned ray-operator module from
// the Go module cache, or a checkout given with --kuberay. It exits 0 when it
// finds nothing, 1 when it finds drift, and 2 when it cannot run or the input
// is not a tutorial's Markdown source (package document says why, in one
// line).
//
//	go run ./cmd/tutorial-drift --doc FILE.md [--kuberay DIR]
//	go run ./cmd/tutorial-drift --doc - < FILE.md
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/drift"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// docFlag is --doc, which may be given once: a second one would silently
// win, and the first document would go unchecked.
type docFlag struct {
	value string
	set   bool
}

func (f *docFlag) String() string { return f.value }

func (f *docFlag) Set(v string) error {
	if f.set {
		return fmt.Errorf("given twice (%s, then %s): check one document per run", f.value, v)
	}
	f.value, f.set = v, true
	return nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("tutorial-drift", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var doc docFlag
	flags.Var(&doc, "doc", "the tutorial to check, a Markdown file, or - for standard input")
	kuberay := flags.String("kuberay", "", "a KubeRay checkout (top directory or ray-operator) to compare with; default: the pinned module, or $E2E_KUBERAY_DIR")
	// A bad flag gets the flag package's one line and this one, not the
	// whole help; -h gets the help.
	flags.Usage = func() { fmt.Fprintln(stderr, "usage: tutorial-drift --doc FILE.md|- [--kuberay DIR] (-h for help)") }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "Prints `LINE: problem — what is true instead` for each stale fact; exit 1 when there is drift, 2 when it cannot run.")
			flags.PrintDefaults()
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "tutorial-drift: unexpected argument %q: the document is given with --doc FILE.md (one document per run)\n", flags.Arg(0))
		return 2
	}
	if doc.value == "" {
		fmt.Fprintln(stderr, "tutorial-drift: no document given: pass --doc FILE.md, or --doc - to read it from standard input")
		return 2
	}
	d, err := document.Open(doc.value, stdin)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "tutorial-drift: %s: no such file: check the path, or pass --doc - to read the document from standard input\n", doc.value)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "tutorial-drift: %v\n", err)
		return 2
	}
	ref, err := drift.NewReference(*kuberay)
	if err != nil {
		fmt.Fprintf(stderr, "tutorial-drift: %v\n", err)
		return 2
	}
	report := drift.Check(d, ref)
	for _, f := range report.Findings {
		fmt.Fprintln(stdout, f)
	}
	differ := 0
	for _, n := range report.Notes {
		fmt.Fprintln(stderr, n)
		if n.Differs {
			differ++
		}
	}
	// Pins that differ from this project's are not drift: they are counted
	// apart and leave the exit status alone.
	also := ""
	if differ > 0 {
		also = fmt.Sprintf("; %d pins name releases other than this project's: not drift, though whether each is still published is not checked (the notes above)", differ)
	}
	if len(report.Findings) > 0 {
		fmt.Fprintf(stderr, "tutorial-drift: %s: %d stale facts%s (compared with %s and this repository)\n", d.Name, len(report.Findings), also, ref.KubeRay)
		return 1
	}
	fmt.Fprintf(stderr, "tutorial-drift: %s: no drift found%s (compared with %s and this repository)\n", d.Name, also, ref.KubeRay)
	return 0
}
