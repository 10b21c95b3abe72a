// Wrapper module that builds etcd from the published go.etcd.io/etcd/server/v3
// module (v3.6.5 is the etcd that Kubernetes v1.35 is tested with). etcd's own
// replace lines point into its repository and do not apply to a dependency;
// the api, client and pkg modules are required at the same tag by server/v3.
// go.sum is not kept in git: see e2e/lib/tools.sh.
module keyward.io/e2e/tools/etcd

go 1.25.0

require go.etcd.io/etcd/server/v3 v3.6.5
