// Rules for one reference, shared by the command, prose and excerpt rules: a
// setting of the suite, a path of this repository. (The dashboard's local URL
// is the page's curl line's, which runs.)

package docs

import (
	"regexp"
	"slices"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// envVar checks a setting of the suite and its value.
func (c *checker) envVar(line int, assign string) {
	name, value, _ := strings.Cut(assign, "=")
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s`).MatchString(settings.Describe) {
		c.addf(line, "%s is not a setting of the suite: see internal/settings (settings.Describe) for the variables", name)
		return
	}
	switch name {
	case "E2E_PROVIDER":
		if !slices.Contains(settings.Providers, value) {
			c.addf(line, "E2E_PROVIDER=%s: the providers are %s", value, strings.Join(settings.Providers, ", "))
		}
	case "E2E_KUBERNETES_VERSION":
		if _, err := versions.LookupKubernetes(value); err != nil {
			c.addf(line, "%v", err)
		}
	case "E2E_CHART":
		if value != "standin" && value != "repo" && !c.f.exists(value) {
			c.addf(line, "E2E_CHART=%s: use standin, repo or an existing chart path", value)
		}
	}
}

func (c *checker) repoPath(line int, p string) {
	if !c.f.exists(p) {
		c.addf(line, "%s does not exist in this repository: fix the path", p)
	}
}
