// The rules over shell blocks: each simple command goes to the rules of its
// program. go, make, curl, echo, git and cd are checked here; kind and docker in
// kind.go, kubectl in kubectl.go, helm in helm.go.

package docs

import (
	"path"
	"slices"
	"strconv"
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
	case "kind":
		c.kind(co)
	case "docker":
		c.docker(line, words)
	case "kubectl":
		c.kubectl(co)
	case "helm":
		c.helm(co)
	case "go":
		c.goCmd(co)
	case "make":
		for _, t := range words[1:] {
			if !c.f.MakeTargets[t] {
				c.addf(line, "make %s: the Makefile has no target %q", t, t)
			}
		}
	case "curl":
		c.curl(co)
	case "python3":
		c.jobsFilter(co)
	case "git":
		c.gitClone(co)
	case "cd":
		// Only into the clone: every command runs from its top directory.
		if len(words) != 2 || words[1] != cloneDir {
			c.addf(line, "%s: the documents cd only into the clone, cd %s, whose top directory every command runs from", strings.Join(words, " "), cloneDir)
		}
	case "echo":
		if len(words) != 2 || words[1] != "$?" {
			c.addf(line, "%s: the documents use echo only as `echo $?`, for the exit code the suite asserts; teach docs/commands.go what else it must equal, or remove it", strings.Join(words, " "))
		}
	default:
		c.addf(line, "command %q is not one docs/commands.go knows: teach it what the command's arguments must equal, or remove the command", words[0])
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
		switch files := p.args[3:]; {
		case cmd == podSecurityCheck:
			c.podSecurityCheck(line, files)
		case len(files) > 0:
			c.addf(line, "go run %s %s: the documents pass arguments only to %s, the fixtures it checks", p.args[2], strings.Join(files, " "), podSecurityCheck)
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

func (c *checker) curl(co document.Command) {
	line := co.Line
	p := c.parse(co, "-s")
	if len(p.args) != 2 {
		c.addf(line, "curl takes one URL in the documents")
		return
	}
	c.localURL(line, p.args[1])
}

// jobsFilterStep is the step that asks the Jobs API and filters its answer.
const jobsFilterStep = "5.2"

// jobsFilter: python3 runs only as `python3 -c facts.JobsFilter`, piped
// from the curl of the Jobs API, in step 5.2; the line is then exactly
// `curl -s URL | python3 -c CODE`.
func (c *checker) jobsFilter(co document.Command) {
	line := co.Line
	if c.block.Marker != jobsFilterStep {
		c.addf(line, "%s: only step %s runs python3 on this machine, to filter the Jobs API's answer", strings.Join(co.Words, " "), jobsFilterStep)
		return
	}
	if len(co.Words) != 3 || co.Words[1] != "-c" || co.Words[2] != facts.JobsFilter {
		c.addf(line, "%s: the documents run python3 only as python3 -c '%s' (facts.JobsFilter)", strings.Join(co.Words, " "), facts.JobsFilter)
		return
	}
	url := "http://127.0.0.1:" + strconv.Itoa(facts.DashboardPort) + facts.JobsAPIPath
	// The line holds the curl and the filter and nothing else.
	onLine := 0
	for _, o := range c.doc.Commands {
		if o.Block == co.Block && o.Line == line {
			onLine++
		}
	}
	if want := []string{"curl", "-s", url}; onLine != 2 || len(co.Env) > 0 || !slices.Equal(co.PipedFrom, want) {
		c.addf(line, "python3 -c: the filter reads the Jobs API's answer from a pipe: curl -s %s | python3 -c '%s'", url, facts.JobsFilter)
	}
}

// podSecurityCheck is the command that predicts the API server's verdict.
const podSecurityCheck = "cmd/podsecurity-check"

// podSecurityCheck: the files are manifests among the fixtures (in a step
// of 6, the step's RayJob), whose output the step may then quote.
func (c *checker) podSecurityCheck(line int, files []string) {
	if len(files) == 0 {
		c.addf(line, "go run ./%s without FILE reads standard input: name the fixture it checks", podSecurityCheck)
	}
	for _, f := range files {
		if c.f.CheckOutput[f] == nil {
			c.addf(line, "podsecurity-check %s: the documents check the fixtures' manifests, %s", f, names(c.checkable()))
			continue
		}
		c.rayJobFile(line, f)
		c.checked[c.block.Marker] = append(c.checked[c.block.Marker], f)
	}
}

func (c *checker) checkable() map[string]string {
	out := map[string]string{}
	for f := range c.f.CheckOutput {
		out[f] = f
	}
	return out
}
