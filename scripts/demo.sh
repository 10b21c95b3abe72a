#!/usr/bin/env bash
# `make demo`: starts the loopback control plane, installs the CRD, runs the
# operator in the background, applies examples/ and shows what it minted.
# `scripts/demo.sh down` (make demo-down) stops the operator and the cluster.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${KEYWARD_E2E_STATE:-/tmp/keyward-e2e}"
PIDFILE="$STATE/keyward-demo.pid"
LOG="$STATE/keyward-demo.log"
NS=keyward-demo

stop_operator() {
  if [[ -f "$PIDFILE" ]]; then
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$PIDFILE"
  fi
}

if [[ "${1:-}" == "down" ]]; then
  stop_operator
  "$ROOT/e2e/cluster" down
  exit 0
fi

: "${KEYWARD_BIN:=$ROOT/build/operator/keyward}"
[[ -x "$KEYWARD_BIN" ]] || { echo "demo: $KEYWARD_BIN not built (make build)" >&2; exit 1; }

PORT="${KEYWARD_DEMO_PORT:-9443}"
METRICS="${KEYWARD_DEMO_METRICS_PORT:-8080}"
echo "==> control plane (first run on a machine builds kube-apiserver: ~15 min),"
echo "    with its TokenReview/SubjectAccessReview webhooks pointed at keyward"
KEYWARD_E2E_WEBHOOK_URL="https://127.0.0.1:$PORT" "$ROOT/e2e/cluster" up
eval "$("$ROOT/e2e/cluster" env)"
eval "$("$ROOT/e2e/cluster" info | grep -E '^(CA_CERT|KEYWARD_CERT|KEYWARD_KEY|APISERVER_URL)=')"

echo "==> CRD"
kubectl apply -f "$ROOT/crds/"
kubectl wait --for=condition=Established --timeout=60s crd/apikeys.keyward.io >/dev/null
# Discovery and OpenAPI catch up a moment after Established.
for _ in $(seq 1 30); do
  if out="$(kubectl explain apikey.spec.access 2>/dev/null)"; then break; fi
  sleep 1
done
echo "${out:-}" | sed -n '1,12p'

echo "==> lint the examples offline"
"$KEYWARD_BIN" validate -f "$ROOT/examples/"

echo "==> operator, serving HTTPS with a throwaway certificate (signed by the demo cluster's CA)"
for ns in keyward-system "$NS" production; do
  kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
done
stop_operator
"$KEYWARD_BIN" run --kubeconfig "$KUBECONFIG" --namespace keyward-system \
  --tls-cert-file "$KEYWARD_CERT" --tls-private-key-file "$KEYWARD_KEY" \
  --bind-address 127.0.0.1 --secure-port "$PORT" --metrics-bind-address "127.0.0.1:$METRICS" \
  --usage-flush-interval 2s \
  >>"$LOG" 2>&1 &
echo $! >"$PIDFILE"
echo "keyward running as PID $(cat "$PIDFILE"), log: $LOG"
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$METRICS/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sS "http://127.0.0.1:$METRICS/readyz"

echo "==> admission webhooks (/validate, /mutate) for keyward's kinds in namespace $NS"
ca_b64="$(base64 -w0 "$CA_CERT")"
for pair in Validating:validate Mutating:mutate; do
  kind="${pair%%:*}" path="${pair#*:}"
  kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ${kind}WebhookConfiguration
metadata: {name: keyward-demo}
webhooks:
- name: $path.keyward.io
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 5
  clientConfig: {url: "https://127.0.0.1:$PORT/$path", caBundle: "$ca_b64"}
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $NS}}
  rules:
  - apiGroups: [keyward.io]
    apiVersions: [v1alpha1]
    operations: [CREATE, UPDATE]
    resources: [apikeys, apikeytemplates, apikeyrequests, apikeyrequests/status]
    scope: Namespaced
YAML
done
echo "\$ kubectl apply -n $NS -f examples/invalid/regex-not-glob.yaml"
for _ in $(seq 1 50); do  # registered a moment before the API server calls it
  if out="$(kubectl apply -n "$NS" -f "$ROOT/examples/invalid/regex-not-glob.yaml" 2>&1)"; then
    kubectl delete -n "$NS" apikey regex-not-glob --ignore-not-found >/dev/null  # too early: again
  elif [[ "$out" == *"denied the request"* ]]; then
    break
  fi
  sleep 0.2
done
echo "$out"

echo "==> a pod to read logs of (no node runs it: the API object is what keyward checks)"
# The controller manager makes "default" soon; creating it now is the same.
kubectl get serviceaccount default -n production >/dev/null 2>&1 ||
  kubectl create serviceaccount default -n production >/dev/null 2>&1 || true
kubectl get pod web-1 -n production >/dev/null 2>&1 ||
  kubectl run web-1 -n production --image=keyward-demo/app:0 --restart=Never

echo "==> apply examples/"
kubectl apply -n "$NS" -f "$ROOT/examples/"
kubectl wait -n "$NS" --for=jsonpath='{.status.phase}'=Active apikey --all --timeout=60s >/dev/null
kubectl get ak -n "$NS"

