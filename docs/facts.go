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
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/facts"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// Facts is what a document is checked against: what running the page
// cannot show. LoadFacts gathers it from the repository, the fixtures and
// the pinned KubeRay release.
type Facts struct {
	// RepoRoot is this repository's top directory; relative paths in a
	// document are relative to it.
	RepoRoot string
	// KubeRayDir is KubeRay's ray-operator directory at versions.KubeRay.
	KubeRayDir string

	// Object names the prose may name, each mapped to where it is defined
	// (for messages).
	RayClusters map[string]string
	ConfigMaps  map[string]string
	// HeadServices maps a head Service's name to its RayCluster.
	HeadServices map[string]string
	// RayJobs maps each RayJob of the fixtures to its file, and
	// SubmitterJobs each Job KubeRay makes for one (K8sJobMode; the Job is
	// named after the RayJob) to the RayJob.
	RayJobs       map[string]string
	SubmitterJobs map[string]string

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
		RepoRoot:      root,
		RayClusters:   map[string]string{},
		ConfigMaps:    map[string]string{},
		HeadServices:  map[string]string{},
		RayJobs:       map[string]string{},
		SubmitterJobs: map[string]string{},
		MakeTargets:   map[string]bool{},
	}
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
	for _, file := range fixtures.RayJobFiles {
		objs, err := fixtures.RayJob(file)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if o.GetKind() != "RayJob" {
				continue
			}
			f.RayJobs[o.GetName()] = "fixtures/" + file
			// K8sJobMode is the CRD's default.
			if mode, _ := nested(o.Object, "spec", "submissionMode").(string); mode == "" || mode == "K8sJobMode" {
				f.SubmitterJobs[o.GetName()] = o.GetName()
			}
		}
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
