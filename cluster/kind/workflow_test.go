package kind

import (
	"os"
	"slices"
	"strings"
	"testing"

	yamlv3 "gopkg.in/yaml.v3"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The nightly job cannot run here; what can be checked is that it runs what
// this package was written for: every pinned node image, through the
// Makefile target, with Go as the only tool it sets up.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Strategy struct {
			Matrix map[string][]string `yaml:"matrix"`
		} `yaml:"strategy"`
		Env   map[string]string `yaml:"env"`
		Steps []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			If   string            `yaml:"if"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	p, err := repo.Path(rel)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestNightlyWorkflow(t *testing.T) {
	raw := readRepoFile(t, ".github/workflows/nightly.yml")
	var wf workflow
	if err := yamlv3.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["workflow_dispatch"]; !ok {
		t.Error("no manual dispatch")
	}
	if sched, ok := wf.On["schedule"].([]any); !ok || len(sched) == 0 {
		t.Error("no nightly schedule")
	}
	if len(wf.Jobs) != 2 {
		t.Fatalf("%d jobs, want the kind tier's and the local-tier matrix", len(wf.Jobs))
	}
	checkMatrixJob(t, wf)
	for name, job := range wf.Jobs {
		if name != "tutorial" {
			continue
		}
		var resolved []string
		for _, v := range job.Strategy.Matrix["kubernetes"] {
			img, err := ResolveNodeImage(v, "")
			if err != nil {
				t.Errorf("job %s: matrix entry %s: %v", name, v, err)
				continue
			}
			resolved = append(resolved, img.String())
		}
		slices.Sort(resolved)
		want := slices.Sorted(slices.Values(versions.KindNodeImages))
		if !slices.Equal(resolved, want) {
			t.Errorf("job %s runs node images %v; pinned are %v", name, resolved, want)
		}
		if job.Env["E2E_PROVIDER"] != "kind" || job.Env["E2E_KIND_NODE_IMAGE"] != "${{ matrix.kubernetes }}" {
			t.Errorf("job %s env %v does not run the kind provider on the matrix's image", name, job.Env)
		}
		var setupGo, tutorial, upload, junit bool
		for _, s := range job.Steps {
			uses := strings.ToLower(s.Uses)
			switch {
			case strings.HasPrefix(uses, "actions/setup-go@"):
				setupGo = s.With["go-version-file"] == "go.mod"
			case strings.HasPrefix(uses, "actions/upload-artifact@"):
				upload = s.If == "failure()" && s.With["path"] == "${{ env.E2E_OUTPUT_DIR }}"
			case strings.Contains(uses, "junit"):
				junit = s.If == "always()" && s.With["report_paths"] == "${{ env.JUNIT_KIND }}"
			case strings.Contains(uses, "kind") || strings.Contains(uses, "helm"):
				t.Errorf("step %q sets up %s; kind and Helm are libraries of the suite", s.Name, s.Uses)
			}
			if strings.Contains(s.Run, "make e2e-kind") {
				tutorial = true
			}
			for _, tool := range []string{"sigs.k8s.io/kind@", "kind create", "get-helm", "apt-get install"} {
				if strings.Contains(s.Run, tool) {
					t.Errorf("step %q installs or runs %q", s.Name, tool)
				}
			}
		}
		if !setupGo || !tutorial || !upload || !junit {
			t.Errorf("job %s: setup-go from go.mod %v, make e2e-kind %v, run directory uploaded on failure %v, JUnit published always %v", name, setupGo, tutorial, upload, junit)
		}
	}
	if strings.Contains(string(raw), "sha256:") {
		t.Error("the workflow names a digest; node images are pinned in versions/versions.go only")
	}
}

func TestMakeTargetRunsTheKindTier(t *testing.T) {
	mk := string(readRepoFile(t, "Makefile"))
	i := strings.Index(mk, "\ne2e-kind:")
	if i < 0 {
		t.Fatal("no e2e-kind target")
	}
	recipe, _, _ := strings.Cut(mk[i+1:], "\n\n")
	for _, want := range []string{"E2E_PROVIDER=kind", "--junitfile $(JUNIT_KIND)", "./e2e"} {
		if !strings.Contains(recipe, want) {
			t.Errorf("e2e-kind recipe lacks %q:\n%s", want, recipe)
		}
	}
}

// checkMatrixJob: the local-tier matrix job caches the binaries under a key
// of the pins, runs make matrix, publishes the table as the job summary and
// the cells' JUnit, and uploads the evidence when a cell fails.
func checkMatrixJob(t *testing.T, wf workflow) {
	t.Helper()
	job, ok := wf.Jobs["matrix"]
	if !ok {
		t.Fatal("no matrix job")
	}
	var cache, run, summary, upload, junit bool
	for _, s := range job.Steps {
		uses := strings.ToLower(s.Uses)
		switch {
		case strings.HasPrefix(uses, "actions/cache@"):
			cache = strings.Contains(s.With["key"], "versions/versions.go") && strings.HasSuffix(s.With["path"], "/bin")
		case strings.HasPrefix(uses, "actions/upload-artifact@"):
			upload = s.If == "failure()" && s.With["path"] == "_output/matrix"
		case strings.Contains(uses, "junit"):
			junit = s.If == "always()" && s.With["report_paths"] == "_output/matrix/cells/*/junit.xml"
		}
		run = run || strings.TrimSpace(s.Run) == "make matrix"
		summary = summary || (s.If == "always()" && strings.Contains(s.Run, "matrix.md") && strings.Contains(s.Run, "GITHUB_STEP_SUMMARY"))
	}
	if !cache || !run || !summary || !upload || !junit || job.Env["E2E_CACHE_DIR"] == "" {
		t.Errorf("matrix job: binaries cached by the pins %v (E2E_CACHE_DIR %q), make matrix %v, table as job summary %v, evidence on failure %v, JUnit %v",
			cache, job.Env["E2E_CACHE_DIR"], run, summary, upload, junit)
	}
}
