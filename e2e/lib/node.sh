# shellcheck shell=bash
# The e2e cluster's node: containerd, kubelet and kube-scheduler, with the
# node in a network namespace of its own (see docs/control-plane.md, "The
# node"). Sourced by e2e/cluster; expects STATE_DIR, PKI, KUBERNETES_BIN_DIR,
# NODENET_BIN_DIR and the helpers of common.sh and pki.sh.
#
# Addresses, all inside the namespace that `up --with-node` makes and `down`
# removes; nothing routes between it and the rest of the machine:
#   10.88.0.2      the node (kubelet :10250), on the veth keyward0
#   10.0.0.1       the `kubernetes` Service: nodenet forwards :443 to the API server
#   10.244.0.0/24  pods, on the CNI bridge keyward-cni0 (gateway .1); a pod
#                  has routes to the Service range and the node, no default

NODE_NAME=keyward-node
NODE_IP=10.88.0.2
NODE_CIDR=10.88.0.0/24
POD_CIDR=10.244.0.0/24
SERVICE_IP=10.0.0.1
NODE_DIR="$STATE_DIR/node"
CONTAINERD_SOCK="$NODE_DIR/containerd.sock"
EGRESS_SOCK="$NODE_DIR/egress.sock"
PAUSE_IMAGE=keyward.local/pause:e2e
NODE_COMPONENTS=(nodenet containerd kubelet kube-scheduler)

# One namespace per state dir, so two clusters never share one.
node_netns() { echo "keyward-e2e-$(printf '%s' "$STATE_DIR" | cksum | cut -d' ' -f1)"; }

node_prereqs() {
  [[ $(id -u) -eq 0 ]] || die "the node (kubelet, containerd, network namespaces) needs root"
  local missing=() cmd
  for cmd in containerd runc ctr nsenter ip gcc docker; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  if ((${#missing[@]})); then
    log "installing what the node needs (missing: ${missing[*]})"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd runc iproute2 \
      util-linux containernetworking-plugins gcc libc6-dev >/dev/null
  fi
  command -v docker >/dev/null 2>&1 || die "the node's images are built with docker, which is missing"
}

node_net_up() {
  local ns
  ns="$(node_netns)"
  [[ -e "/run/netns/$ns" ]] && ip netns del "$ns"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # The node's interface: one end of a veth pair whose both ends stay in
  # the namespace (this kernel has no dummy links), up so it has carrier.
  ip -n "$ns" link add keyward0 type veth peer name keyward1
  ip -n "$ns" addr add "$NODE_IP/24" dev keyward0
  ip -n "$ns" addr add "$SERVICE_IP/32" dev keyward0
  ip -n "$ns" link set keyward1 up
  ip -n "$ns" link set keyward0 up
  # Pods reach the node and the Service IP through the bridge, which is the
  # only other interface here: no route leads out of the namespace.
  nsenter --net="/run/netns/$ns" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
}

node_net_down() {
  local ns
  ns="$(node_netns)"
  if [[ -e "/run/netns/$ns" ]]; then ip netns del "$ns"; fi
  return 0
}

node_pki() {
  # system:masters as well as system:nodes, like the controller manager's:
  # see docs/control-plane.md, "Restarts". NodeRestriction still applies.
  pki_leaf "$PKI" kubelet "/O=system:nodes/O=system:masters/CN=system:node:$NODE_NAME" clientAuth
  pki_leaf "$PKI" kubelet-serving "/CN=$NODE_NAME" serverAuth "IP:$NODE_IP, DNS:$NODE_NAME"
  pki_leaf "$PKI" scheduler "/O=system:masters/CN=system:kube-scheduler" clientAuth
  # kube-apiserver -> kubelet (logs, exec), as kubeadm's
  # apiserver-kubelet-client: a client the kubelet's webhook authorizer lets in.
  pki_leaf "$PKI" apiserver-kubelet-client \
    "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
}

write_containerd_config() {
  mkdir -p "$NODE_DIR/containerd" "$NODE_DIR/cni"
  cat >"$NODE_DIR/containerd.toml" <<EOF
# containerd for the e2e node only: its own root, state and sockets, never
# Docker's. Each choice is explained in docs/control-plane.md.
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$NODE_DIR/containerd-ttrpc.sock"
[debug]
  level = "warn"
[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  netns_mounts_under_state_dir = true
  # This machine's root lacks CAP_SYS_RESOURCE: a pod's oom_score_adj may
  # not go below our own (runc fails with "Permission denied" otherwise).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni"
EOF
  cat >"$NODE_DIR/cni/10-keyward.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "keyward-e2e",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "keyward-cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "10.0.0.0/24"}, {"dst": "$NODE_CIDR"}],
        "dataDir": "$NODE_DIR/cni-ipam"
      }
    }
  ]
}
EOF
}

ctr_node() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
containerd_ready() { ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; }

# node_load_image <docker image>: what `kind load docker-image` does.
node_load_image() {
  local image="$1"
  docker image inspect "$image" >/dev/null 2>&1 || die "no local Docker image $image"
  docker save "$image" | ctr_node images import --snapshotter native --no-unpack=false - >/dev/null
}

# The pod sandbox image: pause.c, static, in an image FROM scratch.
node_pause_image() {
  if ! docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1; then
    local dir
    dir="$(mktemp -d)"
    gcc -Os -static -Wall -Wextra -o "$dir/pause" "$KEYWARD_E2E_ROOT/node/pause.c"
    cp "$KEYWARD_E2E_ROOT/node/Dockerfile.pause" "$dir/Dockerfile"
    docker build -q -t "$PAUSE_IMAGE" "$dir" >/dev/null
    rm -rf "$dir"
  fi
  node_load_image "$PAUSE_IMAGE"
}

