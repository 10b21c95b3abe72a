# shellcheck shell=bash
# Builds the e2e binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kubectl, helm, and our nodenet) from e2e/tools/,
# through the Go module proxy, into a cache outside the repository:
#
#   $KEYWARD_CACHE/bin/<name>-<version>/   the binaries, plus .stamp
#   $KEYWARD_CACHE/src/<name>-<version>/   the module copy where go.sum lives
#
# The version in the directory name is read from the wrapper's go.mod, so
# go.mod stays the single place where a version is pinned. .stamp holds a
# hash of the wrapper files and link flags: a changed wrapper rebuilds, an
# unchanged one costs nothing. go.sum is generated in the cache copy (by
# `go mod tidy`) and checked against the Go checksum database; it is not kept
# in git, so the repository holds no generated module metadata.
#
# Sourced by e2e/cluster; expects KEYWARD_E2E_ROOT (the e2e/ directory).

KEYWARD_CACHE="${KEYWARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyward}"
TOOLS_DIR="$KEYWARD_E2E_ROOT/tools"

# Go lives in /usr/local/go on our machines but is not always on PATH
# (non-login shells, CI).
tools_ensure_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [[ -x /usr/local/go/bin/go ]]; then
      PATH="/usr/local/go/bin:$PATH"
    else
      echo "e2e: Go is required to build the control plane (see scripts/install-deps.sh)" >&2
      return 1
    fi
  fi
}

# tools_module_version <wrapper dir> <module path>: the version that the
# wrapper's go.mod requires (single-line or block form).
tools_module_version() {
  awk -v mod="$2" '
    $1 == "require" && $2 == mod { print $3; exit }
    $1 == mod && $2 ~ /^v/       { print $2; exit }
  ' "$1/go.mod"
}

KUBERNETES_VERSION="$(tools_module_version "$TOOLS_DIR/kubernetes" k8s.io/kubernetes)"
ETCD_VERSION="$(tools_module_version "$TOOLS_DIR/etcd" go.etcd.io/etcd/server/v3)"
HELM_VERSION="$(tools_module_version "$TOOLS_DIR/helm" helm.sh/helm/v3)"

KUBERNETES_BIN_DIR="$KEYWARD_CACHE/bin/kubernetes-$KUBERNETES_VERSION"
ETCD_BIN_DIR="$KEYWARD_CACHE/bin/etcd-$ETCD_VERSION"
HELM_BIN_DIR="$KEYWARD_CACHE/bin/helm-$HELM_VERSION"
# Our own code, versioned by its wrapper's hash (tools_build's stamp).
NODENET_BIN_DIR="$KEYWARD_CACHE/bin/nodenet"

# Link flags that make the binaries report their release version, as the
# upstream release build (hack/lib/version.sh) does; without them
# `kubectl version` shows v0.0.0-master. buildDate is the tag's date from the
# module proxy, fixed here so the build is reproducible.
kubernetes_ldflags() {
  local v="${KUBERNETES_VERSION#v}" flags="" pkg
  local major="${v%%.*}" minor
  minor="${v#*.}"
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION"
    flags+=" -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    # The release commit is not published through the module proxy; an empty
    # gitCommit beats the "$Format:%H$" placeholder left in the source.
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit="
    flags+=" -X $pkg.buildDate=${KUBERNETES_BUILD_DATE:-2026-04-15T18:01:22Z}"
  done
  echo "$flags"
}

# As helm's own release build: its version, and the Kubernetes version that
# `helm template` assumes offline, which helm's Makefile derives from the
# client-go it is built with (v0.34 for helm v3.19).
helm_ldflags() {
  local flags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  flags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=${HELM_K8S_MINOR:-34}"
  done
  echo "$flags"
}

# tools_build <name> <version> <bin dir> <ldflags> <package>...
# Builds the packages of wrapper e2e/tools/<name> into <bin dir>, unless the
# stamp there says they were built from the same wrapper and flags.
tools_build() {
  local name="$1" version="$2" dest="$3" ldflags="$4"
  shift 4
  local src="$TOOLS_DIR/$name" work="$KEYWARD_CACHE/src/$name-$version"
  local stamp pkg missing=0
  stamp="$(cat "$src"/go.mod "$src"/*.go 2>/dev/null | sha256sum | cut -c1-16)-$(echo "$ldflags" | sha256sum | cut -c1-16)"
  for pkg in "$@"; do
    # `go build -o dir/ .` names the binary after the wrapper module.
    [[ "$pkg" == . ]] && pkg="$name"
    [[ -x "$dest/${pkg##*/}" ]] || missing=1
  done
  if ((missing == 0)) && [[ "$(cat "$dest/.stamp" 2>/dev/null)" == "$stamp" ]]; then
    return 0
  fi

  tools_ensure_go
  echo "e2e: building $name $version into $dest (not cached yet, or its wrapper changed)" >&2
  local start=$SECONDS
  rm -rf "$work" "$dest.tmp"
  mkdir -p "$work" "$dest.tmp"
  cp "$src"/go.mod "$work"/
  cp "$src"/*.go "$work"/ 2>/dev/null || true
  # -trimpath and -s -w keep the binaries small and free of local paths; the
  # builds run one after another so a 2-core machine is not oversubscribed.
  (
    cd "$work" || exit 1
    go mod tidy
    go build -trimpath -ldflags "-s -w $ldflags" -o "$dest.tmp/" "$@"
  )
  echo "$stamp" >"$dest.tmp/.stamp"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "e2e: built $name $version in $((SECONDS - start))s" >&2
}

# tools_build_all: every binary the e2e suites use. Serialised by a lock so
# two concurrent `e2e/cluster up` do not build the same thing twice.
tools_build_all() {
  mkdir -p "$KEYWARD_CACHE"
  (
    flock 9
    tools_build etcd "$ETCD_VERSION" "$ETCD_BIN_DIR" "" .
    tools_build kubernetes "$KUBERNETES_VERSION" "$KUBERNETES_BIN_DIR" "$(kubernetes_ldflags)" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubelet
    tools_build helm "$HELM_VERSION" "$HELM_BIN_DIR" "$(helm_ldflags)" helm.sh/helm/v3/cmd/helm
    tools_build nodenet local "$NODENET_BIN_DIR" "" .
  ) 9>"$KEYWARD_CACHE/build.lock"
}
