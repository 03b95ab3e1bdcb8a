package workflows

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	yamlv3 "gopkg.in/yaml.v3"

	"github.com/kuberay-docs/pod-security-e2e/cluster/kind"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

type step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
	With map[string]string `yaml:"with"`
}

type job struct {
	Needs    any    `yaml:"needs"`
	If       string `yaml:"if"`
	Strategy struct {
		Matrix struct {
			Include []map[string]string `yaml:"include"`
		} `yaml:"matrix"`
	} `yaml:"strategy"`
	Env   map[string]string `yaml:"env"`
	Steps []step            `yaml:"steps"`
}

type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]job `yaml:"jobs"`
}

func (s step) uses(action string) bool { return strings.HasPrefix(strings.ToLower(s.Uses), action+"@") }

// nightlyProblems says what the nightly workflow fails to do of what it is
// for: the tutorial on Kind for every pinned node image, the 1.24 cell on
// the tutorial's Ray, the newest KubeRay, nothing skipped silently; each
// cell's evidence uploaded always and its run directory on failure; one
// report job, whatever the cells did, with one table as the job summary and
// one JUnit check for every cell it expects; and the local-tier matrix.
func nightlyProblems(raw []byte) []string {
	var p []string
	fail := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	var wf workflow
	if err := yamlv3.Unmarshal(raw, &wf); err != nil {
		return []string{err.Error()}
	}
	if _, ok := wf.On["workflow_dispatch"]; !ok {
		fail("no manual dispatch")
	}
	if sched, ok := wf.On["schedule"].([]any); !ok || len(sched) == 0 {
		fail("no nightly schedule")
	}
	if strings.Contains(string(raw), "sha256:") {
		fail("the workflow names a digest; node images are pinned in versions/versions.go only")
	}
	for name := range wf.Jobs {
		if !slices.Contains([]string{"tutorial", "report", "matrix"}, name) {
			fail("job %s: the nightly's jobs are tutorial, report and matrix", name)
		}
	}
	for _, problem := range actionPinProblems(raw) {
		fail("%s", problem)
	}
	cells := tutorialProblems(wf.Jobs["tutorial"], fail)
	reportProblems(wf.Jobs["report"], cells, fail)
	matrixProblems(wf.Jobs["matrix"], fail)
	return p
}

