package hostproxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
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
	env := strings.Join(p.Env(), "\n")
	for _, want := range []string{"HTTPS_PROXY=" + p.URL, "NO_PROXY=127.0.0.1,localhost", "SSL_CERT_FILE=" + p.CAFile} {
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
