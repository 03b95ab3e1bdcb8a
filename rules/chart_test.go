package rules

import (
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	helmchart "helm.sh/helm/v4/pkg/chart/v2"
)

func TestChartValuesLookup(t *testing.T) {
	c := &helmchart.Chart{
		Values:    map[string]interface{}{"image": map[string]interface{}{"tag": "v1.6.2"}, "securityContext": map[string]interface{}{}},
		Templates: []*common.File{{Name: "templates/d.yaml", Data: []byte("{{- with .Values.securityContext }}\n{{ toYaml . }}\n{{- end }}\n")}},
	}
	for _, complete := range []bool{true, false} {
		v := NewChartValues(c, complete)
		if val, exists, known := v.Lookup([]string{"image", "tag"}); val != "v1.6.2" || !exists || !known {
			t.Errorf("image.tag: %v %v %v", val, exists, known)
		}
		// Below a value rendered whole, any key is read.
		if _, exists, known := v.Lookup([]string{"securityContext", "runAsNonRoot"}); !exists || !known {
			t.Errorf("securityContext.runAsNonRoot: %v %v", exists, known)
		}
		// A key the chart lacks: absent for the real chart, unknown for the
		// stand-in.
		if _, exists, known := v.Lookup([]string{"image", "digest"}); exists || known != complete {
			t.Errorf("complete=%v: image.digest exists=%v known=%v", complete, exists, known)
		}
	}
}