// tutorialProblems checks the kind cells and returns their names.
func tutorialProblems(j job, fail func(string, ...any)) []string {
	var images, cells []string
	for _, c := range j.Strategy.Matrix.Include {
		img, err := kind.ResolveNodeImage(c["kubernetes"], "")
		if err != nil {
			fail("tutorial: cell %v: %v", c, err)
			continue
		}
		images = append(images, img.String())
		if img.String() == versions.KindNodeImage124 && c["ray"] != versions.Ray {
			fail("tutorial: the Kubernetes 1.24 cell runs Ray %q, not the tutorial's %s", c["ray"], versions.Ray)
		}
		if strings.Count(c["ray"], ".") != 2 {
			fail("tutorial: cell %v: ray is a full Ray version, e.g. %s", c, versions.Ray)
		} else if _, err := versions.LookupRay(c["ray"]); err != nil {
			fail("tutorial: cell %v: %v", c, err)
		}
		name := j.Env["CELL"]
		for k, v := range c {
			name = strings.ReplaceAll(name, "${{ matrix."+k+" }}", v)
		}
		cells = append(cells, name)
	}
	slices.Sort(images)
	if want := slices.Sorted(slices.Values(versions.KindNodeImages)); !slices.Equal(images, want) {
		fail("tutorial: runs node images %v; pinned are %v", images, want)
	}
	if !strings.Contains(j.Env["CELL"], "${{ matrix.kubernetes }}") || !strings.Contains(j.Env["CELL"], "${{ matrix.ray }}") {
		fail("tutorial: CELL %q does not name the cell by its Kubernetes and its Ray", j.Env["CELL"])
	}
	for k, want := range map[string]string{"E2E_PROVIDER": "kind", "E2E_KIND_NODE_IMAGE": "${{ matrix.kubernetes }}", "E2E_RAY_VERSION": "${{ matrix.ray }}"} {
		if j.Env[k] != want {
			fail("tutorial: %s is %q, want %q", k, j.Env[k], want)
		}
	}
	if req := strings.Split(j.Env["E2E_REQUIRE"], ","); !slices.Contains(req, "containers") || !slices.Contains(req, "audit") {
		fail("tutorial: E2E_REQUIRE %q: a night must require containers and audit, so that nothing is skipped silently", j.Env["E2E_REQUIRE"])
	}
	if v, ok := j.Env["E2E_KUBERAY_VERSION"]; ok && v != versions.KubeRay {
		fail("tutorial: E2E_KUBERAY_VERSION %q: the nightly runs the newest KubeRay, %s", v, versions.KubeRay)
	}
	var setupGo, tutorial, evidenceUp, runUp bool
	for _, s := range j.Steps {
		switch {
		case s.uses("actions/setup-go"):
			setupGo = s.With["go-version-file"] == "go.mod"
		case s.uses("actions/upload-artifact") && s.With["name"] == "${{ env.CELL }}":
			// The wildcard keeps the cell's directory in the artifact.
			evidenceUp = s.If == "always()" && strings.HasSuffix(j.Env["E2E_OUTPUT_DIR"], "/_output/evidence/"+j.Env["CELL"])
			for _, f := range []string{"steps.json", "junit.xml"} {
				evidenceUp = evidenceUp && slices.Contains(strings.Fields(s.With["path"]), "_output/evidence/*/"+f)
			}
		case s.uses("actions/upload-artifact"):
			runUp = s.If == "failure()" && s.With["path"] == "${{ env.E2E_OUTPUT_DIR }}" && s.With["name"] == "run-${{ env.CELL }}"
		case strings.Contains(s.Uses, "junit"):
			fail("tutorial: step %q publishes a cell's JUnit; the report job publishes one for every cell", s.Name)
		case strings.Contains(s.Uses, "kind") || strings.Contains(s.Uses, "helm"):
			fail("tutorial: step %q sets up %s; kind and Helm are libraries of the suite", s.Name, s.Uses)
		}
		tutorial = tutorial || strings.TrimSpace(s.Run) == "make e2e-kind"
		for _, tool := range []string{"sigs.k8s.io/kind@", "kind create", "get-helm", "apt-get install"} {
			if strings.Contains(s.Run, tool) {
				fail("tutorial: step %q installs or runs %q", s.Name, tool)
			}
		}
	}
	if !setupGo || !tutorial || !evidenceUp || !runUp {
		fail("tutorial: setup-go from go.mod %v, make e2e-kind %v, evidence (steps.json, junit.xml) uploaded always as CELL %v, run directory uploaded on failure as run-CELL %v",
			setupGo, tutorial, evidenceUp, runUp)
	}
	return cells
}

// reportProblems checks that the report job reads every cell's evidence,
// whatever the cells did, and expects exactly the cells the tutorial runs.
func reportProblems(j job, cells []string, fail func(string, ...any)) {
	needs, _ := j.Needs.(string)
	if list, ok := j.Needs.([]any); ok && len(list) == 1 {
		needs, _ = list[0].(string)
	}
	if needs != "tutorial" || j.If != "always()" {
		fail("report: needs %v, if %q; it must run after the tutorial's cells whatever they did (if: always())", j.Needs, j.If)
	}
	var dir string
	var download, collect, summary, junit bool
	for _, s := range j.Steps {
		switch {
		case s.uses("actions/download-artifact"):
			dir = s.With["path"]
			// Merged, each artifact's <cell>/ directory lands in dir, also
			// when a single artifact matches.
			download = len(cells) > 0 && s.With["merge-multiple"] == "true"
			for _, c := range cells {
				in, _ := path.Match(s.With["pattern"], c)
				out, _ := path.Match(s.With["pattern"], "run-"+c)
				download = download && in && !out
			}
		case strings.Contains(s.Uses, "junit"):
			junit = s.If == "always()" && dir != "" && s.With["report_paths"] == dir+"/junit.xml"
		}
		if f := strings.Fields(s.Run); dir != "" && strings.Contains(s.Run, "go run ./cmd/matrix -collect "+dir) {
			i := slices.Index(f, "-expect")
			collect = s.If == "always()" && i >= 0 && i+1 < len(f) && slices.Equal(strings.Split(f[i+1], ","), cells)
			if !collect {
				fail("report: step %q (if %q) does not expect exactly the tutorial's cells %v", s.Name, s.If, cells)
			}
		}
		summary = summary || (s.If == "always()" && dir != "" && strings.Contains(s.Run, dir+"/matrix.md") && strings.Contains(s.Run, "GITHUB_STEP_SUMMARY"))
	}
	if !download || !collect || !summary || !junit {
		fail("report: every cell's evidence downloaded and no run directory %v, go run ./cmd/matrix -collect over it always %v, its table as the job summary %v, its junit.xml published always %v",
			download, collect, summary, junit)
	}
}

