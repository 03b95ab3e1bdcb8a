// Command probe is the whole content of the tiny test image: it reports who
// and where it runs (uid, capabilities, addresses) and exits.
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "CapEff:") || strings.HasPrefix(line, "CapBnd:") {
			f := strings.Fields(line)
			fmt.Printf("%s=%s\n", strings.TrimSuffix(f[0], ":"), f[1])
		}
	}
	fmt.Printf("uid=%d\n", os.Getuid())
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		fmt.Printf("addr=%s\n", a)
	}
	fmt.Println("probe: ok")
}