write_kubelet_config() {
  mkdir -p "$NODE_DIR/kubelet"
  write_kubeconfig "$NODE_DIR/kubelet.kubeconfig" "https://$SERVICE_IP:443" "$PKI/ca.crt" \
    "$PKI/kubelet.crt" "$PKI/kubelet.key"
  cat >"$NODE_DIR/kubelet.yaml" <<EOF
# kubelet of the e2e node; docs/control-plane.md explains each choice.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# This machine's cgroups are v1, and nothing here runs systemd.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
# No DNS add-on: pods get the node's resolv.conf.
resolvConf: /etc/resolv.conf
# Images are imported, never pulled: they must not be collected.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# A shared test machine, not a dedicated node: no eviction on its disk or
# memory levels, no local-storage accounting on a root file system of
# unknown kind.
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
localStorageCapacityIsolation: false
# Leave the machine's kernel settings alone.
protectKernelDefaults: false
makeIPTablesUtilChains: false
serializeImagePulls: false
maxPods: 30
registerNode: true
podCIDR: $POD_CIDR
nodeStatusReportFrequency: 10s
syncFrequency: 10s
EOF
}

scheduler_args() {
  local kc="$NODE_DIR/scheduler.kubeconfig"
  write_kubeconfig "$kc" "$APISERVER_URL" "$PKI/ca.crt" "$PKI/scheduler.crt" "$PKI/scheduler.key"
  ARGS=(
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc"
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT"
    --authentication-skip-lookup=true
    --leader-elect=false
    --v=1
  )
}

kubelet_args() {
  ARGS=(
    --config="$NODE_DIR/kubelet.yaml"
    --kubeconfig="$NODE_DIR/kubelet.kubeconfig"
    --root-dir="$NODE_DIR/kubelet"
    --hostname-override="$NODE_NAME"
    --node-ip="$NODE_IP"
    --v=1
  )
}

nodenet_args() {
  ARGS=(
    --netns="/run/netns/$(node_netns)"
    --apiserver="127.0.0.1:$APISERVER_PORT"
    --forward="$SERVICE_IP:443"
    --egress-socket="$EGRESS_SOCK"
    --allow="$NODE_CIDR" --allow="$POD_CIDR"
  )
}

# kube-apiserver's side of the node: "cluster" traffic (kubelet, Service
# endpoints of webhooks, pods/proxy) through nodenet into the namespace;
# everything else stays direct (and on loopback).
apiserver_node_args() {
  cat >"$NODE_DIR/egress-selector.yaml" <<EOF
apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: $EGRESS_SOCK
EOF
  ARGS+=(
    --egress-selector-config-file="$NODE_DIR/egress-selector.yaml"
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt"
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key"
    --kubelet-certificate-authority="$PKI/ca.crt"
    --kubelet-preferred-address-types=InternalIP
    # Webhooks behind a Service are called at an endpoint's address: no
    # kube-proxy, no ClusterIP routing.
    --enable-aggregator-routing=true
  )
}

kubelet_healthy() { nsenter --net="/run/netns/$(node_netns)" curl -fsS --max-time 2 http://127.0.0.1:10248/healthz >/dev/null; }
scheduler_healthy() { curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz" >/dev/null; }
node_ready() {
  apiserver_get "/api/v1/nodes/$NODE_NAME" |
    python3 -c 'import json,sys; n=json.load(sys.stdin); sys.exit(0 if any(c["type"]=="Ready" and c["status"]=="True" for c in n["status"].get("conditions",[])) else 1)'
}

# node_up: everything after the control plane is healthy.
node_up() {
  node_prereqs
  mkdir -p "$NODE_DIR"
  node_net_up
  write_containerd_config
  write_kubelet_config

  nodenet_args
  start nodenet "$NODENET_BIN_DIR/nodenet"
  wait_healthy nodenet 10 test -S "$EGRESS_SOCK"

  START_NETNS="/run/netns/$(node_netns)"
  ARGS=(--config "$NODE_DIR/containerd.toml")
  start containerd "$(command -v containerd)"
  wait_healthy containerd 30 containerd_ready
  node_pause_image

  kubelet_args
  start kubelet "$KUBERNETES_BIN_DIR/kubelet"
  START_NETNS=""
  wait_healthy kubelet 60 kubelet_healthy

  scheduler_args
  start kube-scheduler "$KUBERNETES_BIN_DIR/kube-scheduler"
  wait_healthy kube-scheduler 60 scheduler_healthy
  wait_healthy kubelet 90 node_ready
}

# Every pod's containers die with the node. The kubelet goes first, so it
# restarts nothing; then each task is killed and deleted through containerd
# (its shim exits with it: shims outlive containerd otherwise), and what is
# left mounted under $NODE_DIR (pod network namespaces, volumes, root file
# systems) is released before the namespace goes.
node_down() {
  local id
  stop_component kube-scheduler 10
  stop_component kubelet 15
  if component_pid containerd; then
    for id in $(ctr_node tasks ls -q 2>/dev/null); do
      ctr_node tasks kill -s KILL "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr_node tasks ls -q 2>/dev/null); do
      ctr_node tasks delete -f "$id" >/dev/null 2>&1 || true
    done
  fi
  stop_component containerd 15
  stop_component nodenet 5
  node_release_mounts
  node_net_down
}

# Unmounts what containerd and the kubelet left mounted under $NODE_DIR
# (deepest first), so that `down` can remove the state dir.
node_release_mounts() {
  local m
  [[ -d "$NODE_DIR" ]] || return 0
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$NODE_DIR" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
}
