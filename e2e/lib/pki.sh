# shellcheck shell=bash
# Throwaway certificates and kubeconfigs for the loopback control plane, made
# with openssl at every `e2e/cluster up` (nothing secret is ever reused).
# P-256 keys: quick to generate, accepted by Go and by OpenSSL clients.
#
# $STATE_DIR/pki/
#   ca.crt ca.key               the cluster CA: signs everything below, and is
#                               kube-controller-manager's --root-ca-file
#   apiserver.crt/.key          kube-apiserver's serving cert
#   sa.key sa.pub               service-account token signing key pair
#   admin.crt/.key              client cert, O=system:masters
#   controller-manager.crt/.key client cert, CN=system:kube-controller-manager
#   webhook-client.crt/.key     what kube-apiserver presents to keyward's
#                               authn/authz webhooks (CN=kube-apiserver)
#   keyward.crt/.key            a serving cert for keyward on 127.0.0.1, so
#                               e2e suites can run the operator's HTTPS port
#                               with a CA kube-apiserver already trusts

pki_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# pki_ca <dir>: the CA, with a minimal config so openssl's distribution
# defaults do not add or duplicate extensions.
pki_ca() {
  local dir="$1"
  pki_key "$dir/ca.key"
  cat >"$dir/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = ca
prompt = no
[dn]
CN = keyward-e2e-ca
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
EOF
  openssl req -x509 -new -key "$dir/ca.key" -config "$dir/ca.cnf" -days 3650 -out "$dir/ca.crt"
}

# pki_leaf <dir> <name> <subject> <extendedKeyUsage> [subjectAltName]
pki_leaf() {
  local dir="$1" name="$2" subject="$3" eku="$4" san="${5:-}"
  pki_key "$dir/$name.key"
  {
    echo "[leaf]"
    echo "basicConstraints = critical, CA:FALSE"
    echo "keyUsage = critical, digitalSignature, keyEncipherment"
    echo "extendedKeyUsage = $eku"
    echo "authorityKeyIdentifier = keyid"
    [[ -z "$san" ]] || echo "subjectAltName = $san"
  } >"$dir/$name.ext"
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 \
    -extfile "$dir/$name.ext" -extensions leaf -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# pki_generate <dir>
pki_generate() {
  local dir="$1"
  mkdir -p "$dir"
  chmod 700 "$dir"
  pki_ca "$dir"
  # 10.0.0.1 is the first address of --service-cluster-ip-range: the
  # in-cluster `kubernetes` Service points at it.
  pki_leaf "$dir" apiserver "/CN=kube-apiserver" serverAuth \
    "DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP:127.0.0.1, IP:10.0.0.1"
  pki_leaf "$dir" admin "/O=system:masters/CN=keyward-e2e-admin" clientAuth
  # In system:masters as well (see docs/control-plane.md, "Restarts"): its
  # informers must not get 403 from a restarted kube-apiserver whose RBAC
  # authorizer is still warming up. Controllers act with their own
  # ServiceAccounts (--use-service-account-credentials), so RBAC still applies
  # to what they do.
  pki_leaf "$dir" controller-manager "/O=system:masters/CN=system:kube-controller-manager" clientAuth
  pki_leaf "$dir" webhook-client "/CN=kube-apiserver" clientAuth
  pki_leaf "$dir" keyward "/CN=keyward" serverAuth "DNS:localhost, IP:127.0.0.1"
  pki_key "$dir/sa.key"
  openssl pkey -in "$dir/sa.key" -pubout -out "$dir/sa.pub"
}

# write_kubeconfig <file> <server url> <ca> <client cert> <client key>
write_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: keyward-e2e
  cluster:
    server: $2
    certificate-authority: $3
users:
- name: user
  user:
    client-certificate: $4
    client-key: $5
contexts:
- name: keyward-e2e
  context:
    cluster: keyward-e2e
    user: user
    namespace: default
current-context: keyward-e2e
EOF
  chmod 600 "$1"
}
