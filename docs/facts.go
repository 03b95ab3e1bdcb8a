// Package docs keeps the tutorial documents in this directory true: Check
// reads a document's fenced blocks and holds every fact in them (namespace,
// labels, paths, object names, ports, images, Helm values keys, refusal
// messages, test names) against what the e2e suite, the fixtures and the
// pinned releases say, and Compare checks that two translations carry the
// same commands. `go test ./docs` runs both on pod-security.md and
// pod-security.zh.md.
package docs

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kuberay-docs/pod-security-e2e/audit"
	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/rules"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Facts is what a document is checked against. LoadFacts gathers it from
// the repository, the fixtures and the pinned KubeRay release.
type Facts struct {
	// RepoRoot is this repository's top directory; relative paths in a
	// document are relative to it.
	RepoRoot string
	// KubeRayDir is KubeRay's ray-operator directory at versions.KubeRay.
	KubeRayDir string

	// Object names, each mapped to where it is defined (for messages).
	RayClusters map[string]string
	ConfigMaps  map[string]string
	// HeadServices maps a head Service's name to its RayCluster.
	HeadServices map[string]string
	// RayJobs maps each RayJob of the fixtures to its file, and
	// SubmitterJobs each Job KubeRay makes for one (K8sJobMode; the Job is
	// named after the RayJob) to the RayJob.
	RayJobs       map[string]string
	SubmitterJobs map[string]string
	// RayJobColumns are the columns `kubectl get rayjob` prints: NAME and
	// the printer columns of the pinned KubeRay's RayJob CRD, as kubectl
	// writes their names (upper case).
	RayJobColumns []string
	// RayJobPrints is the line each RayJob's job prints: its entrypoint
	// prints the number of Ray nodes, the head and the workers.
	RayJobPrints map[string]string
	// OperatorDeployment is the Deployment the chart makes.
	OperatorDeployment string
	// OperatorUser is the user the operator makes Pods as: the chart's
	// ServiceAccount in the tutorial's namespace, as the audit log names it.
	OperatorUser string

	// KindNodeImage is the node image of the tutorial's Kubernetes version.
	KindNodeImage string

	// Chart is what the chart the suite installs offline reads (the
	// stand-in, whose keys follow the published chart; these documents set
	// only keys it has, so a key it lacks is a problem).
	Chart rules.ChartValues
	// ChartName is that chart's name.
	ChartName string

	// Refusals are the Pod Security messages, from `violates PodSecurity` on,
	// that the pinned API server wrote in audit/testdata.
	Refusals map[string]bool
	// RefusalsFile is where they were read.
	RefusalsFile string

	// ScriptPrints are the lines the fixture's XGBoost script prints as
	// plain strings.
	ScriptPrints map[string]bool

	// CheckOutput are the lines (trimmed) that `go run
	// ./cmd/podsecurity-check FILE` prints for each manifest among the
	// fixtures, by FILE as the documents name it.
	CheckOutput map[string]map[string]bool

	// MakeTargets are the Makefile's targets.
	MakeTargets map[string]bool
}

