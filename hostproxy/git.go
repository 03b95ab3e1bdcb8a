package hostproxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// GitRepository answers a clone of https://<host>/<repoPath>.git from the
// git directory gitDir, as a Git hosting service does: Git's smart HTTP
// protocol, served by git's own http-backend (read only: it refuses a push
// from an unauthenticated client). Any other path is not found. tmp is a
// directory the caller owns and removes, where the repository is linked
// under the path the clone URL names.
func GitRepository(repoPath, gitDir, tmp string) (http.Handler, error) {
	// IsLocal also refuses "" and an absolute path.
	if strings.HasSuffix(repoPath, ".git") || !filepath.IsLocal(repoPath) {
		return nil, fmt.Errorf("hostproxy: %q is not a repository path such as owner/name", repoPath)
	}
	if info, err := os.Stat(filepath.Join(gitDir, "objects")); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("hostproxy: %s is not a git directory (no objects/): a clone of %s cannot be answered from it", gitDir, repoPath)
	}
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("hostproxy: git --exec-path: %w (a clone is answered by git's http-backend: install git)", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		return nil, fmt.Errorf("hostproxy: %s: %w (install git's http-backend, in Debian's git package)", backend, err)
	}
	root := filepath.Join(tmp, "git")
	link := filepath.Join(root, repoPath+".git")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(gitDir)
	if err != nil {
		return nil, err
	}
	if err := os.Symlink(abs, link); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	prefix := "/" + repoPath + ".git/"
	h := &cgi.Handler{Path: backend, Root: "/", Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}), nil
}
