package images

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
)

// DebianMirror returns the Debian archive to debootstrap from:
// E2E_DEBIAN_MIRROR when set, else the first archive the host's own apt
// sources use for suite (deb822 .sources files and one-line .list files),
// so the build goes wherever this machine's apt already goes.
func DebianMirror(suite string) (string, error) {
	if m := settings.DebianMirror(); m != "" {
		return m, nil
	}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		if m := mirrorFromDeb822(readFile(f), suite); m != "" {
			return m, nil
		}
	}
	lists, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	for _, f := range append([]string{"/etc/apt/sources.list"}, lists...) {
		if m := mirrorFromList(readFile(f), suite); m != "" {
			return m, nil
		}
	}
	return "", fmt.Errorf("no Debian archive for %q in the host's apt sources (fix: set E2E_DEBIAN_MIRROR to a Debian archive URL)", suite)
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// mirrorFromDeb822 finds the URI of a "Types: deb" stanza listing suite
// with component main.
func mirrorFromDeb822(text, suite string) string {
	for _, stanza := range strings.Split(text, "\n\n") {
		fields := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(stanza))
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if fields["enabled"] == "no" || !hasWord(fields["types"], "deb") ||
			!hasWord(fields["suites"], suite) || !hasWord(fields["components"], "main") {
			continue
		}
		if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
			return uris[0]
		}
	}
	return ""
}

// mirrorFromList reads one-line "deb [opts] URI suite components" entries.
func mirrorFromList(text, suite string) string {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") {
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) >= 3 && f[1] == suite && hasWord(strings.Join(f[2:], " "), "main") {
			return f[0]
		}
	}
	return ""
}

func hasWord(s, w string) bool {
	for _, x := range strings.Fields(s) {
		if x == w {
			return true
		}
	}
	return false
}
