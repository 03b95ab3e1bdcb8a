package document

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// sample is a small tutorial written for these tests.
const sample = "# A tutorial\n\nRun `kubectl` against [Kind](https://kind.sigs.k8s.io/).\n\n" +
	"```sh\n# Path: kuberay/ray-operator\nkubectl apply -n pod-security -f config/samples/x.yaml && \\\n  helm install op kuberay/kuberay-operator --version=1.6.2 --set a=b\nKUBECONFIG=k go test ./e2e -v -run 'TestTutorial/^1_'\n```\n\n" +
	"```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\napiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: rc\n```\n"

func mustRead(t *testing.T, name string, data []byte) *Document {
	t.Helper()
	d, err := Read(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestModel(t *testing.T) {
	d := mustRead(t, "t.md", []byte(sample))
	if len(d.Commands) != 3 {
		t.Fatalf("%d commands, want 3: %+v", len(d.Commands), d.Commands)
	}
	k := d.Commands[0]
	if k.Program != "kubectl" || k.Sub() != "apply" || k.Line != 7 || k.Dir != "kuberay/ray-operator" {
		t.Errorf("kubectl: %+v", k)
	}
	if ns, _ := k.Value("--namespace"); ns != "pod-security" || !slices.Equal(k.Values("--filename"), []string{"config/samples/x.yaml"}) {
		t.Errorf("kubectl flags: %+v", k.Flags)
	}
	h := d.Commands[1]
	if v, _ := h.Value("--version"); h.Program != "helm" || v != "1.6.2" || !slices.Equal(h.Args, []string{"install", "op", "kuberay/kuberay-operator"}) || !slices.Equal(h.Values("--set"), []string{"a=b"}) {
		t.Errorf("helm: %+v", h)
	}
	g := d.Commands[2]
	if !slices.Equal(g.Env, []string{"KUBECONFIG=k"}) || g.Program != "go" || !g.Has("-v") || !slices.Equal(g.Args, []string{"test", "./e2e"}) {
		t.Errorf("go: %+v", g)
	}
	if run, _ := g.Value("-run"); run != "TestTutorial/^1_" {
		t.Errorf("-run %q", run)
	}
	var kinds []string
	for _, o := range d.Objects {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
	}
	if !slices.Equal(kinds, []string{"ConfigMap/cm", "RayCluster/rc"}) {
		t.Errorf("objects %v", kinds)
	}
	if len(d.Spans) != 1 || d.Spans[0] != (Span{Line: 3, Text: "kubectl"}) || len(d.Links) != 1 || d.Links[0].Text != "https://kind.sigs.k8s.io/" {
		t.Errorf("spans %v, links %v", d.Spans, d.Links)
	}
}

func TestUnknownFlagsAreMarked(t *testing.T) {
	d := mustRead(t, "t.md", []byte("```sh\nkubectl get pods --all-namespaces -n x\nfoo --bar baz\n```\n"))
	k := d.Commands[0]
	if len(k.Flags) != 2 || k.Flags[0].Known || !k.Flags[1].Known {
		t.Errorf("kubectl flags %+v: --all-namespaces is unknown, -n known", k.Flags)
	}
	// A program without a spec: every flag is one without a value.
	f := d.Commands[1]
	if !slices.Equal(f.Args, []string{"baz"}) || f.Flags[0].Known {
		t.Errorf("foo: %+v", f)
	}
}

func TestCdSetsTheDirectory(t *testing.T) {
	d := mustRead(t, "t.md", []byte("```sh\ncd kuberay\ncd ray-operator\nkubectl apply -f a.yaml\n```\n"))
	if last := d.Commands[len(d.Commands)-1]; last.Dir != "kuberay/ray-operator" {
		t.Errorf("dir %q", last.Dir)
	}
}

// Each encoding and line ending a copy may come in reads as the same
// document.
func TestEncodingsReadAlike(t *testing.T) {
	want := mustRead(t, "t.md", []byte(sample))
	utf16le := func(s string, bigEndian bool) []byte {
		out := []byte{0xFF, 0xFE}
		if bigEndian {
			out = []byte{0xFE, 0xFF}
		}
		for _, u := range utf16.Encode([]rune(s)) {
			if bigEndian {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		return out
	}
	for name, data := range map[string][]byte{
		"CRLF":          []byte(strings.ReplaceAll(sample, "\n", "\r\n")),
		"CR only":       []byte(strings.ReplaceAll(sample, "\n", "\r")),
		"UTF-8 BOM":     append([]byte{0xEF, 0xBB, 0xBF}, sample...),
		"UTF-16LE BOM":  utf16le(sample, false),
		"UTF-16BE BOM":  utf16le(sample, true),
		"UTF-16LE CRLF": utf16le(strings.ReplaceAll(sample, "\n", "\r\n"), false),
	} {
		d, err := Read(name, data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(d.Lines, want.Lines) || len(d.Commands) != len(want.Commands) || len(d.Objects) != len(want.Objects) {
			t.Errorf("%s: %d lines, %d commands, %d objects; want %d, %d, %d", name, len(d.Lines), len(d.Commands), len(d.Objects), len(want.Lines), len(want.Commands), len(want.Objects))
		}
	}
}

// A shell-session block reads as a terminal session, like console.
func TestShellSession(t *testing.T) {
	d := mustRead(t, "t.md", []byte("```shell-session\n$ kubectl get pods -n pod-security\nNAME   READY\n```\n"))
	if len(d.Commands) != 1 || d.Commands[0].Program != "kubectl" {
		t.Errorf("commands %+v", d.Commands)
	}
}

func TestTabIndentedFences(t *testing.T) {
	d := mustRead(t, "t.md", []byte("1. Apply it:\n\n\t```sh\n\tkubectl apply -n pod-security -f a.yaml\n\t```\n"))
	if len(d.Commands) != 1 || d.Commands[0].Program != "kubectl" || d.Commands[0].Line != 4 {
		t.Errorf("commands %+v", d.Commands)
	}
}

func TestUnclosedFenceIsKept(t *testing.T) {
	d := mustRead(t, "t.md", []byte("```sh\nkubectl get pods\n"))
	if d.Unclosed != 1 || d.UnclosedFence != "```" || len(d.Commands) != 1 {
		t.Errorf("unclosed %d %q, commands %d", d.Unclosed, d.UnclosedFence, len(d.Commands))
	}
}

// Each input that holds no tutorial is refused with one line naming the
// problem and the fix; a good document is not.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "is empty"},
		{"blank", []byte(" \n\t\n\r\n"), "is empty"},
		{"binary", []byte("PK\x03\x04\x00\x00zip"), "is binary (a NUL byte at offset 4)"},
		{"latin-1", []byte("caf\xe9 ```sh\n"), "is not UTF-8 text (an invalid byte at offset 3)"},
		{"odd UTF-16", []byte{0xFF, 0xFE, 'a'}, "odd number of bytes"},
		{"rendered page", []byte("Step 1\n\nkubectl apply -f x.yaml\n\nStep 2\n"), "has no fenced command block"},
		{"only YAML", []byte("```yaml\nkind: ConfigMap\n```\n"), "has fenced blocks, but none is marked as commands: label the command blocks ```sh"},
		{"unlabeled fences", []byte("```\nkubectl apply -f x.yaml\n```\n"), "has fenced blocks, but none is marked as commands"},
	} {
		_, err := Read(c.name, c.data)
		if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v; want one line with %q", c.name, err, c.want)
		}
	}
	for _, c := range []struct{ arg, want string }{
		{"https://github.com/ray-project/kuberay/blob/master/docs/guidance/pod-security.md", "a URL is not fetched: download the Markdown source first"},
		{dir, "is a directory"},
		{"", "no document given"},
	} {
		_, err := Open(c.arg, strings.NewReader(""))
		if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q): %v; want %q", c.arg, err, c.want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing.md"), nil); err == nil || IsInputError(err) {
		t.Errorf("a missing file: %v; want the OS's error", err)
	}
}

