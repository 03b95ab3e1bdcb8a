// Command local-binaries builds (or finds in the cache) the local tier's
// pinned binaries and prints their paths, so that CI or a user can pay the
// cold build once, before the first test run.
//
//	go run ./cmd/local-binaries [-kubernetes 1.29] [-node] [-tools]
//
// -tools also builds the tools a reader of the tutorial types, kubectl of
// that release and helm (binaries.ToolTargets); -node also builds the offline Kind node's kubelet, kubeadm, kubectl,
// kube-proxy, crictl and CoreDNS (binaries.NodeTargets).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func main() {
	version := flag.String("kubernetes", versions.DefaultKubernetes, "pinned Kubernetes version to build (e.g. 1.24, 1.29, 1.34 or 1.37)")
	kuberay := flag.String("kuberay", versions.KubeRay, "pinned KubeRay release whose operator to build: "+strings.Join(versions.SupportedKubeRay(), ", "))
	node := flag.Bool("node", false, "also build the Kind node's kubelet, kubeadm, kubectl, kube-proxy, crictl and CoreDNS")
	tools := flag.Bool("tools", false, "also build the tutorial reader's kubectl of that release and helm "+versions.Helm)
	onlyTools := flag.Bool("only-tools", false, "build only the reader's kubectl and helm (what the kind tier's page needs)")
	flag.Parse()
	k, err := versions.LookupKubernetes(*version)
	if err != nil {
		fmt.Fprintf(os.Stderr, "-kubernetes: %v\n", err)
		os.Exit(2)
	}
	r, err := versions.LookupKubeRay(*kuberay)
	if err != nil {
		fmt.Fprintf(os.Stderr, "-kuberay: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	if *onlyTools {
		printTools(ctx, k)
		return
	}
	set, err := binaries.Ensure(ctx, k, binaries.WithKubeRay(r))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, p := range []string{set.APIServer, set.ControllerManager, set.Scheduler, set.Etcd, set.KWOK, set.Operator} {
		fmt.Println(p)
	}
	if *node {
		paths, err := binaries.EnsureNode(ctx, k)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, t := range binaries.NodeTargets(k) {
			for _, b := range t.Binaries {
				fmt.Println(paths[b])
			}
		}
	}
	if *tools {
		printTools(ctx, k)
	}
	fmt.Fprintf(os.Stderr, "local-binaries: Kubernetes %s set ready in %s\n", k.Version, time.Since(start).Round(time.Millisecond))
}

// printTools builds the reader's kubectl and helm and prints their paths.
func printTools(ctx context.Context, k versions.Kubernetes) {
	t, err := binaries.EnsureTools(ctx, k)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(t.Kubectl)
	fmt.Println(t.Helm)
}
