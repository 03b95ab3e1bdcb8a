// Package ocicaps makes privileged containers start on a kernel whose
// capability bounding set lacks a capability that OCI runtimes put into every
// privileged container's spec.
//
// Docker and containerd give a privileged container every capability they
// know, CAP_SYS_RESOURCE included. Where the host (for example a sandboxed VM
// or a container that is itself unprivileged in part) runs without
// CAP_SYS_RESOURCE in its bounding set, runc then fails with
// "unable to apply caps: operation not permitted". The fix is a tiny OCI
// runtime in front of runc that removes the missing capabilities from the
// spec before runc reads it. Where the kernel has the capability nothing is
// installed: Missing returns no names and the daemon keeps its own runtime.
package ocicaps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// capNumbers are the capabilities a privileged container asks for that a
// restricted kernel may lack. Only those this harness has met are listed.
var capNumbers = map[string]uint{
	"CAP_SYS_RESOURCE": 24,
}

// Watched lists the capability names Missing checks, sorted.
func Watched() []string { return []string{"CAP_SYS_RESOURCE"} }

// Missing returns the watched capabilities absent from the bounding set in
// the /proc/<pid>/status text r ("CapBnd:" line).
func Missing(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "CapBnd:") {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "CapBnd:")), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("parse CapBnd %q: %w", line, err)
		}
		var missing []string
		for _, name := range Watched() {
			if mask&(1<<capNumbers[name]) == 0 {
				missing = append(missing, name)
			}
		}
		return missing, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("no CapBnd line in the process status")
}

// MissingHere is Missing for this process (/proc/self/status).
func MissingHere() ([]string, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Missing(f)
}

// capSets are the capability lists of an OCI process.
var capSets = []string{"bounding", "effective", "inheritable", "permitted", "ambient"}

// DropFromProcess removes drop from every capability set of an OCI "process"
// object (as found in config.json, or alone in runc exec's --process file).
// It reports whether anything was removed.
func DropFromProcess(process map[string]any, drop []string) bool {
	capsObj, ok := process["capabilities"].(map[string]any)
	if !ok {
		return false
	}
	changed := false
	for _, set := range capSets {
		list, ok := capsObj[set].([]any)
		if !ok {
			continue
		}
		kept := list[:0:0]
		for _, c := range list {
			if s, ok := c.(string); ok && slices.Contains(drop, s) {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		capsObj[set] = kept
	}
	return changed
}

// EditSpec removes drop from the process of an OCI runtime spec
// (config.json) and returns the new document. Numbers and unknown fields are
// kept as they were.
func EditSpec(spec []byte, drop []string) ([]byte, bool, error) {
	doc, err := decode(spec)
	if err != nil {
		return nil, false, fmt.Errorf("read OCI spec: %w", err)
	}
	process, _ := doc["process"].(map[string]any)
	if process == nil || !DropFromProcess(process, drop) {
		return spec, false, nil
	}
	out, err := json.Marshal(doc)
	return out, true, err
}

// EditProcess is EditSpec for runc exec's --process file (a bare process).
func EditProcess(process []byte, drop []string) ([]byte, bool, error) {
	doc, err := decode(process)
	if err != nil {
		return nil, false, fmt.Errorf("read OCI process: %w", err)
	}
	if !DropFromProcess(doc, drop) {
		return process, false, nil
	}
	out, err := json.Marshal(doc)
	return out, true, err
}

func decode(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// FileToEdit tells which file of a runc command line holds capabilities:
// the bundle's config.json for "create" and "run" (--bundle/-b, default the
// working directory), the --process/-p file for "exec". Global flags before
// the subcommand are skipped. It returns "" when the command carries none.
func FileToEdit(args []string, cwd string) (path string, isProcess bool) {
	i := 0
	// runc's global flags; those that take a value are listed.
	withValue := map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if withValue[args[i]] && !strings.Contains(args[i], "=") {
			i++
		}
		i++
	}
	if i >= len(args) {
		return "", false
	}
	sub, rest := args[i], args[i+1:]
	switch sub {
	case "create", "run":
		bundle := flagValue(rest, "--bundle", "-b")
		if bundle == "" {
			bundle = cwd
		} else if !filepath.IsAbs(bundle) {
			bundle = filepath.Join(cwd, bundle)
		}
		return filepath.Join(bundle, "config.json"), false
	case "exec":
		p := flagValue(rest, "--process", "-p")
		if p == "" {
			return "", false
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		return p, true
	}
	return "", false
}

func flagValue(args []string, long, short string) string {
	for i, a := range args {
		for _, name := range []string{long, short} {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, name+"="); ok {
				return v
			}
		}
	}
	return ""
}

// Apply edits the file a runc command line names (see FileToEdit) in place.
func Apply(args []string, cwd string, drop []string) error {
	path, isProcess := FileToEdit(args, cwd)
	if path == "" || len(drop) == 0 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	edit := EditSpec
	if isProcess {
		edit = EditProcess
	}
	out, changed, err := edit(b, drop)
	if err != nil || !changed {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp := path + ".capdrop"
	if err := os.WriteFile(tmp, out, fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