# examples/namespace-logs.yaml: grafana-logs may read logs in production and staging.
secret="$(kubectl get apikey -n "$NS" grafana-logs -o jsonpath='{.status.secretName}')"
echo
echo "==> a permanent key, read from Secret $NS/$secret"
echo "kubectl get secret -n $NS $secret -o jsonpath='{.data.key}' | base64 -d"
kubectl get secret -n "$NS" "$secret" -o jsonpath='{.data.key}' | base64 -d
echo
echo
echo "==> access checks with that key (keyward check reads the key from stdin)"
key="$(kubectl get secret -n "$NS" "$secret" -o jsonpath='{.data.key}' | base64 -d)"
target_ns=production
typo_char=X; [[ "${key:10:1}" == X ]] && typo_char=Y
echo "\$ keyward check -n $target_ns --pod web-1 --container app"
echo "$key" | "$KEYWARD_BIN" check -n "$target_ns" --pod web-1 --container app || true
echo "\$ keyward check -n kube-system --pod etcd-0"
echo "$key" | "$KEYWARD_BIN" check -n kube-system --pod etcd-0 || true
echo "\$ keyward check -n $target_ns   # with a one-character typo in the key"
echo "${key:0:10}${typo_char}${key:11}" | "$KEYWARD_BIN" check -n "$target_ns" || true
echo
echo "==> the same key over HTTPS: POST /v1/check"
check() {
  echo "\$ curl --cacert ca.crt https://127.0.0.1:$PORT/v1/check -H 'Authorization: Bearer \$KEY' -H 'Content-Type: application/json' -d '$1'"
  curl -sS --cacert "$CA_CERT" "https://127.0.0.1:$PORT/v1/check" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d "$1"
  echo
}
check "{\"namespace\":\"$target_ns\",\"pod\":\"web-1\",\"container\":\"app\"}"
check '{"namespace":"kube-system","pod":"etcd-0"}'
echo
echo "==> kubectl with the key as its token (TokenReview + SubjectAccessReview by keyward)"
empty="$STATE/keyward-demo-empty.kubeconfig"
printf 'apiVersion: v1\nkind: Config\n' >"$empty"
for ns in "$target_ns" kube-system; do
  echo "\$ kubectl --token \$KEY auth can-i get pods --subresource=log -n $ns"
  kubectl --kubeconfig "$empty" --server "$APISERVER_URL" --certificate-authority "$CA_CERT" \
    --token "$key" auth can-i get pods --subresource=log -n "$ns" || true
done
echo
echo "==> a volatile key (memory only), revealed once: GET /v1/reveal as a caller RBAC allows"
kubectl -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: ci-job}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reveal-ci}
rules: [{apiGroups: [keyward.io], resources: [apikeys/reveal], resourceNames: [ci-smoke-test], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reveal-ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reveal-ci}
subjects: [{kind: ServiceAccount, name: ci-job, namespace: $NS}]
YAML
ci_token="$(kubectl -n "$NS" create token ci-job)"
for attempt in first second; do
  echo "\$ curl --cacert ca.crt https://127.0.0.1:$PORT/v1/reveal/$NS/ci-smoke-test -H 'Authorization: Bearer \$(kubectl create token ci-job)'   # $attempt time"
  curl -sS --cacert "$CA_CERT" "https://127.0.0.1:$PORT/v1/reveal/$NS/ci-smoke-test" \
    -H "Authorization: Bearer $ci_token" -w ' (HTTP %{http_code})' || true
  echo
done
echo
echo "==> a key requested from a template, approved, issued (examples/template-logs-reader.yaml)"
echo "\$ keyward requests -n $NS"
"$KEYWARD_BIN" requests -n "$NS" --kubeconfig "$KUBECONFIG"
echo "\$ keyward approve -n $NS grafana-panel --reason 'demo'"
"$KEYWARD_BIN" approve -n "$NS" grafana-panel --reason "demo" --kubeconfig "$KUBECONFIG"
kubectl wait -n "$NS" --for=condition=Issued apikeyrequest/grafana-panel --timeout=60s >/dev/null
kubectl wait -n "$NS" --for=jsonpath='{.status.phase}'=Active apikey/grafana-panel --timeout=60s >/dev/null
kubectl get akr -n "$NS"
kubectl get ak -n "$NS" grafana-panel
key="$(kubectl get secret -n "$NS" grafana-panel-apikey -o jsonpath='{.data.key}' | base64 -d)"
check "{\"namespace\":\"$target_ns\",\"pod\":\"web-1\",\"container\":\"app\"}"
echo "\$ keyward usage -n $NS   # requests and cost this month, from status.usage"
kubectl wait -n "$NS" --for=jsonpath='{.status.usage.total}'=1 apikey/grafana-panel --timeout=30s >/dev/null || true
"$KEYWARD_BIN" usage -n "$NS" --kubeconfig "$KUBECONFIG"
echo
echo "==> events"
kubectl get events -n "$NS" --field-selector involvedObject.kind=ApiKey | head -n 10
echo
echo "The cluster and the operator keep running. Try:"
echo "  eval \"\$(e2e/cluster env)\"; kubectl get ak -A"
echo "  curl -s http://127.0.0.1:$METRICS/metrics | grep ^keyward_"
echo "  make demo-down    # stop the operator and the control plane"