// matrixProblems: the local-tier matrix job caches the binaries under a key
// of the pins, runs make matrix, publishes the table as the job summary and
// the cells' JUnit, and uploads the evidence when a cell fails.
func matrixProblems(j job, fail func(string, ...any)) {
	var cache, run, summary, upload, junit bool
	for _, s := range j.Steps {
		switch {
		case s.uses("actions/cache"):
			cache = strings.Contains(s.With["key"], "versions/versions.go") && strings.HasSuffix(s.With["path"], "/bin")
		case s.uses("actions/upload-artifact"):
			upload = s.If == "failure()" && s.With["path"] == "_output/matrix"
		case strings.Contains(s.Uses, "junit"):
			// One document for every cell: per-cell files would leave out
			// a cell that crashed before writing one.
			junit = s.If == "always()" && s.With["report_paths"] == "_output/matrix/junit.xml"
		}
		run = run || strings.TrimSpace(s.Run) == "make matrix"
		summary = summary || (s.If == "always()" && strings.Contains(s.Run, "matrix.md") && strings.Contains(s.Run, "GITHUB_STEP_SUMMARY"))
	}
	if !cache || !run || !summary || !upload || !junit || j.Env["E2E_CACHE_DIR"] == "" {
		fail("matrix: binaries cached by the pins %v (E2E_CACHE_DIR %q), make matrix %v, table as job summary %v, evidence on failure %v, JUnit %v",
			cache, j.Env["E2E_CACHE_DIR"], run, summary, upload, junit)
	}
}

// The nightly does what it is for, and each rule fires when the real file
// is broken in the one place it checks.
func TestNightlyWorkflow(t *testing.T) {
	raw := nightly(t)
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"quiet on the real file", "", "", ""},
		{"a pinned node image left out", "          - kubernetes: \"1.37\"\n", "          - kubernetes: \"1.24\"\n", "tutorial: runs node images"},
		{"an unpinned node image", "          - kubernetes: \"1.37\"\n", "          - kubernetes: \"1.30\"\n", `tutorial: cell map[kubernetes:1.30 ray:2.60.0]`},
		{"1.24 off the tutorial's Ray", "            ray: \"2.46.0\"\n", "            ray: \"2.60.0\"\n", "the Kubernetes 1.24 cell runs Ray \"2.60.0\""},
		{"a Ray minor", "            ray: \"2.60.0\"\n", "            ray: \"2.60\"\n", "ray is a full Ray version"},
		{"an unpinned Ray", "            ray: \"2.60.0\"\n", "            ray: \"2.61.0\"\n", "Ray version \"2.61.0\" is not pinned"},
		{"cells named alike", "CELL: kind-k${{ matrix.kubernetes }}-ray-${{ matrix.ray }}", "CELL: kind-k${{ matrix.kubernetes }}", "does not name the cell by its Kubernetes and its Ray"},
		{"Ray not set", "      E2E_RAY_VERSION: ${{ matrix.ray }}\n", "", "E2E_RAY_VERSION is \"\""},
		{"audit not required", "E2E_REQUIRE: containers,audit", "E2E_REQUIRE: containers", "E2E_REQUIRE \"containers\""},
		{"an older KubeRay", "      E2E_PROVIDER: kind\n", "      E2E_PROVIDER: kind\n      E2E_KUBERAY_VERSION: v1.5.1\n", "E2E_KUBERAY_VERSION \"v1.5.1\""},
		{"evidence only on failure", "      - name: Upload the cell's evidence\n        if: always()", "      - name: Upload the cell's evidence\n        if: failure()", "uploaded always as CELL false"},
		{"run directory never kept", "          name: run-${{ env.CELL }}\n          path: ${{ env.E2E_OUTPUT_DIR }}\n", "          name: run-${{ env.CELL }}\n          path: ${{ env.E2E_OUTPUT_DIR }}/steps.txt\n", "run directory uploaded on failure as run-CELL false"},
		{"a JUnit check per cell", "      - name: Upload the run directory\n", "      - uses: mikepenz/action-junit-report@v5\n      - name: Upload the run directory\n", "publishes a cell's JUnit"},
		{"kind installed", "        run: docker version\n", "        run: go install sigs.k8s.io/kind@v0.33.0\n", `installs or runs "sigs.k8s.io/kind@"`},
		{"report only when the cells pass", "    needs: tutorial\n    if: always()\n", "    needs: tutorial\n", `report: needs tutorial, if ""`},
		{"a cell the report does not expect", "-expect kind-k1.24-ray-2.46.0,kind-k1.37-ray-2.60.0", "-expect kind-k1.24-ray-2.46.0", "does not expect exactly the tutorial's cells"},
		{"run directories downloaded too", "pattern: kind-k*", "pattern: \"*kind-k*\"", "every cell's evidence downloaded and no run directory false"},
		{"no job summary", `cat _output/nightly/matrix.md >> "$GITHUB_STEP_SUMMARY"`, `cat _output/nightly/matrix.md`, "its table as the job summary false"},
		{"another JUnit", "report_paths: _output/nightly/junit.xml", "report_paths: _output/nightly/*/junit.xml", "its junit.xml published always false"},
		{"matrix not cached by the pins", "local-binaries-${{ hashFiles('versions/versions.go', 'tools/**/go.sum') }}", "local-binaries", "matrix: binaries cached by the pins false"},
		{"the matrix's JUnit per cell", "report_paths: _output/matrix/junit.xml", "report_paths: _output/matrix/cells/*/junit.xml", "matrix: binaries cached by the pins true"},
		{"a digest in the workflow", "# Only Go is set up", "# sha256:0 Only Go is set up", "names a digest"},
		{"evidence without its cell's directory", "            _output/evidence/*/steps.json\n", "            ${{ env.E2E_OUTPUT_DIR }}/steps.json\n", "uploaded always as CELL false"},
		{"a lone artifact unmerged", "          merge-multiple: true\n", "", "every cell's evidence downloaded and no run directory false"},
		{"an action by tag", "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5", "actions/cache@v5", "actions/cache@v5: pin it by its full commit SHA"},
		{"an action on Node 20", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", "actions/checkout v4.2.2 runs on Node 20"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := nightlyProblems([]byte(broken(t, raw, c.old, c.new)))
			if c.want == "" {
				if len(got) > 0 {
					t.Errorf("the nightly:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("no problem says %q; got:\n%s", c.want, strings.Join(got, "\n"))
			}
		})
	}
}

