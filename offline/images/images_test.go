package images

import (
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

// The lock pins what versions.go pins, and every line is name==version.
func TestRayLock(t *testing.T) {
	lines := 0
	for _, l := range strings.Split(RayLock(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines++
		if n, v, ok := strings.Cut(l, "=="); !ok || n == "" || v == "" || strings.ContainsAny(l, "<>~ ;") {
			t.Errorf("not an exact pin: %q", l)
		}
	}
	for _, want := range []string{"ray==" + versions.Ray, "xgboost-cpu==" + versions.XGBoost, "virtualenv=="} {
		if !strings.Contains(RayLock(), "\n"+want) {
			t.Errorf("ray-requirements.lock lacks %s", want)
		}
	}
	if !strings.Contains(RayLock(), versions.RayImageLockDate) {
		t.Errorf("ray-requirements.lock's header does not name the resolution date %s", versions.RayImageLockDate)
	}
	if lines < 20 {
		t.Errorf("only %d pins: the lock must pin Ray's dependencies too", lines)
	}
}

func TestCheckFreeze(t *testing.T) {
	var freeze strings.Builder
	for _, l := range strings.Split(RayLock(), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			// pip freeze spells some names differently (case, _ for -).
			freeze.WriteString(strings.ReplaceAll(strings.ToUpper(l[:1])+l[1:], "-", "_") + "\n")
		}
	}
	freeze.WriteString("pip==23.0.1\nsetuptools==66.1.1\n")
	if err := checkFreeze(freeze.String()); err != nil {
		t.Errorf("the lock itself: %v", err)
	}
	bad := strings.Replace(freeze.String(), "Ray=="+versions.Ray, "Ray==2.47.0", 1)
	if err := checkFreeze(bad); err == nil || !strings.Contains(err.Error(), "ray: locked "+versions.Ray) {
		t.Errorf("a different ray: got %v", err)
	}
}

func TestRayImageConfig(t *testing.T) {
	r := DefaultRay()
	if r.Name != versions.OfflineRayImage || strings.HasPrefix(r.Name, "rayproject/") {
		t.Errorf("image name %q: must be the offline tier's own name", r.Name)
	}
	args := strings.Join(r.ImportArgs("/x.tar"), "\x00")
	for _, want := range []string{"USER 1000", "ENV HOME=/home/ray", "ENV PATH=/home/ray/venv/bin:", RecipeLabel + "=" + r.Key(), "/x.tar\x00" + r.Name} {
		if !strings.Contains(args, want) {
			t.Errorf("import arguments lack %q: %q", want, args)
		}
	}
	if r.Key() != DefaultRay().Key() || len(r.Key()) != 12 {
		t.Errorf("recipe key not stable: %s", r.Key())
	}
	other := Ray{Name: r.Name, Suite: "trixie"}
	if other.Key() == r.Key() {
		t.Error("the Debian suite must change the recipe key")
	}
}