// LoadFacts gathers the facts. It needs the pinned KubeRay module (see
// upstream.Dir), which the tests of fixtures, chart and upstream need as well.
func LoadFacts() (*Facts, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	f := &Facts{
		RepoRoot:     root,
		RayClusters:  map[string]string{},
		ConfigMaps:   map[string]string{},
		HeadServices: map[string]string{},
		ScriptPrints: map[string]bool{},
		MakeTargets:  map[string]bool{},
		CheckOutput:  map[string]map[string]bool{},
	}
	k, err := versions.LookupKubernetes(versions.DefaultKubernetes)
	if err != nil {
		return nil, err
	}
	f.KindNodeImage = k.KindNodeImage

	if f.KubeRayDir, err = upstream.Dir(versions.DefaultKubeRay()); err != nil {
		return nil, err
	}
	ours, err := fixtures.PodSecurityCluster()
	if err != nil {
		return nil, err
	}
	sample, err := upstream.Sample(versions.DefaultKubeRay(), facts.CompleteSample)
	if err != nil {
		return nil, err
	}
	for _, set := range []struct {
		from string
		objs []map[string]interface{}
	}{
		{facts.PodSecurityClusterFile, objects(ours)},
		{"KubeRay " + versions.KubeRay + " " + facts.CompleteSampleRepoPath, objects(sample)},
	} {
		for _, o := range set.objs {
			name, _ := nested(o, "metadata", "name").(string)
			switch o["kind"] {
			case "RayCluster":
				f.RayClusters[name] = set.from
				svc := facts.HeadServiceName(name)
				// A RayCluster may name its head Service itself.
				if s, ok := nested(o, "spec", "headGroupSpec", "headService", "metadata", "name").(string); ok && s != "" {
					svc = s
				}
				f.HeadServices[svc] = name
			case "ConfigMap":
				f.ConfigMaps[name] = set.from
			}
		}
	}

	c, err := chart.LoadStandIn(nil, versions.DefaultKubeRay())
	if err != nil {
		return nil, err
	}
	f.Chart, f.ChartName = rules.NewChartValues(c, true), c.Metadata.Name
	f.OperatorDeployment = chart.ReleaseName
	if s, ok := c.Values["fullnameOverride"].(string); ok && s != "" {
		f.OperatorDeployment = s
	}

	sa := f.OperatorDeployment
	if v, ok := nested(c.Values, "serviceAccount", "name").(string); ok && v != "" {
		sa = v
	}
	f.OperatorUser = "system:serviceaccount:" + facts.Namespace + ":" + sa

	if err := f.loadRayJobs(); err != nil {
		return nil, err
	}
	if err := f.loadCheckOutput(); err != nil {
		return nil, err
	}
	if err := f.loadRefusals(); err != nil {
		return nil, err
	}
	if err := f.loadScriptPrints(ours); err != nil {
		return nil, err
	}
	if err := f.loadMakeTargets(); err != nil {
		return nil, err
	}
	return f, nil
}

func objects(objs []*unstructured.Unstructured) []map[string]interface{} {
	out := make([]map[string]interface{}, len(objs))
	for i, o := range objs {
		out[i] = o.Object
	}
	return out
}

func nested(m map[string]interface{}, keys ...string) interface{} {
	var cur interface{} = m
	for _, k := range keys {
		mm, ok := cur.(map[string]interface{})
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// ChartHasValue reports whether the chart reads the value at path: it is
// one of the chart's defaults, or below a value the templates render whole.
func (f *Facts) ChartHasValue(path []string) bool {
	_, exists, _ := f.Chart.Lookup(path)
	return exists
}

// loadRefusals reads the messages the tutorial's Kubernetes version wrote
// when it refused the probe and KubeRay's head Pod, as the audit package's
// tests captured them.
func (f *Facts) loadRefusals() error {
	f.RefusalsFile = filepath.Join("audit", "testdata", "kube-apiserver-"+versions.DefaultKubernetes+"-audit.log")
	r, err := os.Open(filepath.Join(f.RepoRoot, f.RefusalsFile))
	if err != nil {
		return fmt.Errorf("the refusal messages of Kubernetes %s: %w; the audit package's tests capture them there", versions.DefaultKubernetes, err)
	}
	defer r.Close()
	evs, _, err := audit.ReadAll(r, 0, audit.Filter{Code: 403})
	if err != nil {
		return fmt.Errorf("%s: %w", f.RefusalsFile, err)
	}
	f.Refusals = map[string]bool{}
	for _, e := range evs {
		if v, ok := audit.PodSecurity(e); ok && v.Denied {
			if i := strings.Index(v.Message, facts.RestrictedPrefix); i >= 0 {
				f.Refusals[v.Message[i:]] = true
			}
		}
	}
	if len(f.Refusals) == 0 {
		return fmt.Errorf("%s holds no Pod Security refusal; it should hold the probe's and the head Pod's", f.RefusalsFile)
	}
	return nil
}

var printRE = regexp.MustCompile(`print\("([^"{}]*)"\)`)

func (f *Facts) loadScriptPrints(objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if o.GetKind() != "ConfigMap" {
			continue
		}
		script, _ := nested(o.Object, "data", fixtures.ScriptKey).(string)
		for _, m := range printRE.FindAllStringSubmatch(script, -1) {
			f.ScriptPrints[m[1]] = true
		}
	}
	if len(f.ScriptPrints) == 0 {
		return fmt.Errorf("%s: the script prints no plain line; the documents quote its last line", facts.PodSecurityClusterFile)
	}
	return nil
}

var targetRE = regexp.MustCompile(`^([A-Za-z0-9][\w.-]*):`)

func (f *Facts) loadMakeTargets() error {
	file, err := os.Open(filepath.Join(f.RepoRoot, "Makefile"))
	if err != nil {
		return err
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	for s.Scan() {
		if m := targetRE.FindStringSubmatch(s.Text()); m != nil && !strings.Contains(s.Text(), ":=") {
			f.MakeTargets[m[1]] = true
		}
	}
	return s.Err()
}

// exists reports whether a path relative to the repository exists.
func (f *Facts) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(f.RepoRoot, filepath.FromSlash(rel)))
	return err == nil
}

