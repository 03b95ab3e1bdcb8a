// Command pause is this project's pod sandbox ("pause") program for the
// offline Kind node image, where registry.k8s.io/pause cannot be pulled. It
// holds a pod's namespaces: it sleeps until SIGINT or SIGTERM and then exits
// 0, and as PID 1 of a pod sharing its PID namespace it reaps the orphans
// that are re-parented to it.
//
//	pause        wait
//	pause -v     print the version and exit
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Printf("pause (kuberay-pod-security-e2e) %s\n", version)
		return
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	os.Exit(wait(sigs, reap))
}

// wait handles signals until one asks it to stop, and returns the exit code.
func wait(sigs <-chan os.Signal, reapAll func()) int {
	for s := range sigs {
		switch s {
		case syscall.SIGINT, syscall.SIGTERM:
			return 0
		case syscall.SIGCHLD:
			reapAll()
		}
	}
	return 0
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
