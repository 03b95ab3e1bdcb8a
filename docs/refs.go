// Rules for one reference, shared by the command, prose and excerpt rules: a
// setting of the suite, a path of this repository or of KubeRay, a local URL.

package docs

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/facts"
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

var localURLRE = regexp.MustCompile(`https?://(?:127\.0\.0\.1|localhost):(\d+)(/[^\s)` + "`" + `]*)?`)

// localURL: the dashboard through the port-forward.
func (c *checker) localURL(line int, u string) {
	m := localURLRE.FindStringSubmatch(u)
	if m == nil {
		c.addf(line, "%s: the documents reach the dashboard at http://127.0.0.1:%d", u, facts.DashboardPort)
		return
	}
	if m[1] != strconv.Itoa(facts.DashboardPort) {
		c.addf(line, "%s: the dashboard's port is %d", u, facts.DashboardPort)
	}
	if path := m[2]; path != "" && path != "/" && path != facts.JobsAPIPath && path != "/#/jobs" {
		c.addf(line, "%s: the dashboard paths the documents use are / , /#/jobs and %s", u, facts.JobsAPIPath)
	}
}
