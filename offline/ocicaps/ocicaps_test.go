package ocicaps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		capBnd string
		want   []string
	}{
		{"000001ffffffffff", nil},                          // ordinary host: no-op
		{"000001fffeffffff", []string{"CAP_SYS_RESOURCE"}}, // this project's sandbox
	} {
		got, err := Missing(strings.NewReader("Name:\tx\nCapEff:\t0\nCapBnd:\t" + tc.capBnd + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("CapBnd %s: got %v, want %v", tc.capBnd, got, tc.want)
		}
	}
	if _, err := Missing(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("no CapBnd line: want an error")
	}
}

const spec = `{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],
"capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE"],"effective":["CAP_SYS_RESOURCE","CAP_CHOWN"],
"permitted":["CAP_CHOWN","CAP_SYS_RESOURCE"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":1048576,"soft":1048576}]},
"linux":{"resources":{"memory":{"limit":9223372036854771712}}},"x-unknown":{"kept":true}}`

func TestEditSpec(t *testing.T) {
	out, changed, err := EditSpec([]byte(spec), []string{"CAP_SYS_RESOURCE"})
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	if strings.Contains(string(out), "CAP_SYS_RESOURCE") {
		t.Errorf("capability still there: %s", out)
	}
	// Large integers survive exactly, unknown fields are kept.
	for _, want := range []string{"9223372036854771712", `"x-unknown":{"kept":true}`, `"bounding":["CAP_CHOWN"]`, `"effective":["CAP_CHOWN"]`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s: %s", want, out)
		}
	}
	// Nothing to drop: the bytes come back untouched.
	same, changed, err := EditSpec(out, []string{"CAP_SYS_RESOURCE"})
	if err != nil || changed || string(same) != string(out) {
		t.Errorf("second edit: changed=%v err=%v", changed, err)
	}
}

func TestFileToEdit(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		path    string
		process bool
	}{
		{[]string{"--root", "/run/runc", "--log", "/x/log.json", "create", "--bundle", "/b", "id"}, "/b/config.json", false},
		{[]string{"--systemd-cgroup", "run", "-b=/b2", "id"}, "/b2/config.json", false},
		{[]string{"create", "id"}, "/cwd/config.json", false},
		{[]string{"--root", "/r", "exec", "--process", "/tmp/p.json", "--detach", "id"}, "/tmp/p.json", true},
		{[]string{"exec", "id", "sh"}, "", false},
		{[]string{"--root", "/r", "start", "id"}, "", false},
		{[]string{"--version"}, "", false},
	} {
		p, proc := FileToEdit(tc.args, "/cwd")
		if p != tc.path || proc != tc.process {
			t.Errorf("%v: got %q,%v want %q,%v", tc.args, p, proc, tc.path, tc.process)
		}
	}
}

func TestApplyExecProcess(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "process.json")
	if err := os.WriteFile(p, []byte(`{"args":["sh"],"capabilities":{"bounding":["CAP_SYS_RESOURCE","CAP_KILL"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Apply([]string{"exec", "-p", p, "id"}, dir, []string{"CAP_SYS_RESOURCE"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	var doc struct {
		Capabilities map[string][]string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc.Capabilities["bounding"], []string{"CAP_KILL"}) {
		t.Errorf("bounding = %v", doc.Capabilities["bounding"])
	}
}
