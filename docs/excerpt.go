// The rules over yaml blocks: an excerpt of a repository file, equal to it
// where it overlaps, setting only values the chart has.

package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
)

// yamlExcerpt: a YAML block is an excerpt of a repository file named in its
// first line, and equal to it where it overlaps.
func (c *checker) yamlExcerpt(b markdown.Block) {
	if len(b.Lines) == 0 || !strings.HasPrefix(strings.TrimSpace(b.Lines[0].Text), "#") {
		c.addf(b.Open, "YAML block without a source: start it with `# FILE (excerpt)` naming the repository file it shows")
		return
	}
	fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(b.Lines[0].Text), "#"))
	if len(fields) == 0 {
		c.addf(b.Lines[0].N, "YAML block without a source: name the repository file it shows")
		return
	}
	// A translation may put its word for "excerpt" right after the name.
	file := strings.FieldsFunc(fields[0], func(r rune) bool { return r == '（' || r == '(' })[0]
	if !c.f.exists(file) {
		c.addf(b.Lines[0].N, "%s does not exist in this repository: name the file the excerpt is from", file)
		return
	}
	data, err := os.ReadFile(filepath.Join(c.f.RepoRoot, file))
	if err != nil {
		c.addf(b.Lines[0].N, "%v", err)
		return
	}
	var whole, part map[string]interface{}
	if err := yaml.Unmarshal(data, &whole); err != nil {
		c.addf(b.Lines[0].N, "%s: %v", file, err)
		return
	}
	if err := yaml.Unmarshal([]byte(b.Text()), &part); err != nil {
		c.addf(b.Open, "the excerpt is not valid YAML: %v", err)
		return
	}
	for _, d := range subtreeDiffs(part, whole, nil) {
		c.addf(b.Open, "the excerpt differs from %s: %s", file, d)
	}
	if file == facts.OperatorValuesFile {
		for _, k := range leafPaths(part, nil) {
			if !c.f.ChartHasValue(k) {
				c.addf(b.Open, "value %s does not exist in the chart's values (%s/values.yaml): the chart would ignore it", strings.Join(k, "."), facts.StandInChartDir)
			}
		}
	}
}

// subtreeDiffs lists where part is not contained in whole.
func subtreeDiffs(part, whole interface{}, path []string) []string {
	pm, ok := part.(map[string]interface{})
	if !ok {
		if !reflect.DeepEqual(part, whole) {
			return []string{fmt.Sprintf("%s is %v there, %v here", strings.Join(path, "."), whole, part)}
		}
		return nil
	}
	wm, ok := whole.(map[string]interface{})
	if !ok {
		return []string{fmt.Sprintf("%s is not a mapping there", strings.Join(path, "."))}
	}
	var out []string
	for k, v := range pm {
		p := append(append([]string(nil), path...), k)
		w, ok := wm[k]
		if !ok {
			out = append(out, fmt.Sprintf("%s is not set there", strings.Join(p, ".")))
			continue
		}
		out = append(out, subtreeDiffs(v, w, p)...)
	}
	return out
}

func leafPaths(v interface{}, path []string) [][]string {
	m, ok := v.(map[string]interface{})
	if !ok {
		return [][]string{path}
	}
	var out [][]string
	for k, vv := range m {
		out = append(out, leafPaths(vv, append(append([]string(nil), path...), k))...)
	}
	return out
}
