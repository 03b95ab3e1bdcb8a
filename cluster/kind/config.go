package kind

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// Config is the repository's kind-config.yaml, decoded the way kind decodes
// it and checked for what the tutorial needs from it: an API server that
// writes an audit log under the repository's audit policy.
type Config struct {
	// Path is the absolute path of the file it was read from.
	Path string
	// Cluster is the decoded configuration with every extraMounts hostPath
	// made absolute.
	Cluster *v1alpha4.Cluster
	// AuditPolicyFile is --audit-policy-file, a path inside the API
	// server's container; AuditPolicyNode is the same file on the
	// control-plane node, and AuditPolicyHost the absolute host path mounted
	// there.
	AuditPolicyFile, AuditPolicyNode, AuditPolicyHost string
	// AuditLogPath is --audit-log-path inside the API server's container;
	// AuditLogNode is where the node sees it.
	AuditLogPath, AuditLogNode string
}

const (
	kindAPIVersion = "kind.x-k8s.io/v1alpha4"
	kindKind       = "Cluster"
)

// LoadConfig reads a kind v1alpha4 cluster configuration and checks it.
//
// kind's own loader (sigs.k8s.io/kind/pkg/internal/apis/config/encoding) is
// internal to the kind module, so this decodes the same way it does: yaml.v3
// with unknown fields refused, into the public v1alpha4 types. kind's
// semantic validation runs when the cluster is created; the tests also run
// the file through it offline (see create_test.go).
//
// Relative extraMounts host paths are resolved against the file's directory.
// kind would resolve them against the working directory of the process, which
// under go test is the package directory, and Docker turns a missing host
// path into an empty directory, on which the API server then fails to read
// its policy.
func LoadConfig(file string) (*Config, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read kind config: %w", err)
	}
	var c v1alpha4.Cluster
	dec := yamlv3.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("kind config %s: %w (kind %s refuses fields it does not know)", abs, err, kindAPIVersion)
	}
	if c.APIVersion != kindAPIVersion || c.Kind != kindKind {
		return nil, fmt.Errorf("kind config %s: apiVersion %q kind %q; the pinned kind library reads apiVersion %s kind %s", abs, c.APIVersion, c.Kind, kindAPIVersion, kindKind)
	}
	cfg := &Config{Path: abs, Cluster: &c}
	if err := cfg.check(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("kind config %s: %w", abs, err)
	}
	return cfg, nil
}

func (cfg *Config) check(dir string) error {
	c := cfg.Cluster
	if len(c.Nodes) == 0 {
		return errors.New("no nodes: list one control-plane node, whose API server writes the audit log")
	}
	var cp *v1alpha4.Node
	for i := range c.Nodes {
		n := &c.Nodes[i]
		role := n.Role
		if role == "" {
			role = v1alpha4.ControlPlaneRole
		}
		if role == v1alpha4.ControlPlaneRole {
			if cp != nil {
				return errors.New("more than one control-plane node: each would run an API server with its own audit log, and the suite reads one")
			}
			cp = n
		}
		if n.Image != "" {
			return fmt.Errorf("node %d names image %s: the node image is pinned by digest in versions/versions.go and chosen with E2E_KIND_NODE_IMAGE; remove it from the file", i, n.Image)
		}
		for j := range n.ExtraMounts {
			m := &n.ExtraMounts[j]
			if m.HostPath == "" || m.ContainerPath == "" {
				return fmt.Errorf("node %d extraMounts[%d] needs both hostPath and containerPath", i, j)
			}
			if !filepath.IsAbs(m.HostPath) {
				m.HostPath = filepath.Join(dir, m.HostPath)
			}
			if _, err := os.Stat(m.HostPath); err != nil {
				return fmt.Errorf("node %d extraMounts[%d]: hostPath %s: %w; Docker would mount an empty directory in its place", i, j, m.HostPath, err)
			}
		}
		for _, p := range n.ExtraPortMappings {
			if ip := net.ParseIP(p.ListenAddress); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("node %d maps container port %d on %q: the harness binds only 127.0.0.1; set listenAddress: 127.0.0.1", i, p.ContainerPort, p.ListenAddress)
			}
		}
	}
	if cp == nil {
		return errors.New("no control-plane node")
	}
	if a := c.Networking.APIServerAddress; a != "" {
		if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("networking.apiServerAddress %s: the API server must be published on 127.0.0.1 only; remove the setting", a)
		}
	}

	api, err := apiServerPatch(append(append([]string{}, c.KubeadmConfigPatches...), cp.KubeadmConfigPatches...))
	if err != nil {
		return err
	}
	cfg.AuditPolicyFile = api.ExtraArgs["audit-policy-file"]
	cfg.AuditLogPath = api.ExtraArgs["audit-log-path"]
	if cfg.AuditPolicyFile == "" || cfg.AuditLogPath == "" {
		return errors.New("the ClusterConfiguration patch must set apiServer.extraArgs audit-policy-file and audit-log-path")
	}
	if f := api.ExtraArgs["audit-log-format"]; f != "" && f != "json" {
		return fmt.Errorf("audit-log-format %q: the suite reads JSON lines; remove it or set json", f)
	}

	// The API server is a static pod: it sees node paths only through its
	// extraVolumes. Follow the policy file from the pod to the node to the
	// host, and the log's directory from the pod to a writable volume.
	var ok bool
	if cfg.AuditPolicyNode, ok = api.nodePath(cfg.AuditPolicyFile, false); !ok {
		return fmt.Errorf("audit-policy-file %s is under no apiServer.extraVolumes mountPath: the API server could not read it", cfg.AuditPolicyFile)
	}
	for _, m := range cp.ExtraMounts {
		if rest, ok := under(cfg.AuditPolicyNode, m.ContainerPath); ok {
			cfg.AuditPolicyHost = filepath.Join(m.HostPath, filepath.FromSlash(rest))
			break
		}
	}
	if cfg.AuditPolicyHost == "" {
		return fmt.Errorf("the audit policy is read from %s on the node, but no extraMounts of the control-plane node puts a host file there", cfg.AuditPolicyNode)
	}
	if fi, err := os.Stat(cfg.AuditPolicyHost); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("the audit policy's host path %s is not a file (%v)", cfg.AuditPolicyHost, err)
	}
	logDir, ok := api.nodePath(path.Dir(cfg.AuditLogPath), true)
	if !ok {
		return fmt.Errorf("audit-log-path %s is under no writable apiServer.extraVolumes mountPath: the log would stay inside the API server's container, out of the suite's reach", cfg.AuditLogPath)
	}
	cfg.AuditLogNode = path.Join(logDir, path.Base(cfg.AuditLogPath))
	return nil
}

