// Command etcd is the upstream etcd server, unchanged: it only calls the
// entry point that etcd's own main package calls.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