// usesRE is a step's `uses: OWNER/REPO@REF # VERSION`.
var usesRE = regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*([^@\s]+)@(\S+)[ \t]*(?:#[ \t]*(\S+))?`)

// node20Majors are the majors of the actions the nightly uses whose
// action.yml runs on Node 20 (read in each repository at its tags; setup-go
// moved to node24 in v6.2.0). GitHub's runners run Node 24 since 2026 and
// are removing Node 20.
var node20Majors = map[string][]string{
	"actions/checkout":             {"v4"},
	"actions/setup-go":             {"v5", "v6.0", "v6.1"},
	"actions/upload-artifact":      {"v4", "v5"},
	"actions/download-artifact":    {"v4", "v5", "v6"},
	"actions/cache":                {"v4"},
	"mikepenz/action-junit-report": {"v4", "v5"},
}

// actionPinProblems: every action is pinned by its full commit SHA, with
// its release in a comment (GitHub's hardening guide: a tag can be moved),
// and none is a release recorded as running on Node 20.
func actionPinProblems(raw []byte) []string {
	var p []string
	sha := regexp.MustCompile(`^[0-9a-f]{40}$`)
	for _, m := range usesRE.FindAllStringSubmatch(string(raw), -1) {
		action, ref, version := m[1], m[2], m[3]
		if !sha.MatchString(ref) {
			p = append(p, fmt.Sprintf("%s@%s: pin it by its full commit SHA, with the release in a comment (%s@<sha> # vX.Y.Z)", action, ref, action))
			continue
		}
		if !strings.HasPrefix(version, "v") {
			p = append(p, fmt.Sprintf("%s@%s: say which release the SHA is in a comment (# vX.Y.Z)", action, ref))
			continue
		}
		for _, old := range node20Majors[action] {
			if version == old || strings.HasPrefix(version, old+".") {
				p = append(p, fmt.Sprintf("%s %s runs on Node 20, which GitHub's runners are removing: move to a release that runs on node24", action, version))
			}
		}
	}
	return p
}