func TestOpenReadsFilesAndStdin(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.md")
	if err := os.WriteFile(file, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ arg, name string }{{file, file}, {Stdin, "(standard input)"}} {
		d, err := Open(c.arg, strings.NewReader(sample))
		if err != nil || d.Name != c.name || len(d.Commands) != 3 {
			t.Errorf("Open(%s): %v", c.arg, err)
		}
	}
}

func TestMentions(t *testing.T) {
	doc := strings.Join([]string{
		"Create the ConfigMap `xgboost-example` and the RayCluster `raycluster-pod-security`.", // 1
		"",
		"```sh",
		"kubectl delete raycluster -n pod-security raycluster-complete", // 4
		"kubectl port-forward svc/raycluster-pod-security-head-svc 8265:8265",
		"kubectl get pods --namespace pod-security",
		"kubectl logs job/rayjob-hardened-submitter",
		"kubectl get rayjob rayjob-sidecar",
		"# configmap \"old-config\" deleted", // 9: a comment is output, not a command
		"```",
		"",
		"```text",
		"rayjob.ray.io/rayjob-default-submitter created", // 13
		"```",
	}, "\n")
	d := mustRead(t, "t.md", []byte(doc))
	var got []string
	for _, m := range d.Mentions {
		got = append(got, fmt.Sprintf("%d %s %s", m.Line, m.Kind, m.Name))
	}
	want := []string{
		"4 RayCluster raycluster-complete",
		"5 Service raycluster-pod-security-head-svc",
		"7 Job rayjob-hardened-submitter",
		"8 RayJob rayjob-sidecar",
		"1 ConfigMap xgboost-example",
		"1 RayCluster raycluster-pod-security",
		"9 ConfigMap old-config",
		"13 RayJob rayjob-default-submitter",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mentions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
