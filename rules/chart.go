// A chart's values as the rules read them: its defaults, and the values its
// templates render whole.

package rules

import (
	"regexp"
	"strings"

	helmchart "helm.sh/helm/v4/pkg/chart/v2"
)

// wholeValueRE is a template rendering a value whole (`with .Values.X`,
// `toYaml .Values.X`): any key below X reaches the manifest.
var wholeValueRE = regexp.MustCompile(`(?:with|toYaml)\s+\.Values\.([\w.]+)`)

// ChartValues is what a chart reads.
type ChartValues struct {
	Defaults map[string]interface{}
	// Whole are the values its templates render whole.
	Whole []string
	// Complete says a key missing from Defaults does not exist; this
	// project's stand-in chart leaves keys out, so there it is unknown.
	Complete bool
}

// NewChartValues reads a chart's defaults and templates.
func NewChartValues(c *helmchart.Chart, complete bool) ChartValues {
	v := ChartValues{Defaults: c.Values, Complete: complete}
	for _, t := range c.Templates {
		for _, m := range wholeValueRE.FindAllStringSubmatch(string(t.Data), -1) {
			v.Whole = append(v.Whole, m[1])
		}
	}
	return v
}

// Lookup returns the chart's default at path, whether the chart reads the
// key (a default, or below a value rendered whole), and whether that is
// known (a key the stand-in leaves out is not).
func (v ChartValues) Lookup(path []string) (value interface{}, exists, known bool) {
	var cur interface{} = v.Defaults
	for _, k := range path {
		m, ok := cur.(map[string]interface{})
		if ok {
			cur, ok = m[k]
		}
		if !ok {
			joined := strings.Join(path, ".")
			for _, w := range v.Whole {
				if joined == w || strings.HasPrefix(joined, w+".") {
					return nil, true, true
				}
			}
			return nil, false, v.Complete
		}
	}
	return cur, true, true
}
