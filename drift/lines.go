// The rules that read any line, all of them package rules': KubeRay URLs,
// paths and branches, images, Ray imports, data, refusal messages.

package drift

import "github.com/kuberay-docs/pod-security-e2e/rules"

// line applies the checks that read any line.
func (c *checker) line(n int, line string) {
	c.shared(rules.KubeRayRefs(n, line, c.ref))
	c.shared(rules.Line(n, line))
}
