// The rules for kind and docker commands: the kind tier's cluster, pinned
// node image and configuration, and the audit log read from its node.

package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/facts"
)

func (c *checker) kind(co document.Command) {
	line := co.Line
	p := c.parse(co, "--image", "--config", "--name")
	sub := strings.Join(p.args[1:], " ")
	if name, ok := p.one("--name"); ok && name != "kind" {
		// The documents read the audit log from the node of the default
		// cluster name.
		c.addf(line, "kind --name %s: the documents use the default cluster name kind, whose node is %s", name, facts.KindControlPlane)
	}
	switch sub {
	case "create cluster":
		// Which image: package rules (Images), on every line.
		if _, ok := p.one("--image"); !ok {
			c.addf(line, "kind create cluster without --image starts kind's default Kubernetes, not the pinned one: add --image %s", c.f.KindNodeImage)
		}
		cfg, ok := p.one("--config")
		switch {
		case !ok:
			c.addf(line, "kind create cluster without --config %s has no audit log: add it", facts.KindConfigFile)
		case cfg != facts.KindConfigFile:
			c.addf(line, "kind --config %s: the tutorial's cluster is %s", cfg, facts.KindConfigFile)
		default:
			c.repoPath(line, cfg)
		}
	case "delete cluster":
	default:
		c.addf(line, "kind %s: the documents only create and delete the cluster", sub)
	}
}

func (c *checker) docker(line int, words []string) {
	if len(words) < 4 || words[1] != "exec" {
		c.addf(line, "%s: the documents use docker only as `docker exec %s cat|grep … %s`", strings.Join(words, " "), facts.KindControlPlane, facts.AuditLogPath)
		return
	}
	if words[2] != facts.KindControlPlane {
		c.addf(line, "docker exec %s: the control-plane node of the cluster `kind create cluster` makes is %s", words[2], facts.KindControlPlane)
	}
	inner := words[3:]
	file := inner[len(inner)-1]
	switch {
	case inner[0] == "cat" && len(inner) == 2:
	case inner[0] == "grep" && len(inner) == 3:
		c.auditPattern(line, inner[1])
	default:
		c.addf(line, "docker exec … %s: the documents read the audit log with cat FILE, or grep RAYCLUSTER-head FILE, grep RAYJOB FILE or grep OPERATOR-USER FILE", strings.Join(inner, " "))
	}
	c.auditLogPath(line, file)
}

// operatorPodSteps are the steps in which the operator creates the
// RayCluster's Pods, which a grep for its user finds in the audit log.
var operatorPodSteps = []string{"5.1", "5.2"}

// auditPattern: the refused head Pods are named after their RayCluster, and
// every Pod of a RayJob (the head and worker of its RayCluster, the
// submitter of its Job) after the RayJob, which a step of 6 greps for. An
// admitted create of a Pod with generateName carries no name, so step 5.2
// greps for who made it: the operator's ServiceAccount.
func (c *checker) auditPattern(line int, pattern string) {
	if strings.HasPrefix(pattern, "system:") {
		switch {
		case pattern != c.f.OperatorUser:
			c.addf(line, "grep %s: the Pods of the tutorial's RayClusters are made by the operator, as %s", pattern, c.f.OperatorUser)
		case !slices.Contains(operatorPodSteps, c.block.Marker):
			c.addf(line, "grep %s in step %s: the operator makes the RayCluster's Pods in steps %s only; in step 6 grep for the step's RayJob", pattern, c.block.Marker, strings.Join(operatorPodSteps, ", "))
		}
		return
	}
	if job, s, ok := c.stepRayJob(); ok {
		if pattern != job {
			c.addf(line, "grep %s in step %s: every Pod of the step's RayJob is named after it: grep %s (%s)", pattern, c.block.Marker, job, s.File)
		}
		return
	}
	name, ok := strings.CutSuffix(pattern, "-head")
	if !ok || c.f.RayClusters[name] == "" {
		c.addf(line, "grep %s: search for a RayCluster's head Pods as <RayCluster>-head; the RayClusters are %s", pattern, names(c.f.RayClusters))
	}
}

func (c *checker) auditLogPath(line int, p string) {
	if p != facts.AuditLogPath {
		c.addf(line, "audit log %s: the kind tier's API server writes it to %s (facts.AuditLogPath)", p, facts.AuditLogPath)
		return
	}
	// Once the kind tier's configuration is in the repository, it must write
	// the log where the documents read it.
	if data, err := os.ReadFile(filepath.Join(c.f.RepoRoot, facts.KindConfigFile)); err == nil {
		if !regexp.MustCompile(`(?m)^\s*audit-log-path:\s*"?` + regexp.QuoteMeta(p) + `"?\s*$`).Match(data) {
			c.addf(line, "%s does not set audit-log-path: %s, so the audit log is not where the documents read it", facts.KindConfigFile, p)
		}
	}
}
