package binaries

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

// fakeProxy serves Go modules example.com/<name>@v1.0.0, each a main package
// printing its name, so that the tests run real `go install` builds without
// a network. A module listed in hang is never served: its build stays in
// progress until it is stopped.
func fakeProxy(t *testing.T, hang ...string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /example.com/<name>/@v/{list,v1.0.0.info,v1.0.0.mod,v1.0.0.zip}
		mod, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/@v/")
		name := strings.TrimPrefix(mod, "example.com/")
		if !ok || !strings.HasPrefix(mod, "example.com/") || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		for _, h := range hang {
			if name == h {
				<-r.Context().Done() // the go command was stopped
				return
			}
		}
		gomod := "module " + mod + "\n\ngo 1.22\n"
		switch file {
		case "list":
			w.Write([]byte("v1.0.0\n"))
		case "v1.0.0.info":
			w.Write([]byte(`{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`))
		case "v1.0.0.mod":
			w.Write([]byte(gomod))
		case "v1.0.0.zip":
			var buf bytes.Buffer
			z := zip.NewWriter(&buf)
			for f, content := range map[string]string{
				"go.mod":  gomod,
				"main.go": "package main\n\nfunc main() { println(\"" + name + "\") }\n",
			} {
				fw, _ := z.Create(mod + "@v1.0.0/" + f)
				fw.Write([]byte(content))
			}
			z.Close()
			w.Write(buf.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	modCache := t.TempDir()
	// The module cache is read-only; TempDir's removal needs it writable.
	t.Cleanup(func() {
		filepath.WalkDir(modCache, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	t.Setenv("GOPROXY", srv.URL)
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOPRIVATE", "")
	t.Setenv("GONOPROXY", "")
	t.Setenv("GOMODCACHE", modCache)
}

// fakeTarget is built by fakeProxy's module example.com/<name>.
func fakeTarget(name string) Target {
	return Target{Name: name, Version: "v1.0.0", Binaries: []string{name},
		Packages: []string{"example.com/" + name + "@v1.0.0"}, Toolchain: "local"}
}

func ensureFake(t *testing.T, tg Target, cache string) (path, progress string) {
	t.Helper()
	var out bytes.Buffer
	results, err := ensureAll(context.Background(), []Target{tg}, Options{CacheDir: cache, Progress: &out}, 1, "`make binaries`")
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, out.String())
	}
	return results[0][tg.Binaries[0]], out.String()
}

func runsAndPrints(t *testing.T, path, want string) {
	t.Helper()
	out, err := exec.Command(path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != want {
		t.Errorf("%s: %v, printed %q, want %q", path, err, out, want)
	}
}

func TestDamagedCachedBinaryIsRebuilt(t *testing.T) {
	fakeProxy(t)
	cache := t.TempDir()
	tg := fakeTarget("hello")
	path, progress := ensureFake(t, tg, cache)
	if !strings.Contains(progress, "binaries: building hello v1.0.0") {
		t.Fatalf("the first call must build; progress:\n%s", progress)
	}
	runsAndPrints(t, path, "hello")

	t.Run("intact cache is used quietly", func(t *testing.T) {
		again, progress := ensureFake(t, tg, cache)
		if progress != "" || again != path {
			t.Errorf("got %s, progress %q; want %s found in the cache without a word", again, progress, path)
		}
	})
	for _, damage := range []struct {
		name, want string
		do         func(t *testing.T)
	}{
		{"truncated binary", "hello is damaged (", func(t *testing.T) {
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"binary of the same size, other bytes", "hello is damaged (its sha256", func(t *testing.T) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, _ := f.Stat()
			junk := make([]byte, 4096)
			rand.Read(junk)
			if _, err := f.WriteAt(junk, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"missing binary", "hello is missing", func(t *testing.T) {
			os.Remove(path)
		}},
		{"entry from before manifests", "it has no manifest.json", func(t *testing.T) {
			os.Remove(filepath.Join(filepath.Dir(path), manifestName))
		}},
	} {
		t.Run(damage.name, func(t *testing.T) {
			damage.do(t)
			again, progress := ensureFake(t, tg, cache)
			lines := strings.Split(strings.TrimSpace(progress), "\n")
			if !strings.HasPrefix(lines[0], "binaries: cached hello v1.0.0 cannot be used: "+damage.want) ||
				!strings.HasSuffix(lines[0], "; removing "+filepath.Dir(path)+" and rebuilding it") {
				t.Errorf("the first progress line must say what is damaged and that it is rebuilt; got:\n%s", progress)
			}
			if !strings.Contains(progress, "binaries: built hello v1.0.0") {
				t.Errorf("not rebuilt:\n%s", progress)
			}
			runsAndPrints(t, again, "hello")
			if err := checkCached(filepath.Dir(again), tg.Binaries); err != nil {
				t.Errorf("the rebuilt entry does not check: %v", err)
			}
		})
	}
}

func TestBuildStopsAtTheDeadline(t *testing.T) {
	fakeProxy(t, "slow1", "slow2")
	cache := t.TempDir()
	// The go command keeps its work files in a go-build* directory under
	// TMPDIR unless told otherwise, and a killed go command leaves it there.
	tmpdir := t.TempDir()
	t.Setenv("TMPDIR", tmpdir)
	hello := fakeTarget("hello")
	path, _ := ensureFake(t, hello, cache)

	// One build at a time: one slow target is building at the deadline, the
	// other still waiting for its turn.
	targets := []Target{hello, fakeTarget("slow1"), fakeTarget("slow2")}
	deadline := time.Now().Add(stopGrace + 3*time.Second)
	var progress bytes.Buffer
	_, err := ensureAll(context.Background(), targets, Options{CacheDir: cache, Progress: &progress, Deadline: deadline}, 1, "`make binaries`")
	returned := time.Now()
	t.Logf("error:\n%v\nprogress:\n%s", err, progress.String())
	if err == nil || !errors.Is(err, ErrDeadline) {
		t.Fatalf("want an error wrapping ErrDeadline, got %v", err)
	}
	// Stopping a build takes at most stopGrace, which the deadline allows
	// for; the second is scheduling slack on a loaded machine.
	if late := returned.Sub(deadline); late > time.Second {
		t.Errorf("returned %s after the deadline", late)
	}
	msg := err.Error()
	for _, want := range []string{
		"build deadline reached at " + deadline.Format(time.TimeOnly),
		"still building (stopped, unfinished work removed): slow",
		"not started: slow",
		"cached: hello v1.0.0\n",
		"Finished builds stay in the cache (" + cache + ")",
		"`make binaries`",
		"`go test ./e2e -timeout 60m`",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q", want)
		}
	}
	if err := checkCached(filepath.Dir(path), hello.Binaries); err != nil {
		t.Errorf("the cached target must stay cached: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(cache, ".build-*"))
	slowDirs, _ := filepath.Glob(filepath.Join(cache, "bin", "slow*"))
	if len(left)+len(slowDirs) != 0 {
		t.Errorf("an abandoned build left %v %v", left, slowDirs)
	}
	if work, _ := filepath.Glob(filepath.Join(tmpdir, "go-build*")); len(work) != 0 {
		t.Errorf("an abandoned build left the go command's work directory %v", work)
	}
	for _, name := range proc.Running() {
		if strings.HasPrefix(name, "go build slow") {
			t.Errorf("%s is still running", name)
		}
	}
}

// BenchmarkSumFile measures the check every run pays for each cached
// binary: a full sha256 of a file of kube-apiserver's size (about 128 MiB),
// read from the page cache as a recently used binary is.
func BenchmarkSumFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "kube-apiserver")
	data := make([]byte, 128<<20)
	rand.Read(data)
	if err := os.WriteFile(p, data, 0o755); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := sumFile(p); err != nil {
			b.Fatal(err)
		}
	}
}

// Builds start in the targets' order, the longest listed first, whatever
// order their goroutines happen to run in; a cached target passes its turn
// on at once.
func TestBuildsStartInTheTargetsOrder(t *testing.T) {
	fakeProxy(t)
	cache := t.TempDir()
	names := []string{"first", "second", "third", "fourth", "fifth", "sixth"}
	cached := fakeTarget("third")
	ensureFake(t, cached, cache)
	var targets []Target
	for _, n := range names {
		targets = append(targets, fakeTarget(n))
	}
	var progress bytes.Buffer
	if _, err := ensureAll(context.Background(), targets, Options{CacheDir: cache, Progress: &progress}, 1, "`make binaries`"); err != nil {
		t.Fatal(err)
	}
	var started []string
	for _, l := range strings.Split(progress.String(), "\n") {
		if rest, ok := strings.CutPrefix(l, "binaries: building "); ok {
			started = append(started, strings.Fields(rest)[0])
		}
	}
	if want := "first second fourth fifth sixth"; strings.Join(started, " ") != want {
		t.Errorf("builds started in the order %v, want %s", started, want)
	}
}