// apiServer is the part of a kubeadm ClusterConfiguration patch the check
// reads.
type apiServer struct {
	ExtraArgs    extraArgs `json:"extraArgs"`
	ExtraVolumes []struct {
		Name      string `json:"name"`
		HostPath  string `json:"hostPath"`
		MountPath string `json:"mountPath"`
		ReadOnly  bool   `json:"readOnly"`
	} `json:"extraVolumes"`
}

// extraArgs reads both of kubeadm's forms: a map (v1beta3, which kind
// v0.33.0 writes up to Kubernetes 1.35) and a list of name/value pairs
// (v1beta4, from 1.36). kind converts a map in a patch without apiVersion
// to the list where it writes v1beta4, so the repository's file keeps the
// map and serves both.
type extraArgs map[string]string

func (a *extraArgs) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err == nil {
		*a = m
		return nil
	}
	var list []struct{ Name, Value string }
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("extraArgs is neither a map (kubeadm v1beta3) nor a list of name/value pairs (v1beta4)")
	}
	*a = extraArgs{}
	for _, kv := range list {
		(*a)[kv.Name] = kv.Value
	}
	return nil
}

func apiServerPatch(patches []string) (*apiServer, error) {
	var found *apiServer
	for i, p := range patches {
		var doc struct {
			Kind      string    `json:"kind"`
			APIServer apiServer `json:"apiServer"`
		}
		if err := yaml.Unmarshal([]byte(p), &doc); err != nil {
			return nil, fmt.Errorf("kubeadmConfigPatches[%d] is not a kubeadm object: %w", i, err)
		}
		if doc.Kind != "ClusterConfiguration" {
			continue
		}
		if found != nil {
			return nil, errors.New("more than one ClusterConfiguration patch: keep the API server's audit settings in one")
		}
		found = &doc.APIServer
	}
	if found == nil {
		return nil, errors.New("no kubeadmConfigPatches entry of kind ClusterConfiguration: the API server would run without an audit log")
	}
	return found, nil
}

// nodePath maps a path inside the API server's container to the node.
func (a *apiServer) nodePath(p string, writable bool) (string, bool) {
	for _, v := range a.ExtraVolumes {
		if writable && v.ReadOnly {
			continue
		}
		if rest, ok := under(p, v.MountPath); ok {
			return path.Join(v.HostPath, rest), true
		}
	}
	return "", false
}

// under reports whether p is dir or below it, and the remainder.
func under(p, dir string) (string, bool) {
	p, dir = path.Clean(p), path.Clean(dir)
	if p == dir {
		return "", true
	}
	if strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/") {
		return strings.TrimPrefix(p, strings.TrimSuffix(dir, "/")+"/"), true
	}
	return "", false
}

// Write saves the checked configuration (absolute host paths) for kind's
// own loader.
func (cfg *Config) Write(file string) error {
	data, err := yamlv3.Marshal(cfg.Cluster)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# %s with absolute host paths, written for this run.\n", cfg.Path)
	return os.WriteFile(file, append([]byte(header), data...), 0o600)
}
