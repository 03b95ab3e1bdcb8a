package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/rest"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// fakeExecServer stands in for the API server's pods/exec endpoint. It
// records every exec request, whatever its protocol, because each one would
// start the command again in a real container.
type fakeExecServer struct {
	// webSocket says whether it serves WebSocket exec; false refuses the
	// upgrade, as a Kubernetes before 1.30 (the tutorial's 1.24) refuses the
	// v5.channel.k8s.io subprotocol that client-go asks for.
	webSocket bool

	mu      sync.Mutex
	methods []string // of each exec request, in order
}

// start serves f until the test ends and returns a client configuration for
// it. httptest listens on the loopback interface (127.0.0.1) only.
func (f *fakeExecServer) start(t *testing.T) *rest.Config {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

func (f *fakeExecServer) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.methods)
}

func (f *fakeExecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/exec") {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	f.methods = append(f.methods, r.Method)
	f.mu.Unlock()
	if r.Method != http.MethodGet || !f.webSocket {
		// SPDY upgrades (POST) are refused too: the tests only need to
		// know whether the client tried one.
		http.Error(w, "upgrade refused by the fake server", http.StatusForbidden)
		return
	}
	up := websocket.Upgrader{Subprotocols: []string{remotecommand.StreamProtocolV5Name, remotecommand.StreamProtocolV4Name}}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	defer conn.Close()
	// The "command" prints a line and exits 3: each frame's first byte is
	// its channel, and the exit status goes on the error channel.
	status, err := json.Marshal(metav1.Status{
		Status:  metav1.StatusFailure,
		Reason:  remotecommand.NonZeroExitCodeReason,
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: remotecommand.ExitCodeCauseType, Message: "3"}}},
	})
	if err != nil {
		panic(err)
	}
	frames := [][]byte{
		append([]byte{remotecommand.StreamStdOut}, "ran\n"...),
		append([]byte{remotecommand.StreamErr}, status...),
	}
	for _, frame := range frames {
		if conn.WriteMessage(websocket.BinaryMessage, frame) != nil {
			return
		}
	}
	if conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")) != nil {
		return
	}
	// Read until the client hangs up, so that closing does not reset the
	// connection under frames the client has yet to read.
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// A command that exits non-zero over WebSocket ran once: its exit code is the
// result, not a reason to run it again over SPDY.
func TestExecNonZeroExitRunsOnce(t *testing.T) {
	f := &fakeExecServer{webSocket: true}
	res, err := Exec(context.Background(), f.start(t), "ns", "pod", "c", []string{"false"})
	if err != nil {
		t.Errorf("Exec: %v", err)
	}
	if res.ExitCode != 3 || res.Stdout != "ran\n" {
		t.Errorf("Exec = %+v, want exit code 3 and stdout %q", res, "ran\n")
	}
	if got := f.requests(); !slices.Equal(got, []string{http.MethodGet}) {
		t.Errorf("exec requests = %q, want one WebSocket GET", got)
	}
}

// An API server without WebSocket exec still gets the command, over SPDY.
func TestExecFallsBackToSPDYWhenUpgradeRefused(t *testing.T) {
	f := &fakeExecServer{webSocket: false}
	_, err := Exec(context.Background(), f.start(t), "ns", "pod", "c", []string{"true"})
	if err == nil {
		t.Error("Exec succeeded though the fake server refuses SPDY too")
	}
	if got := f.requests(); !slices.Equal(got, []string{http.MethodGet, http.MethodPost}) {
		t.Errorf("exec requests = %q, want the WebSocket GET then the SPDY POST", got)
	}
}

func TestShouldFallback(t *testing.T) {
	upgrade := &httpstream.UpgradeFailureError{Cause: errors.New("websocket: bad handshake (400 Bad Request)")}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"upgrade failure", upgrade, true},
		{"wrapped upgrade failure", fmt.Errorf("dial: %w", upgrade), true},
		{"HTTPS proxy", errors.New("proxy: unknown scheme: https"), true},
		{"exit code", utilexec.CodeExitError{Err: errors.New("command terminated with exit code 3"), Code: 3}, false},
		{"cancelled", context.Canceled, false},
		{"stream", fmt.Errorf("next reader: %w", io.ErrUnexpectedEOF), false},
	} {
		if got := shouldFallback(tc.err); got != tc.want {
			t.Errorf("%s: shouldFallback(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