// names lists a set for messages.
func names(m map[string]string) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

// nodesPrintRE is the print of the RayJobs' entrypoint: the number of Ray
// nodes the driver sees, then a word.
var nodesPrintRE = regexp.MustCompile(`print\(len\(ray\.nodes\(\)\), '([^']*)'\)`)

// loadRayJobs reads the RayJob fixtures and the columns kubectl prints for
// a RayJob, from the pinned KubeRay's CRD.
func (f *Facts) loadRayJobs() error {
	f.RayJobs, f.SubmitterJobs, f.RayJobPrints = map[string]string{}, map[string]string{}, map[string]string{}
	for _, file := range fixtures.RayJobFiles {
		objs, err := fixtures.RayJob(file)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.GetKind() != "RayJob" {
				continue
			}
			name := o.GetName()
			f.RayJobs[name] = "fixtures/" + file
			// K8sJobMode is the CRD's default.
			if mode, _ := nested(o.Object, "spec", "submissionMode").(string); mode == "" || mode == "K8sJobMode" {
				f.SubmitterJobs[name] = name
			}
			entry, _ := nested(o.Object, "spec", "entrypoint").(string)
			m := nodesPrintRE.FindStringSubmatch(entry)
			if m == nil {
				return fmt.Errorf("%s: the entrypoint %q does not print len(ray.nodes()) and a word, the line the documents quote", file, entry)
			}
			nodes := int64(1)
			groups, _ := nested(o.Object, "spec", "rayClusterSpec", "workerGroupSpecs").([]interface{})
			for _, g := range groups {
				if r, ok := nested(g.(map[string]interface{}), "replicas").(int64); ok {
					nodes += r
				}
			}
			f.RayJobPrints[name] = fmt.Sprintf("%d %s", nodes, m[1])
		}
	}
	if len(f.RayJobs) != len(fixtures.RayJobFiles) {
		return fmt.Errorf("the fixtures %v hold %d RayJobs; each should hold one", fixtures.RayJobFiles, len(f.RayJobs))
	}

	crds, err := upstream.CRDs(versions.DefaultKubeRay())
	if err != nil {
		return err
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name    string
				Columns []struct {
					Name     string
					Priority int
				} `json:"additionalPrinterColumns"`
			}
		}
	}
	if err := yaml.Unmarshal(crds["ray.io_rayjobs.yaml"], &crd); err != nil {
		return fmt.Errorf("KubeRay %s ray.io_rayjobs.yaml: %w", versions.KubeRay, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != "v1" {
			continue
		}
		f.RayJobColumns = []string{"NAME"}
		for _, col := range v.Columns {
			if col.Priority == 0 {
				f.RayJobColumns = append(f.RayJobColumns, strings.ToUpper(col.Name))
			}
		}
	}
	if len(f.RayJobColumns) < 2 {
		return fmt.Errorf("KubeRay %s ray.io_rayjobs.yaml: version v1 has no printer columns", versions.KubeRay)
	}
	return nil
}

// loadCheckOutput runs podsecurity-check's checks, as the command does with
// its default flags, on each manifest among the fixtures.
func (f *Facts) loadCheckOutput() error {
	checker, err := podsecurity.New(podsecurity.Options{})
	if err != nil {
		return err
	}
	files := []string{facts.PodSecurityClusterFile}
	for _, file := range f.RayJobs {
		files = append(files, file)
	}
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(f.RepoRoot, filepath.FromSlash(file)))
		if err != nil {
			return err
		}
		lines := map[string]bool{}
		for _, entry := range checker.CheckFile(file, data).Lines() {
			// A pod's notes follow it on lines of their own.
			for _, l := range strings.Split(entry, "\n") {
				lines[strings.TrimSpace(l)] = true
			}
		}
		f.CheckOutput[file] = lines
	}
	return nil
}
