// The rules over edits of chart values: instructions that set what the chart
// already sets, or keys it does not have.

package drift

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/facts"
)

// editRE finds an instruction to edit chart values. Only explicit editing
// verbs count, so that prose which merely mentions a values file is not
// taken for an instruction.
var editRE = regexp.MustCompile(`(?i)\b(update|edit|change|modify)\b.*\bvalues(?:\.ya?ml)?\b|(修改|更新|编辑|更改).*values`)

// noopEdits finds instructions to edit chart values and the YAML that
// follows them, and reports values the chart already has.
func (c *checker) noopEdits() {
	for i, line := range c.doc.Lines {
		n := i + 1
		if !editRE.MatchString(line) {
			continue
		}
		fragment := c.fragmentAfter(n)
		if fragment == "" {
			continue
		}
		var v map[string]interface{}
		if err := yaml.Unmarshal([]byte(fragment), &v); err != nil || len(v) == 0 {
			continue
		}
		c.valueEdit(n, v, false)
	}
}

// fragmentAfter returns the YAML an instruction on line n points at: the
// lines right below it in the same block, or the next block when the
// instruction is prose.
func (c *checker) fragmentAfter(n int) string {
	if c.doc.InBlock[n] {
		var lines []string
		for m := n + 1; m <= len(c.doc.Lines) && c.doc.InBlock[m]; m++ {
			t := c.doc.Line(m)
			if strings.TrimSpace(t) == "" || strings.HasPrefix(strings.TrimSpace(t), "#") || strings.HasPrefix(strings.TrimSpace(t), "```") {
				break
			}
			lines = append(lines, t)
		}
		return strings.Join(lines, "\n")
	}
	for _, b := range c.doc.Blocks {
		if b.Open > n {
			// Only a YAML block right below the instruction is what it asks
			// for; one further down belongs to other text.
			if (b.Info != "yaml" && b.Info != "yml") || b.Open-n > 3 {
				return ""
			}
			return b.Text()
		}
	}
	return ""
}

// valueEdit compares edited values with the chart's defaults: values the
// chart has and already sets to the same thing make the edit a no-op; keys
// the chart does not have make it ineffective.
func (c *checker) valueEdit(n int, edit map[string]interface{}, fromSet bool) {
	var same, unknown []string
	total := 0
	for _, leaf := range leaves(edit, nil) {
		total++
		key := strings.Join(leaf.path, ".")
		def, exists, known := c.ref.Chart.Lookup(leaf.path)
		switch {
		case !exists && known:
			unknown = append(unknown, key)
		case !exists:
			c.note(n, key+": the stand-in chart leaves this key out; pass --kuberay with a checkout to check it against the real chart")
		case fromSet && fmt.Sprint(def) == fmt.Sprint(leaf.value) || !fromSet && reflect.DeepEqual(def, leaf.value):
			same = append(same, fmt.Sprintf("%s=%v", key, leaf.value))
		}
	}
	for _, k := range unknown {
		c.find(n, "noop", "the chart has no value "+k+", so setting it changes nothing", "see "+c.ref.ChartSource+" for the values it reads")
	}
	if total > 0 && len(same) == total {
		c.find(n, "noop", "asks to edit chart values that "+c.ref.ChartSource+" already sets: "+strings.Join(same, ", "),
			"nothing to edit: install the chart as it is, with --values "+facts.OperatorValuesFile+", which states the restricted settings on purpose")
	}
}

type leaf struct {
	path  []string
	value interface{}
}

func leaves(v interface{}, prefix []string) []leaf {
	m, ok := v.(map[string]interface{})
	if !ok || len(m) == 0 {
		return []leaf{{path: prefix, value: v}}
	}
	var out []leaf
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, leaves(m[k], append(append([]string(nil), prefix...), strings.Split(k, ".")...))...)
	}
	return out
}
