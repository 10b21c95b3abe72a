// Wrapper module that builds the helm CLI from the published helm.sh/helm/v3
// module. It holds no code: the `tool` line names the upstream main package.
// go.sum is not kept in git: see e2e/lib/tools.sh.
module keyward.io/e2e/tools/helm

go 1.25.0

require helm.sh/helm/v3 v3.19.5

tool helm.sh/helm/v3/cmd/helm
