// Command oci-capdrop is an OCI runtime in front of runc for kernels whose
// capability bounding set lacks CAP_SYS_RESOURCE (see package ocicaps). It
// removes the capabilities named at build time from the spec of "create" and
// "run" and from the process file of "exec", then replaces itself with the
// real runtime, passing every argument through unchanged.
//
// Build: go build -ldflags "-X main.runtime=/usr/sbin/runc -X main.drop=CAP_SYS_RESOURCE"
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/kuberay-docs/pod-security-e2e/offline/ocicaps"
)

var (
	runtime = "/usr/sbin/runc"
	drop    = "CAP_SYS_RESOURCE"
)

func main() {
	cwd, _ := os.Getwd()
	if err := ocicaps.Apply(os.Args[1:], cwd, strings.Split(drop, ",")); err != nil {
		fmt.Fprintf(os.Stderr, "oci-capdrop: %v (fix: check the bundle the runtime was given)\n", err)
		os.Exit(1)
	}
	argv := append([]string{runtime}, os.Args[1:]...)
	if err := syscall.Exec(runtime, argv, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "oci-capdrop: exec %s: %v (fix: rebuild with -X main.runtime=<path of runc>)\n", runtime, err)
		os.Exit(127)
	}
}
