// The rules over yaml blocks: an excerpt of a repository file, equal to it
// where it overlaps. In a file of several
// YAML documents the excerpt names the object it shows (kind and
// metadata.name); in a list of named items (containers) it shows items by
// name.

package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

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
	var part map[string]interface{}
	if err := yaml.Unmarshal([]byte(b.Text()), &part); err != nil {
		c.addf(b.Open, "the excerpt is not valid YAML: %v", err)
		return
	}
	whole, msg := excerptSource(data, part)
	if msg != "" {
		c.addf(b.Open, "%s: %s", file, msg)
		return
	}
	for _, d := range subtreeDiffs(part, whole, nil) {
		c.addf(b.Open, "the excerpt differs from %s: %s", file, d)
	}
}

// documentSep separates the YAML documents of a file.
var documentSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// excerptSource is the document of data that the excerpt part shows: the
// only one, or the one whose kind and metadata.name the excerpt names. msg
// says why there is none.
func excerptSource(data []byte, part map[string]interface{}) (map[string]interface{}, string) {
	var docs []map[string]interface{}
	for _, d := range documentSep.Split(string(data), -1) {
		var m map[string]interface{}
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			return nil, err.Error()
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
	if len(docs) == 1 {
		return docs[0], ""
	}
	kind, _ := part["kind"].(string)
	name, _ := nested(part, "metadata", "name").(string)
	if kind == "" || name == "" {
		return nil, fmt.Sprintf("the file holds %d objects: name the one the excerpt shows with kind and metadata.name", len(docs))
	}
	for _, d := range docs {
		if d["kind"] == kind && nested(d, "metadata", "name") == name {
			return d, ""
		}
	}
	return nil, fmt.Sprintf("the file holds no %s %s", kind, name)
}

// namedItems maps the items of list l by their name, if every item is a
// mapping with a name (containers, volumes, ports).
func namedItems(l []interface{}) (map[string]interface{}, bool) {
	out := map[string]interface{}{}
	for _, it := range l {
		m, ok := it.(map[string]interface{})
		if !ok {
			return nil, false
		}
		n, ok := m["name"].(string)
		if !ok {
			return nil, false
		}
		out[n] = m
	}
	return out, len(out) > 0
}

// subtreeDiffs lists where part is not contained in whole. A list of named
// items is contained if each of its items is contained in the item of the
// same name; any other list must equal the whole list.
func subtreeDiffs(part, whole interface{}, path []string) []string {
	if pl, ok := part.([]interface{}); ok {
		wl, _ := whole.([]interface{})
		pn, ok1 := namedItems(pl)
		wn, ok2 := namedItems(wl)
		if ok1 && ok2 {
			var out []string
			for _, it := range pl {
				n := it.(map[string]interface{})["name"].(string)
				p := append(append([]string(nil), path...), "["+n+"]")
				w, ok := wn[n]
				if !ok {
					out = append(out, fmt.Sprintf("%s has no item named %s there", strings.Join(path, "."), n))
					continue
				}
				out = append(out, subtreeDiffs(pn[n], w, p)...)
			}
			return out
		}
	}
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
