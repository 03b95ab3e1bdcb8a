// Package hostproxy stands in for the internet hosts the tutorial page
// fetches from, where a run has no internet: an HTTP proxy on 127.0.0.1 that
// accepts CONNECT for exactly the hosts it was given, ends their TLS with a
// certificate from a CA made for the run, answers each request from that
// host's handler (pinned content), refuses every other host in one line that
// says why, and records every request it answered or refused.
//
// The page's commands reach it as a reader's would reach a corporate proxy:
// HTTPS_PROXY names it and SSL_CERT_FILE trusts its CA (Env), so the page
// runs unchanged and the evidence says which hosts were stood in for.
package hostproxy

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Request is one request the proxy saw.
type Request struct {
	Time   time.Time
	Method string
	// Host is the host the client asked for, without the port.
	Host string
	Path string
	// Status is the answer's HTTP status; a refused host gets 403.
	Status int
	Bytes  int64
}

func (r Request) String() string {
	return fmt.Sprintf("%s %s https://%s%s -> %d (%d bytes)", r.Time.UTC().Format(time.RFC3339), r.Method, r.Host, r.Path, r.Status, r.Bytes)
}

// Proxy is a running stand-in. Close stops it.
type Proxy struct {
	// URL is the proxy's address, http://127.0.0.1:PORT.
	URL string
	// CAFile is the PEM file of the run's CA, which a client must trust.
	CAFile string

	hosts   map[string]http.Handler
	ca      *x509.Certificate
	caKey   *ecdsa.PrivateKey
	ln      net.Listener
	tlsConn chan net.Conn
	inner   *http.Server
	outer   *http.Server

	mu    sync.Mutex
	certs map[string]*tls.Certificate
	log   []Request

	closeOnce sync.Once
	done      chan struct{}
}

// Start starts a proxy answering for hosts (a host name, such as
// "ray-project.github.io", to the handler of its pinned content). Its CA
// goes into dir, which the caller owns and removes.
func Start(dir string, hosts map[string]http.Handler) (*Proxy, error) {
	if len(hosts) == 0 {
		return nil, errors.New("hostproxy: no host to answer for")
	}
	for h := range hosts {
		if h == "" || strings.ContainsAny(h, ":/ ") {
			return nil, fmt.Errorf("hostproxy: %q is not a host name (give it without scheme, port or path)", h)
		}
	}
	p := &Proxy{hosts: hosts, certs: map[string]*tls.Certificate{}, tlsConn: make(chan net.Conn), done: make(chan struct{})}
	if err := p.makeCA(dir); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("hostproxy: listen on 127.0.0.1: %w", err)
	}
	p.ln, p.URL = ln, "http://"+ln.Addr().String()
	p.inner = &http.Server{Handler: http.HandlerFunc(p.answer), ReadHeaderTimeout: 30 * time.Second}
	p.outer = &http.Server{Handler: http.HandlerFunc(p.connect), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.inner.Serve(connListener{p}) }()
	go func() { _ = p.outer.Serve(ln) }()
	return p, nil
}

// Env is what a client's environment needs to go through the proxy: every
// HTTPS request to it, none to loopback (the local API server), and its CA
// as the only one trusted, so a host it does not answer fails rather than
// reach the internet. direct are hosts the client reaches itself instead
// (a Go module proxy that this machine reaches).
func (p *Proxy) Env(direct ...string) []string {
	noProxy := strings.Join(append([]string{"127.0.0.1", "localhost"}, direct...), ",")
	return []string{
		"HTTPS_PROXY=" + p.URL, "https_proxy=" + p.URL,
		"HTTP_PROXY=" + p.URL, "http_proxy=" + p.URL,
		"NO_PROXY=" + noProxy, "no_proxy=" + noProxy,
		"SSL_CERT_FILE=" + p.CAFile,
		// git's libcurl is built with GnuTLS on Debian, which does not
		// read SSL_CERT_FILE.
		"GIT_SSL_CAINFO=" + p.CAFile,
	}
}

// Hosts are the hosts the proxy answers for, sorted.
func (p *Proxy) Hosts() []string {
	hosts := make([]string, 0, len(p.hosts))
	for h := range p.hosts {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	return hosts
}

// Log returns the requests seen so far.
func (p *Proxy) Log() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

// Close stops the proxy and waits for its connections to end.
func (p *Proxy) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(p.outer.Shutdown(ctx), p.inner.Shutdown(ctx))
	})
	return err
}

// connect takes the client's CONNECT for a host it answers and hands the
// tunnel, with TLS ended here, to the inner server.
func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if r.Method != http.MethodConnect {
		host = r.URL.Hostname()
	}
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		name = host
	}
	if _, ok := p.hosts[name]; !ok || r.Method != http.MethodConnect {
		p.record(Request{Time: time.Now(), Method: r.Method, Host: name, Path: r.URL.Path, Status: http.StatusForbidden})
		// The reason phrase is what a client prints (Go: "proxyconnect
		// tcp: ... 403 ..."), so it carries the whole explanation.
		reason := fmt.Sprintf("offline run: %s is not a host this run answers for (it answers %s over https only)", name, strings.Join(p.Hosts(), ", "))
		if hj, ok := w.(http.Hijacker); ok {
			if c, buf, err := hj.Hijack(); err == nil {
				fmt.Fprintf(buf, "HTTP/1.1 403 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", reason)
				_ = buf.Flush()
				_ = c.Close()
				return
			}
		}
		http.Error(w, reason, http.StatusForbidden)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "hostproxy: cannot take over the connection", http.StatusInternalServerError)
		return
	}
	c, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = c.Close()
		return
	}
	tc := tls.Server(bufferedConn{c, buf.Reader}, &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return p.cert(name)
		},
	})
	select {
	case p.tlsConn <- tc:
	case <-p.done:
		_ = c.Close()
	}
}

// answer serves one request inside a tunnel from its host's handler.
func (p *Proxy) answer(w http.ResponseWriter, r *http.Request) {
	name := r.Host
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	h, ok := p.hosts[name]
	if !ok {
		http.Error(rec, "hostproxy: no content for host "+name, http.StatusNotFound)
	} else {
		h.ServeHTTP(rec, r)
	}
	p.record(Request{Time: time.Now(), Method: r.Method, Host: name, Path: r.URL.Path, Status: rec.status, Bytes: rec.bytes})
}

func (p *Proxy) record(r Request) {
	p.mu.Lock()
	p.log = append(p.log, r)
	p.mu.Unlock()
}

// cert is the serving certificate of host, made on first use.
func (p *Proxy) cert(host string) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.certs[host]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, p.ca.Raw}, PrivateKey: key}
	p.certs[host] = c
	return c, nil
}

// makeCA makes the run's CA and writes its certificate (never its key,
// which stays in memory) to dir.
func (p *Proxy) makeCA(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kuberay-pod-security-e2e offline stand-in CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	if p.ca, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	p.caKey = key
	p.CAFile = filepath.Join(dir, "hostproxy-ca.pem")
	if err := os.WriteFile(p.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("hostproxy: write its CA: %w", err)
	}
	return nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// connListener hands the inner server the tunnels connect accepted.
type connListener struct{ p *Proxy }

func (l connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.p.tlsConn:
		return c, nil
	case <-l.p.done:
		return nil, net.ErrClosed
	}
}
func (l connListener) Close() error   { return nil }
func (l connListener) Addr() net.Addr { return l.p.ln.Addr() }

// bufferedConn reads first what the CONNECT's reader already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}
