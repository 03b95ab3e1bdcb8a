package hostproxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func client(t *testing.T, p *Proxy) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(p.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	proxy, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: roots}}}
}

func start(t *testing.T) *Proxy {
	t.Helper()
	p, err := Start(t.TempDir(), map[string]http.Handler{
		"charts.example.org": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/repo/index.yaml" {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, "apiVersion: v1\n")
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestAnswersItsHostsOnly(t *testing.T) {
	p := start(t)
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("proxy at %s: it must listen on 127.0.0.1 only", p.URL)
	}
	c := client(t, p)

	resp, err := c.Get("https://charts.example.org/repo/index.yaml")
	if err != nil {
		t.Fatalf("a host it answers for: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "apiVersion: v1\n" {
		t.Errorf("got %d %q, want 200 with the handler's content", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.PeerCertificates[0].Subject.CommonName != "charts.example.org" {
		t.Error("the answer must come over TLS with a certificate for the host asked for")
	}

	resp, err = c.Get("https://charts.example.org/missing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("a path the handler lacks: %d, want its 404", resp.StatusCode)
	}

	_, err = c.Get("https://pypi.org/simple/")
	if err == nil || !strings.Contains(err.Error(), "pypi.org is not a host this run answers for (it answers charts.example.org") {
		t.Errorf("another host: error %v, want one that names it and the hosts answered", err)
	}
	_, err = c.Get("http://charts.example.org/repo/index.yaml")
	if err == nil {
		resp.Body.Close()
	}

	var got []string
	for _, r := range p.Log() {
		got = append(got, r.Host+r.Path+" "+http.StatusText(r.Status))
	}
	want := []string{"charts.example.org/repo/index.yaml OK", "charts.example.org/missing Not Found", "pypi.org Forbidden", "charts.example.org/repo/index.yaml Forbidden"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if l := p.Log(); l[0].Bytes != int64(len("apiVersion: v1\n")) || !strings.Contains(l[0].String(), "GET https://charts.example.org/repo/index.yaml -> 200") {
		t.Errorf("first entry %q: want the method, URL, status and %d bytes", l[0], len("apiVersion: v1\n"))
	}
}

func TestCAFileHoldsTheCertificateAlone(t *testing.T) {
	// Clients get this file as SSL_CERT_FILE: the CA's key must not leave
	// the process.
	p := start(t)
	pem, _ := os.ReadFile(p.CAFile)
	if strings.Count(string(pem), "BEGIN CERTIFICATE") != 1 || strings.Contains(string(pem), "PRIVATE KEY") {
		t.Errorf("the CA file must hold the CA's certificate alone, never its key")
	}
}

func TestEnv(t *testing.T) {
	p := start(t)
	if env := strings.Join(p.Env("proxy.golang.org"), "\n"); !strings.Contains(env, "NO_PROXY=127.0.0.1,localhost,proxy.golang.org") {
		t.Errorf("Env(proxy.golang.org) does not leave that host to the client:\n%s", env)
	}
	env := strings.Join(p.Env(), "\n")
	for _, want := range []string{"HTTPS_PROXY=" + p.URL, "NO_PROXY=127.0.0.1,localhost", "SSL_CERT_FILE=" + p.CAFile, "GIT_SSL_CAINFO=" + p.CAFile} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
}

func TestStartRefusesBadHosts(t *testing.T) {
	for _, hosts := range []map[string]http.Handler{nil, {"https://x.org/": http.NotFoundHandler()}, {"x.org:443": http.NotFoundHandler()}} {
		if p, err := Start(t.TempDir(), hosts); err == nil {
			p.Close()
			t.Errorf("Start(%v) succeeded; want an error naming the problem", hosts)
		}
	}
}

// A clone through the proxy gets the repository's commit; another path on
// the host is not found, and a push is refused.
func TestGitRepositoryAnswersAClone(t *testing.T) {
	src := t.TempDir()
	git := func(dir string, env []string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append([]string{"HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org"}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		if out, err := git(src, nil, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "kind-config.yaml"), []byte("kind: Cluster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "."}, {"commit", "-q", "-m", "config"}} {
		if out, err := git(src, nil, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	tmp := t.TempDir()
	h, err := GitRepository("owner/repo", filepath.Join(src, ".git"), tmp)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(tmp, map[string]http.Handler{"git.example.org": h})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dst := t.TempDir()
	if out, err := git(dst, p.Env(), "clone", "https://git.example.org/owner/repo.git"); err != nil {
		t.Fatalf("clone through the proxy: %v\n%s", err, out)
	}
	if data, err := os.ReadFile(filepath.Join(dst, "repo", "kind-config.yaml")); err != nil || string(data) != "kind: Cluster\n" {
		t.Errorf("the clone's kind-config.yaml: %q, %v", data, err)
	}
	if out, err := git(dst, p.Env(), "clone", "https://git.example.org/owner/other.git"); err == nil {
		t.Errorf("a clone of another repository succeeded:\n%s", out)
	}
	if out, err := git(filepath.Join(dst, "repo"), p.Env(), "push", "origin", "HEAD:refs/heads/pushed"); err == nil {
		t.Errorf("a push succeeded:\n%s", out)
	}
	for _, bad := range []string{"", "/owner/repo", "owner/repo.git", "../x"} {
		if _, err := GitRepository(bad, filepath.Join(src, ".git"), tmp); err == nil {
			t.Errorf("GitRepository(%q) succeeded", bad)
		}
	}
	if _, err := GitRepository("owner/repo", src, tmp); err == nil || !strings.Contains(err.Error(), "not a git directory") {
		t.Errorf("a work tree as the git directory: %v", err)
	}
}
