package manifest

import (
	"strings"
	"testing"
)

func TestDocumentsKeepsIndexesAcrossEmptyAndBadDocuments(t *testing.T) {
	data := "# comment only\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [unclosed\n---\n- a list\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n"
	docs, err := Documents([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 5 {
		t.Fatalf("want 5 documents, got %d: %+v", len(docs), docs)
	}
	if !docs[0].Empty() || docs[0].Index != 1 {
		t.Errorf("document 1 holds only a comment, want it empty with index 1, got %+v", docs[0])
	}
	if docs[1].Object == nil || docs[1].Object.GetName() != "a" || docs[1].Index != 2 {
		t.Errorf("document 2: want ConfigMap a, got %+v", docs[1])
	}
	if docs[2].Err == nil || !strings.Contains(docs[2].Err.Error(), "invalid YAML") || docs[2].Index != 3 {
		t.Errorf("document 3: want an invalid YAML error, got %+v", docs[2])
	}
	if docs[3].Err == nil || !strings.Contains(docs[3].Err.Error(), "is a list, not a Kubernetes object") {
		t.Errorf("document 4: want a not-an-object error, got %+v", docs[3])
	}
	if docs[4].Object == nil || docs[4].Object.GetKind() != "Pod" || docs[4].Index != 5 {
		t.Errorf("document 5: want Pod b after the bad documents, got %+v", docs[4])
	}
}

func TestDecodeStopsAtTheFirstBadDocument(t *testing.T) {
	_, err := Decode("x.yaml", []byte("apiVersion: v1\nkind: ConfigMap\n---\nmetadata: {}\n"))
	if err == nil || err.Error() != "x.yaml: document 2: has no apiVersion or kind: every document must be a Kubernetes object" {
		t.Fatalf("got %v", err)
	}
	objs, err := Decode("y.yaml", []byte("---\n---\napiVersion: v1\nkind: ConfigMap\n"))
	if err != nil || len(objs) != 1 {
		t.Fatalf("want one object with empty documents skipped, got %d, %v", len(objs), err)
	}
	objs, err = Decode("empty.yaml", nil)
	if err != nil || len(objs) != 0 {
		t.Fatalf("empty input: want no objects and no error, got %d, %v", len(objs), err)
	}
}
