"""The chart's serving pieces as rendered (helm template, no install): each
tls.mode gives the operator what it needs and nothing of the others; the
webhooks never match the release namespace."""

from __future__ import annotations

from conftest import Cluster
from test_chart import CHART, RELEASE, RELEASE_NS, container_args, helm, rendered


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def hooks(docs: list[dict]) -> list[dict]:
    return by_kind(docs, "ValidatingWebhookConfiguration") + by_kind(docs, "MutatingWebhookConfiguration")


def tls_volume(docs: list[dict]) -> dict:
    deploy = by_kind(docs, "Deployment")[0]
    return next(v for v in deploy["spec"]["template"]["spec"]["volumes"] if v["name"] == "tls")


def test_self_mode_keeps_its_own_ca(cluster: Cluster):
    docs = rendered(cluster)
    args = container_args(docs)
    assert "--webhook-ca-secret=keyward-webhook-ca" in args
    svc = f"{RELEASE}.{RELEASE_NS}.svc"
    names = next(a for a in args if a.startswith("--tls-dns-names=")).split("=", 1)[1].split(",")
    assert svc in names and f"{svc}.cluster.local" in names
    assert f"--validating-webhook-configuration={RELEASE}" in args
    assert "emptyDir" in tls_volume(docs)
    assert len(hooks(docs)) == 2
    for h in hooks(docs):
        hook = h["webhooks"][0]
        assert "caBundle" not in hook["clientConfig"], "keyward fills it"
        assert hook["clientConfig"]["service"] == {"name": RELEASE, "namespace": RELEASE_NS,
                                                   "port": 8443, "path": hook["clientConfig"]["service"]["path"]}
        assert hook["failurePolicy"] == "Fail"
        selector = hook["namespaceSelector"]["matchExpressions"][0]
        assert selector["operator"] == "NotIn" and selector["values"] == [RELEASE_NS]
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    assert services[RELEASE]["spec"]["ports"][0]["targetPort"] == "https"
    assert services[f"{RELEASE}-metrics"]["spec"]["ports"][0]["port"] == 8080
    probes = by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # No ServiceMonitor unless asked for and its API exists.
    assert not by_kind(rendered(cluster, "--set", "metrics.serviceMonitor.enabled=true"), "ServiceMonitor")
    monitored = rendered(cluster, "--set", "metrics.serviceMonitor.enabled=true",
                         "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor")
    assert by_kind(monitored, "ServiceMonitor")[0]["spec"]["endpoints"][0]["port"] == "metrics"


def test_cert_manager_mode_asks_for_a_certificate_and_injects_its_ca(cluster: Cluster):
    docs = rendered(cluster, "--set", "tls.mode=certManager",
                    "--set", "tls.certManager.issuerRef.kind=ClusterIssuer",
                    "--set", "tls.certManager.issuerRef.name=company-ca")
    cert = by_kind(docs, "Certificate")[0]
    assert cert["spec"]["issuerRef"]["name"] == "company-ca"
    assert f"{RELEASE}.{RELEASE_NS}.svc" in cert["spec"]["dnsNames"]
    assert tls_volume(docs)["secret"]["secretName"] == cert["spec"]["secretName"]
    assert not [a for a in container_args(docs) if a.startswith("--webhook-ca-secret")]
    for h in hooks(docs):
        assert h["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
            f"{RELEASE_NS}/{cert['metadata']['name']}"
    roles = by_kind(docs, "Role") + by_kind(docs, "ClusterRole")
    assert not [r for r in roles for rule in r["rules"]
                if "validatingwebhookconfigurations" in rule["resources"]], "nothing to patch"
    missing = helm(cluster, "template", RELEASE, str(CHART), "--set", "tls.mode=certManager", check=False)
    assert missing.returncode != 0 and "tls.certManager.issuerRef.name" in missing.stderr


def test_secret_mode_mounts_your_secret_and_uses_your_ca(cluster: Cluster):
    docs = rendered(cluster, "--set", "tls.mode=secret", "--set", "tls.secretName=keyward-tls",
                    "--set", "tls.caBundle=Q0E=")
    assert tls_volume(docs)["secret"]["secretName"] == "keyward-tls"
    assert all(h["webhooks"][0]["clientConfig"]["caBundle"] == "Q0E=" for h in hooks(docs))
    for value, named in (("tls.secretName=keyward-tls", "tls.caBundle"), ("tls.caBundle=Q0E=", "tls.secretName")):
        bad = helm(cluster, "template", RELEASE, str(CHART), "--set", "tls.mode=secret",
                   "--set", value, check=False)
        assert bad.returncode != 0 and named in bad.stderr, bad.stderr
    off = rendered(cluster, "--set", "webhook.enabled=false")
    assert not hooks(off)


def test_network_policy_opens_only_its_ports(cluster: Cluster):
    assert not by_kind(rendered(cluster), "NetworkPolicy")
    docs = rendered(cluster, "--set", "networkPolicy.enabled=true",
                    "--set", "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring")
    policy = by_kind(docs, "NetworkPolicy")[0]["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    https, webhook, metrics, peer = policy["ingress"]
    assert https["ports"] == [{"port": "https"}] and "from" not in https
    # The webhook port: everyone unless networkPolicy.webhookFrom names the API server.
    assert webhook["ports"] == [{"port": "webhook"}] and "from" not in webhook
    assert metrics["ports"] == [{"port": "metrics"}]
    assert metrics["from"] == [{"namespaceSelector": {"matchLabels": {"team": "monitoring"}}}]
    # The replicas' peer port: only keyward's own pods.
    assert peer["ports"] == [{"port": "peer"}]
    assert peer["from"] == [{"podSelector": {"matchLabels": policy["podSelector"]["matchLabels"]}}]
    off = rendered(cluster, "--set", "networkPolicy.enabled=true", "--set", "replication.enabled=false")
    assert len(by_kind(off, "NetworkPolicy")[0]["spec"]["ingress"]) == 3
