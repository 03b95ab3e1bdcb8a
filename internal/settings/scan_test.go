package settings_test

import (
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

// Only package settings reads E2E_ variables, and every one it reads is
// listed in Describe (printed with every settings error) and in the
// settings table of docs/settings.md. (An external test package: repo imports settings.)
func TestSettingsAloneReadTheVariablesAndListThemAll(t *testing.T) {
	readme, err := repo.ReadFile("docs/settings.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := repo.GoFiles()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, rel := range files {
		if strings.HasSuffix(rel, "_test.go") {
			continue
		}
		src, err := repo.ReadFile(rel)
		if err != nil {
			t.Fatal(err)
		}
		inSettings := path.Dir(rel) == "internal/settings"
		named, indirect := envReads(string(src))
		if indirect > 0 && !inSettings {
			t.Errorf("%s reads %d environment variables by a name that is not a string literal, which may be E2E_ variables this scan cannot see: read them through internal/settings", rel, indirect)
		}
		for _, v := range named {
			seen++
			if !inSettings {
				t.Errorf("%s reads %s: only internal/settings reads E2E_ variables; add a field or function there and pass the value in", rel, v)
			}
			if !strings.Contains(settings.Describe, v+" ") {
				t.Errorf("%s reads %s, which settings.Describe does not list", rel, v)
			}
			if !strings.Contains(string(readme), "\n| `"+v+"` |") {
				t.Errorf("%s reads %s, which the settings table of docs/settings.md does not list", rel, v)
			}
		}
	}
	if seen < 15 {
		t.Fatalf("found only %d reads of E2E_ variables: the scan is broken", seen)
	}
}

var (
	namedRead = regexp.MustCompile(`(?:Getenv|LookupEnv)\("(E2E_[A-Z0-9_]+)"\)`)
	// anyRead is a read whose argument does not start as a string literal.
	anyRead = regexp.MustCompile(`os\.(?:Getenv|LookupEnv)\([^"]`)
)

// envReads lists the E2E_ variables src reads by name, and counts the reads
// whose name is not a literal (a helper such as envOr(k, def) hides them).
func envReads(src string) (named []string, indirect int) {
	for _, m := range namedRead.FindAllStringSubmatch(src, -1) {
		named = append(named, m[1])
	}
	return named, len(anyRead.FindAllString(src, -1))
}

func TestEnvReadsSeesHelpers(t *testing.T) {
	named, indirect := envReads(`a := os.Getenv("E2E_PROVIDER"); b := os.Getenv("HOME")`)
	if len(named) != 1 || named[0] != "E2E_PROVIDER" || indirect != 0 {
		t.Errorf("literal reads: %v, %d indirect", named, indirect)
	}
	if _, indirect := envReads(`func envOr(k, def string) string { if v := os.Getenv(k); v != "" { return v }; return def }`); indirect != 1 {
		t.Errorf("a read by a variable's name was not seen (%d)", indirect)
	}
}
