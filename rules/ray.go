// What the tutorial's Python runs: Ray APIs that current Ray removed, and
// data fetched from the internet at run time.

package rules

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

var (
	// rayAirRE is Ray AIR used in code: imported, or called; prose that
	// names `ray.air` (to warn readers off it, say) is no use of it.
	rayAirRE      = regexp.MustCompile(`\b(?:from\s+ray\.air\b(?:\.\w+)*|import\s+ray\.air\b(?:\.\w+)*|ray\.air(?:\.\w+)+\s*\()`)
	trainImportRE = regexp.MustCompile(`(?m)^\s*from ray\.train import [\w, ]+$`)
	// remoteDataRE is data read from object storage, or a data file read
	// over HTTP, when the job runs.
	// (Archives are left out: a setup step downloads a release or a chart
	// as a .tgz, which is no data the job reads.)
	remoteDataRE = regexp.MustCompile(`\b(?:s3a?|gs|gcs|abfss?|hdfs)://[^\s"'` + "`" + `)]+|\bhttps?://[^\s"'` + "`" + `)]+\.(?:csv|tsv|parquet|jsonl?|npy|npz|tfrecords?|arrow|feather)\b`)
)

// fixtureScript is the fixture script's Ray Train import, which RayAPI
// quotes as the fix (read when a line needs it: Ray AIR is rare).
func fixtureScript() (string, error) {
	objs, err := fixtures.PodSecurityCluster()
	if err != nil {
		return "", err
	}
	for _, o := range objs {
		script, _, _ := unstructured.NestedString(o.Object, "data", fixtures.ScriptKey)
		if imp := trainImportRE.FindString(script); imp != "" {
			return strings.TrimSpace(imp), nil
		}
	}
	return "", fmt.Errorf("%s's script no longer imports from ray.train", facts.PodSecurityClusterFile)
}

// RayAPI checks for Ray AIR, which Ray 2.7 folded into ray.train and
// current Ray no longer has.
func RayAPI(n int, line string) []Finding {
	if commented(line) {
		return nil
	}
	m := rayAirRE.FindString(line)
	if m == "" {
		return nil
	}
	m = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(m, "from"), "import"), "("))
	imp, err := fixtureScript()
	if err != nil {
		imp = "from ray.train import …"
	}
	return []Finding{{Line: n, Rule: "import", Problem: m + " is Ray AIR's API, which Ray 2.7 folded into ray.train and deprecated",
		Truth: fmt.Sprintf("with %s import the configs from ray.train, as %s does: `%s`", versions.RayImage, facts.PodSecurityClusterFile, imp)}}
}

// RemoteData checks for data the job fetches from the internet when it
// runs: such a tutorial cannot run air-gapped, and its result depends on a
// bucket or a server nobody pins.
func RemoteData(n int, line string) []Finding {
	if commented(line) {
		return nil
	}
	var out []Finding
	for _, m := range remoteDataRE.FindAllString(line, -1) {
		out = append(out, Finding{Line: n, Rule: "data", Problem: "reads " + m + " over the network when it runs: the tutorial cannot run air-gapped, and the data can change or go",
			Truth: "make the data in the job, as " + facts.PodSecurityClusterFile + "'s script does (synthetic rows with ray.data.from_items), or ship it in the image or a ConfigMap"})
	}
	return out
}

// commented reports whether a line of code is a comment ("#" in Python,
// YAML and shell, "//"): code that does not run.
func commented(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//")
}
