// The rules over shell blocks that running them cannot show: the suite's go
// test and make lines of docs/automation.md (which the steps do not run), the
// clone and kind's install before step 1 (a reader's, not the run's), and
// that every other command stays out of the suite's business. What the
// page's kubectl, helm, kind, docker, curl and go run lines do, the steps
// show by running them (package page).

package docs

import (
	"path"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/rules"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// commands checks each simple command of shell block i.
func (c *checker) commands(i int) {
	for _, co := range c.doc.Commands {
		if co.Block != i {
			continue
		}
		c.shared(rules.Command(co, c.claims127))
		c.command(co)
	}
}

func (c *checker) command(co document.Command) {
	line, words := co.Line, co.Words
	// Leading NAME=value words set the environment of the command.
	for _, e := range co.Env {
		c.envVar(line, e)
	}
	if len(words) == 0 {
		return
	}
	if !c.automation && (co.Program == "make" || co.Program == "go" && len(words) >= 2 && words[1] == "test") {
		c.addf(line, "%s: the tutorial pages are followed by hand and run no go test or make: the suite's commands are on docs/%s", strings.Join(words, " "), Automation)
		return
	}
	switch co.Program {
	case "go":
		c.goCmd(co)
	case "make":
		for _, t := range words[1:] {
			if !c.f.MakeTargets[t] {
				c.addf(line, "make %s: the Makefile has no target %q", t, t)
			}
		}
	case "git":
		c.gitClone(co)
	case "cd":
		// Only into the clone: every command runs from its top directory.
		if len(words) != 2 || words[1] != cloneDir {
			c.addf(line, "%s: the documents cd only into the clone, cd %s, whose top directory every command runs from", strings.Join(words, " "), cloneDir)
		}
	}
}

// goCmd: go test of one package, and -run selecting exactly the block's
// step; go run of a command of this repository; go install of kind at the
// pinned release.
func (c *checker) goCmd(co document.Command) {
	line, args := co.Line, co.Args
	switch {
	case len(args) >= 1 && args[0] == "test":
		if len(args) != 2 {
			c.addf(line, "go test takes one package in the documents")
			return
		}
		c.repoPath(line, strings.TrimPrefix(args[1], "./"))
		pattern, hasRun := co.Value("-run")
		if !hasRun || facts.StepIndex(c.block.Marker) < 0 {
			return
		}
		got, err := facts.Selected(pattern)
		if err != nil {
			c.addf(line, "%v", err)
			return
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		if s, _ := facts.LookupStep(c.block.Marker); args[1] != "./e2e" || len(ids) != 1 || ids[0] != s.ID {
			c.addf(line, "-run %s runs steps [%s], not step %s alone: use -run '%s'", pattern, strings.Join(ids, " "), s.ID, s.RunPattern())
		}
	case len(args) >= 2 && args[0] == "run":
		c.repoPath(line, strings.TrimPrefix(args[1], "./"))
		for _, d := range co.Values("--doc") {
			c.repoPath(line, d)
		}
	case len(args) >= 1 && args[0] == "install":
		// kind at the release the kind tier pins as a library.
		if want := kindModule + "@" + versions.KindLibrary; len(args) != 2 || args[1] != want {
			c.addf(line, "%s: the documents install kind at the release this project pins, go install %s (versions.KindLibrary)", strings.Join(co.Words, " "), want)
		}
	default:
		c.addf(line, "%s: the documents run go test, go run and go install of kind only", strings.Join(co.Words, " "))
	}
}

// kindModule is kind's Go module, which go install builds the kind command from.
const kindModule = "sigs.k8s.io/kind"

// The clone of this repository: its URL is the module path's, and git
// names the directory after the URL's last element.
var (
	cloneURL = "https://" + repo.Module + ".git"
	cloneDir = path.Base(repo.Module)
)

// gitClone: the documents run git only to clone this repository.
func (c *checker) gitClone(co document.Command) {
	if len(co.Args) != 2 || co.Args[0] != "clone" || co.Args[1] != cloneURL {
		c.addf(co.Line, "%s: the documents run git only to clone this repository, git clone %s (the module path of go.mod)", strings.Join(co.Words, " "), cloneURL)
	}
}
