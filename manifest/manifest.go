// Package manifest reads multi-document Kubernetes YAML into objects, one
// document at a time, so that a bad document is reported by its index while
// the others are still read.
package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Document is one YAML document of a file.
type Document struct {
	// Index counts documents from 1, blank and comment-only ones included,
	// so that it points at the same place in the file as a person counting
	// `---` would. (Two separators on consecutive lines enclose no document:
	// Kubernetes' YAML reader, used by kubectl too, does not count one there.)
	Index int
	// Object is nil for an empty document (blank, or only comments) and for
	// one that failed to decode.
	Object *unstructured.Unstructured
	// Err says why the document is not a Kubernetes object.
	Err error
}

// Empty reports a document that holds nothing.
func (d Document) Empty() bool { return d.Object == nil && d.Err == nil }

// Documents splits data into its documents and decodes each. The error is
// only for a stream that cannot be split at all; a document that does not
// decode carries its own Err.
func Documents(data []byte) ([]Document, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []Document
	for index := 1; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, fmt.Errorf("document %d: cannot read YAML: %w", index, err)
		}
		obj, err := decodeDocument(raw)
		docs = append(docs, Document{Index: index, Object: obj, Err: err})
	}
}

// Decode returns the objects of data, skipping empty documents, and fails on
// the first document that is not a Kubernetes object. name is only used in
// errors.
func Decode(name string, data []byte) ([]*unstructured.Unstructured, error) {
	docs, err := Documents(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var objs []*unstructured.Unstructured
	for _, d := range docs {
		if d.Err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, d.Index, d.Err)
		}
		if d.Object != nil {
			objs = append(objs, d.Object)
		}
	}
	return objs, nil
}

func decodeDocument(doc []byte) (*unstructured.Unstructured, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if s := strings.TrimSpace(string(js)); s == "null" || s == "" {
		return nil, nil
	}
	var content interface{}
	// apimachinery's json keeps whole numbers as int64, as the rest of
	// client-go expects in unstructured objects.
	if err := utiljson.Unmarshal(js, &content); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	m, ok := content.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("is a %s, not a Kubernetes object (a mapping with apiVersion and kind)", describe(content))
	}
	obj := &unstructured.Unstructured{Object: m}
	var missing []string
	if s, ok := m["apiVersion"].(string); !ok || s == "" {
		missing = append(missing, "apiVersion")
	}
	if s, ok := m["kind"].(string); !ok || s == "" {
		missing = append(missing, "kind")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("has no %s: every document must be a Kubernetes object", strings.Join(missing, " or "))
	}
	return obj, nil
}

// describe names a YAML value's type in YAML's words, not Go's.
func describe(v interface{}) string {
	switch v.(type) {
	case []interface{}:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
