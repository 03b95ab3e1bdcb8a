// Package kube holds the client-go plumbing the suite needs beyond plain
// CRUD: exec into a container and port-forward to a pod.
package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// ExecResult is what a command in a container did.
type ExecResult struct {
	Stdout, Stderr string
	ExitCode       int
}

// Exec runs command in a container and waits for it. A non-zero exit is not
// an error: it is reported in ExitCode; err is for failures to run at all.
func Exec(ctx context.Context, cfg *rest.Config, ns, pod, container string, command []string) (ExecResult, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return ExecResult{}, err
	}
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: command, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	spdyExec, err := remotecommand.NewSPDYExecutor(cfg, http.MethodPost, req.URL())
	if err != nil {
		return ExecResult{}, err
	}
	// WebSockets are the current protocol; SPDY is the fallback for API
	// servers before 1.30, such as the tutorial's 1.24.
	wsExec, err := remotecommand.NewWebSocketExecutor(cfg, http.MethodGet, req.URL().String())
	if err != nil {
		return ExecResult{}, err
	}
	executor, err := remotecommand.NewFallbackExecutor(wsExec, spdyExec, shouldFallback)
	if err != nil {
		return ExecResult{}, err
	}
	var stdout, stderr bytes.Buffer
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	res := ExecResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr utilexec.ExitError
	if errors.As(err, &exitErr) {
		res.ExitCode = exitErr.ExitStatus()
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("exec %q in %s/%s (container %s): %w", strings.Join(command, " "), ns, pod, container, err)
	}
	return res, nil
}

// shouldFallback says whether a WebSocket exec failed before the command
// started, so that running it over SPDY cannot run it twice: only when the
// upgrade was refused, or the HTTPS-proxy dial of gorilla/websocket failed,
// as kubectl decides. Any other error, a non-zero exit included, comes from a
// command that may have run. These are k8s.io/streaming's predicates: the
// errors client-go returns are its types, not the deprecated copies in
// k8s.io/apimachinery/pkg/util/httpstream.
func shouldFallback(err error) bool {
	return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
}

// PortForward forwards a free port on 127.0.0.1 (never other interfaces) to
// remotePort of a pod. It returns the local port and a function that ends
// the forwarding.
func PortForward(ctx context.Context, cfg *rest.Config, ns, pod string, remotePort int, log io.Writer) (int, func(), error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return 0, nil, err
	}
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward")
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return 0, nil, err
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, req.URL())
	stopCh, readyCh := make(chan struct{}), make(chan struct{})
	if log == nil {
		log = io.Discard
	}
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", remotePort)}, stopCh, readyCh, log, log)
	if err != nil {
		return 0, nil, err
	}
	errCh := make(chan error, 1)
	go func() { errCh <- fw.ForwardPorts() }()
	stop := func() {
		select {
		case <-stopCh:
		default:
			close(stopCh)
		}
	}
	select {
	case <-readyCh:
	case err := <-errCh:
		return 0, nil, fmt.Errorf("port-forward to %s/%s:%d: %w", ns, pod, remotePort, err)
	case <-ctx.Done():
		stop()
		return 0, nil, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) != 1 {
		stop()
		return 0, nil, fmt.Errorf("port-forward to %s/%s:%d: no local port: %v", ns, pod, remotePort, err)
	}
	return int(ports[0].Local), stop, nil
}
