"""keyward keeps its own webhook TLS (--webhook-ca-secret), on the real
control plane: it makes a CA in a Secret, serves a certificate issued from
it, and fills the caBundle of webhook configurations registered without one;
the API server then calls the admission webhook trusting that CA, and keeps
doing so while the serving certificate is renewed."""

from __future__ import annotations

import base64
import json
import ssl
import socket
import threading

from conftest import wait_for
from keyward_process import OPERATOR_NAMESPACE, KeywardProcess, ensure_operator_namespace
from test_server import free_port

CA_SECRET = "keyward-e2e-webhook-ca"


def served_certificate(port: int) -> bytes:
    """The DER certificate the HTTPS port presents now."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def configurations(name: str, port: int, namespace: str) -> list[dict]:
    hook = lambda hook_name, path: {
        "name": hook_name, "admissionReviewVersions": ["v1"], "sideEffects": "None",
        "failurePolicy": "Fail", "timeoutSeconds": 5,
        "clientConfig": {"url": f"https://127.0.0.1:{port}/{path}"},  # no caBundle: keyward's job
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        "rules": [{"apiGroups": ["keyward.io"], "apiVersions": ["v1alpha1"], "resources": ["apikeys"],
                   "operations": ["CREATE", "UPDATE"], "scope": "Namespaced"}]}
    return [{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
             "metadata": {"name": name}, "webhooks": [hook("validate.keyward.io", "validate")]},
            {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
             "metadata": {"name": name}, "webhooks": [hook("mutate.keyward.io", "mutate")]}]


def bad_apikey() -> dict:
    return {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "metadata": {"name": "bad"},
            "spec": {"description": "x", "access": [{"scope": "galaxy"}]}}


def good_apikey(name: str, namespace: str) -> dict:
    return {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "metadata": {"name": name},
            "spec": {"description": "e2e webhook tls",
                     "access": [{"scope": "namespace", "namespaces": [namespace]}]}}


def test_keyward_keeps_its_webhook_tls_and_the_api_server_trusts_it(cluster, crds, namespace, tmp_path):
    ensure_operator_namespace(cluster)
    cluster.kubectl("delete", "secret", CA_SECRET, "-n", OPERATOR_NAMESPACE, "--ignore-not-found")
    port, metrics_port = free_port(), free_port()
    name = f"keyward-e2e-tls-{namespace}"[:63]
    configs = configurations(name, port, namespace)
    cluster.apply(configs)
    proc = KeywardProcess(cluster, tmp_path / "keyward.log",
                          "--webhook-ca-secret", CA_SECRET, "--tls-dns-names", "127.0.0.1",
                          "--tls-cert-file", str(tmp_path / "tls.crt"),
                          "--tls-private-key-file", str(tmp_path / "tls.key"),
                          "--tls-validity", "45s",
                          "--validating-webhook-configuration", name,
                          "--mutating-webhook-configuration", name,
                          "--bind-address", "127.0.0.1", "--secure-port", str(port),
                          "--metrics-bind-address", f"127.0.0.1:{metrics_port}").start()
    try:
        # The CA reaches every caBundle by itself.
        secret = wait_for(lambda: cluster.exists("secret", CA_SECRET, "-n", OPERATOR_NAMESPACE)
                          and cluster.kubectl_json("get", "secret", CA_SECRET, "-n", OPERATOR_NAMESPACE),
                          timeout=30, message="the CA Secret")
        bundle = secret["data"]["ca.crt"]
        for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
            wait_for(lambda: cluster.kubectl_json("get", kind, name)["webhooks"][0]["clientConfig"]
                     .get("caBundle") == bundle, timeout=30, message=f"{kind} caBundle")
        key_in_secret = base64.b64decode(secret["data"]["tls.key"])
        assert key_in_secret.decode(errors="replace") not in proc.log()

        # The API server calls the webhook over TLS it verifies with that CA.
        refused = wait_for(lambda: (lambda r: r if "spec.access[0].scope" in r.stderr else None)(
            cluster.apply(bad_apikey(), namespace, check=False)), timeout=30, interval=0.3,
            message="the validating webhook, trusted through the caBundle")
        assert refused.returncode != 0

        # Renewal (45 s certificates, renewed with 15 s left) while the API
        # server keeps calling: no write is refused for TLS.
        first = served_certificate(port)
        failures, writes, stop = [], [0], threading.Event()

        def keep_writing():
            i = 0
            while not stop.is_set():
                r = cluster.apply(good_apikey(f"during-{i % 5}", namespace), namespace, check=False)
                writes[0] += 1
                if r.returncode != 0:
                    failures.append(r.stderr)
                i += 1

        writer = threading.Thread(target=keep_writing, daemon=True)
        writer.start()
        try:
            wait_for(lambda: served_certificate(port) != first, timeout=60, interval=0.5,
                     message="a renewed serving certificate")
            wait_for(lambda: writes[0] >= 5, timeout=30, message="writes after the renewal")
        finally:
            stop.set()
            writer.join(30)
        assert not failures, failures[:3]
        assert proc.alive()
    finally:
        for c in configs:
            cluster.kubectl("delete", c["kind"].lower(), c["metadata"]["name"], "--ignore-not-found")
        code = proc.stop()
        cluster.kubectl("delete", "secret", CA_SECRET, "-n", OPERATOR_NAMESPACE, "--ignore-not-found")
        assert code == 0, proc.log()[-3000:]
