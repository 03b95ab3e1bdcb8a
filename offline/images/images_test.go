package images

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func TestMirrorFromSources(t *testing.T) {
	deb822 := `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`
	if got := mirrorFromDeb822(deb822, "bookworm"); got != "http://mirror.example/debian" {
		t.Errorf("deb822: %q", got)
	}
	if got := mirrorFromDeb822("Types: deb\nURIs: http://x/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n", "bookworm"); got != "" {
		t.Errorf("disabled stanza used: %q", got)
	}
	list := "# deb http://old/debian bookworm main\ndeb-src http://src/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://list.example/debian bookworm main contrib\n"
	if got := mirrorFromList(list, "bookworm"); got != "http://list.example/debian" {
		t.Errorf("one-line list: %q", got)
	}
	t.Setenv("E2E_DEBIAN_MIRROR", "http://override/debian")
	if got, _ := DebianMirror("bookworm"); got != "http://override/debian" {
		t.Errorf("E2E_DEBIAN_MIRROR ignored: %q", got)
	}
}

// Each pinned Ray release has a lock that pins what versions.go pins for
// it, whose header names the release's resolution date, and every line is
// name==version.
func TestRayLocks(t *testing.T) {
	for _, r := range versions.RayReleases {
		lock, err := RayLock(r)
		if err != nil {
			t.Error(err)
			continue
		}
		if problems := checkRayLock(r, lock); len(problems) > 0 {
			t.Errorf("%s: %s", rayLockFile(r), strings.Join(problems, "; "))
		}
	}
	if _, err := RayLock(versions.RayRelease{Version: "2.47.0"}); err == nil || !strings.Contains(err.Error(), "ray-requirements-2.47.0.lock") {
		t.Errorf("a release without a lock: got %v", err)
	}
}

// The lock check itself fires on a lock resolved on another day, for
// another Ray or XGBoost, or with a range instead of a pin.
func TestRayLockCheckFires(t *testing.T) {
	r := versions.DefaultRay()
	lock, err := RayLock(r)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ from, to, want string }{
		"date":    {r.LockDate, "2025-06-01T00:00:00Z", "resolution date"},
		"ray":     {"\nray==" + r.Version, "\nray==2.47.0", "lacks ray=="},
		"xgboost": {"\nxgboost-cpu==" + r.XGBoost, "\nxgboost-cpu==3.0.0", "lacks xgboost-cpu=="},
		"range":   {"\nsix==", "\nsix>=", "not an exact pin"},
	} {
		bad := strings.ReplaceAll(lock, c.from, c.to)
		if bad == lock {
			t.Fatalf("%s: the lock has no %q to change", name, c.from)
		}
		if p := strings.Join(checkRayLock(r, bad), "; "); !strings.Contains(p, c.want) {
			t.Errorf("%s: got %q, want %q", name, p, c.want)
		}
	}
}

// checkRayLock lists what is wrong with lock as release r's.
func checkRayLock(r versions.RayRelease, lock string) []string {
	var problems []string
	lines := 0
	for _, l := range strings.Split(lock, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines++
		if n, v, ok := strings.Cut(l, "=="); !ok || n == "" || v == "" || strings.ContainsAny(l, "<>~ ;") {
			problems = append(problems, fmt.Sprintf("not an exact pin: %q", l))
		}
	}
	for _, want := range []string{"ray==" + r.Version, "xgboost-cpu==" + r.XGBoost, "virtualenv=="} {
		if !strings.Contains(lock, "\n"+want) {
			problems = append(problems, "lacks "+want)
		}
	}
	for _, want := range []string{"--exclude-newer " + r.LockDate, `"ray[default,train]==` + r.Version + `\nxgboost-cpu==` + r.XGBoost + `\n"`} {
		if !strings.Contains(lock, want) {
			problems = append(problems, fmt.Sprintf("the header does not name the resolution date and requirements (%s)", want))
		}
	}
	if lines < 20 {
		problems = append(problems, fmt.Sprintf("only %d pins: the lock must pin Ray's dependencies too", lines))
	}
	return problems
}

func TestCheckFreeze(t *testing.T) {
	r := versions.DefaultRay()
	lock, err := RayLock(r)
	if err != nil {
		t.Fatal(err)
	}
	var freeze strings.Builder
	for _, l := range strings.Split(lock, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			// pip freeze spells some names differently (case, _ for -).
			freeze.WriteString(strings.ReplaceAll(strings.ToUpper(l[:1])+l[1:], "-", "_") + "\n")
		}
	}
	freeze.WriteString("pip==23.0.1\nsetuptools==66.1.1\n")
	if err := checkFreeze(freeze.String(), lock, "the lock"); err != nil {
		t.Errorf("the lock itself: %v", err)
	}
	bad := strings.Replace(freeze.String(), "Ray=="+r.Version, "Ray==2.47.0", 1)
	if err := checkFreeze(bad, lock, "the lock"); err == nil || !strings.Contains(err.Error(), "ray: locked "+r.Version) {
		t.Errorf("a different ray: got %v", err)
	}
}

// defaultRay is the recipe of the default Ray release.
func defaultRay(t *testing.T) Ray {
	t.Helper()
	r, err := RayFor(versions.DefaultRay())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRayImageConfig(t *testing.T) {
	r := defaultRay(t)
	if r.Name != versions.OfflineRayImage || strings.HasPrefix(r.Name, "rayproject/") {
		t.Errorf("image name %q: must be the offline tier's own name", r.Name)
	}
	// Each release's image, cache entries and recipe are its own.
	keys := map[string]string{}
	for _, rel := range versions.RayReleases {
		o, err := RayFor(rel)
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != rel.OfflineImage() || !strings.Contains(o.Tarball("/c"), "/ray-"+rel.Version+"-") || !strings.Contains(o.wheelDir("/c"), "/ray-"+rel.Version+"-") {
			t.Errorf("Ray %s: image %s, tarball %s, wheels %s", rel.Version, o.Name, o.Tarball("/c"), o.wheelDir("/c"))
		}
		if other, dup := keys[o.Key()]; dup {
			t.Errorf("Ray %s and %s share the recipe key %s", rel.Version, other, o.Key())
		}
		keys[o.Key()] = rel.Version
	}
	args := strings.Join(r.ImportArgs("/x.tar"), "\x00")
	for _, want := range []string{"USER 1000", "ENV HOME=/home/ray", "ENV PATH=/home/ray/venv/bin:", RecipeLabel + "=" + r.Key(), "/x.tar\x00" + r.Name} {
		if !strings.Contains(args, want) {
			t.Errorf("import arguments lack %q: %q", want, args)
		}
	}
	if r.Key() != defaultRay(t).Key() || len(r.Key()) != 12 {
		t.Errorf("recipe key not stable: %s", r.Key())
	}
	other := r
	other.Suite = "trixie"
	if other.Key() == r.Key() {
		t.Error("the Debian suite must change the recipe key")
	}
}
