// The rules over shell blocks that running them cannot show: the suite's go
// test and make lines of docs/automation.md (which the steps do not run), the
// clone and kind's install before step 1 (a reader's, not the run's), and
// that every other command stays out of the suite's business. What the
// page's kubectl, helm, kind, docker, curl and go run lines do, the steps
// show by running them (package page).

package docs

import (
	"path"
	"slices"
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

func (c *checker) goCmd(co document.Command) {
	line, words := co.Line, co.Words
	switch {
	case len(words) >= 3 && words[1] == "test":
		p := c.parse(co, "-run", "-v", "-args", "--dry-run")
		if len(p.args) != 3 {
			c.addf(line, "go test takes one package in the documents")
			return
		}
		pkg := p.args[2]
		c.repoPath(line, strings.TrimPrefix(pkg, "./"))
		pattern, hasRun := p.one("-run")
		if !hasRun {
			return
		}
		if pkg != "./e2e" {
			c.addf(line, "go test %s -run: the steps are tests of ./e2e", pkg)
			return
		}
		got, err := facts.Selected(pattern)
		if err != nil {
			c.addf(line, "%v", err)
			return
		}
		ids := make([]string, len(got))
		for i, s := range got {
			ids[i] = s.ID
		}
		if facts.StepIndex(c.block.Marker) >= 0 && !slices.Equal(ids, []string{c.block.Marker}) {
			s, _ := facts.LookupStep(c.block.Marker)
			c.addf(line, "-run %s runs steps [%s], not step %s alone: use -run '%s'", pattern, strings.Join(ids, " "), c.block.Marker, s.RunPattern())
		}
	case len(words) >= 3 && words[1] == "run":
		p := c.parse(co, "--doc", "--kuberay")
		if len(p.args) < 3 {
			c.addf(line, "go run takes one command in the documents")
			return
		}
		cmd := strings.TrimPrefix(p.args[2], "./")
		c.repoPath(line, cmd)
		for _, d := range p.flags["--doc"] {
			c.repoPath(line, d)
		}
	case len(words) >= 2 && words[1] == "install":
		// kind at the release the kind tier pins as a library.
		p := c.parse(co)
		if want := kindModule + "@" + versions.KindLibrary; len(p.args) != 3 || p.args[2] != want {
			c.addf(line, "%s: the documents install kind at the release this project pins, go install %s (versions.KindLibrary)", strings.Join(words, " "), want)
		}
	default:
		c.addf(line, "%s: the documents run go test, go run and go install of kind only", strings.Join(words, " "))
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
	p := c.parse(co)
	if len(p.args) != 3 || p.args[1] != "clone" || p.args[2] != cloneURL {
		c.addf(co.Line, "%s: the documents run git only to clone this repository, git clone %s (the module path of go.mod)", strings.Join(co.Words, " "), cloneURL)
	}
}
