package markdown

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const sample = `# Title

Prose with ` + "`inline`" + ` code.

<!-- step: 3 -->
` + "```sh" + `
kubectl create namespace pod-security
kubectl label namespace pod-security \
  a=b \
  c=d   # trailing comment
# a full-line comment
` + "```" + `

## Section

<!-- step: 4 -->
Prose between the marker and the fence.

` + "````yaml" + `
key: value
` + "```" + `
still: inside
` + "````" + `

<!-- step: 5.1 -->

` + "```console" + `
$ echo hi
hi
` + "```" + `
`

func TestParseBlocksMarkersAndSections(t *testing.T) {
	d, err := Parse("sample.md", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Blocks) != 3 {
		t.Fatalf("want 3 blocks, got %d", len(d.Blocks))
	}
	sh, yml, con := d.Blocks[0], d.Blocks[1], d.Blocks[2]
	if sh.Info != "sh" || sh.Marker != "3" || sh.Open != 6 || sh.Close != 12 || sh.Section != 0 {
		t.Errorf("sh block: %+v", sh)
	}
	// Prose between a marker and the fence detaches the marker.
	if yml.Marker != "" || yml.Section != 1 {
		t.Errorf("yaml block must have no marker and be in section 1: %+v", yml)
	}
	// A shorter fence inside a longer one is content.
	if got := yml.Text(); got != "key: value\n```\nstill: inside" {
		t.Errorf("yaml block text %q", got)
	}
	// Blank lines between marker and fence are allowed.
	if con.Marker != "5.1" || con.Info != "console" {
		t.Errorf("console block: %+v", con)
	}
	if !d.InBlock[7] || d.InBlock[3] {
		t.Error("InBlock marks the wrong lines")
	}
	if len(d.Headings) != 2 || d.Headings[1].Text != "Section" || d.Headings[1].Level != 2 {
		t.Errorf("headings %+v", d.Headings)
	}
}

func TestCommandsJoinContinuationsAndSkipComments(t *testing.T) {
	d, err := Parse("sample.md", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	cmds := d.Blocks[0].Commands()
	if len(cmds) != 2 {
		t.Fatalf("want 2 commands, got %+v", cmds)
	}
	want := []string{"kubectl", "label", "namespace", "pod-security", "a=b", "c=d"}
	if !reflect.DeepEqual(cmds[1].Words, want) || cmds[1].Line != 8 || cmds[1].Comment != "trailing comment" {
		t.Errorf("continued command: %+v", cmds[1])
	}
	if c := d.Blocks[0].Comments(); len(c) != 1 || c[0].Text != "a full-line comment" || c[0].Line != 11 {
		t.Errorf("comments %+v", c)
	}
	con := d.Blocks[2]
	if c := con.Commands(); len(c) != 1 || !reflect.DeepEqual(c[0].Words, []string{"echo", "hi"}) {
		t.Errorf("console commands %+v", c)
	}
	if o := con.Output(); len(o) != 1 || o[0].Text != "hi" {
		t.Errorf("console output %+v", o)
	}
	if d.Blocks[1].Commands() != nil {
		t.Error("a yaml block has no commands")
	}
}

func TestUnclosedFenceIsReported(t *testing.T) {
	d, err := Parse("open.md", []byte("text\n```sh\nkind create cluster\n"))
	var u *UnclosedError
	if !errors.As(err, &u) || u.Line != 2 {
		t.Fatalf("want an UnclosedError at line 2, got %v", err)
	}
	if !strings.Contains(err.Error(), "never closed") {
		t.Errorf("message %q does not say what is wrong", err)
	}
	// The document is still returned, for tolerant callers.
	if d == nil || len(d.Blocks) != 1 || len(d.Blocks[0].Commands()) != 1 {
		t.Errorf("partial document %+v", d)
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		`kubectl get raycluster x -o jsonpath='{.status.conditions[?(@.type=="ReplicaFailure")].reason}'`: {"kubectl", "get", "raycluster", "x", "-o", `jsonpath={.status.conditions[?(@.type=="ReplicaFailure")].reason}`},
		`kubectl wait --for=jsonpath='{.status.state}'=ready`:                                             {"kubectl", "wait", "--for=jsonpath={.status.state}=ready"},
		`echo "a \"b\" $x" c\ d`:                      {"echo", `a "b" $x`, "c d"},
		`docker exec n cat f | grep -c x && echo $?`:  {"docker", "exec", "n", "cat", "f", "|", "grep", "-c", "x", "&&", "echo", "$?"},
		`X=$(kubectl get pods -o name) go test ./e2e`: {"X=$(kubectl get pods -o name)", "go", "test", "./e2e"},
		`a#b # comment`:                               {"a#b"},
	} {
		got, _ := Words(in)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
	segs := Segments([]string{"docker", "exec", "n", "cat", "f", "|", "grep", "x", ">", "out.txt", "&&", "echo", "$?"})
	if !reflect.DeepEqual(segs, [][]string{{"docker", "exec", "n", "cat", "f"}, {"grep", "x"}, {"echo", "$?"}}) {
		t.Errorf("Segments = %q", segs)
	}
	// Only grep reads from a pipe.
	var piped []bool
	for _, s := range SimpleCommands([]string{"docker", "exec", "n", "cat", "f", "|", "grep", "x", ">", "out.txt", "&&", "echo", "$?"}) {
		piped = append(piped, s.Piped)
	}
	if !reflect.DeepEqual(piped, []bool{false, true, false}) {
		t.Errorf("Piped = %v", piped)
	}
}

func TestMarkerOptions(t *testing.T) {
	d, err := Parse("o.md", []byte("<!-- step: 6.1 like -->\n```text\nx\n```\n\n<!-- step: 3   exit 1 -->\n```sh\nfalse\n```\n<!-- step: 4 -->\n```sh\ntrue\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := [][]string{d.Blocks[0].Options, d.Blocks[1].Options, d.Blocks[2].Options}
	if d.Blocks[0].Marker != "6.1" || strings.Join(got[0], " ") != "like" || d.Blocks[1].Marker != "3" || strings.Join(got[1], " ") != "exit 1" || len(got[2]) != 0 {
		t.Errorf("markers %q %q %q, options %q", d.Blocks[0].Marker, d.Blocks[1].Marker, d.Blocks[2].Marker, got)
	}
}
