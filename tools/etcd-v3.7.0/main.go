// Command etcd is etcd v3.7.0, the version kubeadm v1.37 names in its etcd
// image tag (3.7.0-0); the offline Kind node image runs it. (The local tier
// runs versions.Etcd from tools/etcd.)
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
