// The node's network link for keyward's e2e cluster (see main.go); it needs
// only golang.org/x/sys (setns). Built by e2e/lib/tools.sh like the others.
module keyward.io/e2e/tools/nodenet

go 1.25.0

require golang.org/x/sys v0.38.0
