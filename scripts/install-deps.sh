#!/usr/bin/env bash
# Installs the Debian packages keyward builds and tests with, only those that
# are missing, so a warm machine pays nothing. Needs root (or sudo).
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config clang-16 libclang-rt-16-dev ccache
  libcpprest-dev libyaml-cpp-dev libssl-dev libspdlog-dev libfmt-dev
  libboost-dev libboost-program-options-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev rapidjson-dev libzstd-dev
  python3-pytest python3-yaml
  openssl curl nginx-light ca-certificates
  debootstrap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if ! command -v go >/dev/null && [[ ! -x /usr/local/go/bin/go ]]; then
  echo "install-deps: Go is required for the e2e control plane (kube-apiserver is built from source)" >&2
  exit 1
fi
