"""Templates, requests with approval, and usage with cost, end to end on
the real control plane: users impersonated with --as and bound by RBAC
here, keyward's admission webhooks registered for this module's namespace,
`keyward approve|deny|requests|usage` as an admin would run them."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from conftest import Cluster, wait_for
from keyward_process import apikey_status, secret_key, wait_phase
from test_server import Served, _ready, serving

GROUP = "keyward.io"
V = "keyward.io/v1alpha1"
# Usage is counted by a clock that starts here (--usage-clock-start); the
# last test restarts keyward on the next day, which is also the next month.
DAY_ONE, DAY_TWO = "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z"


@pytest.fixture(scope="module")
def ns(cluster: Cluster, crds) -> Iterator[str]:
    name = f"e2e-templates-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


@pytest.fixture(scope="module")
def kw(cluster: Cluster, ns: str, tmp_path_factory) -> Iterator[Served]:
    with serving(cluster, tmp_path_factory, "--usage-flush-interval", "1s",
                 "--usage-clock-start", DAY_ONE) as s:
        configs = webhook_configurations(s, ns)
        cluster.apply(configs)
        try:
            yield s
        finally:
            for c in configs:
                cluster.kubectl("delete", c["kind"].lower(), c["metadata"]["name"], "--ignore-not-found")
            cluster.kubectl("delete", "clusterapikeytemplate", "ci-auto", "--ignore-not-found")


def webhook_configurations(s: Served, ns: str) -> list[dict]:
    ca = base64.b64encode(Path(s.ca).read_bytes()).decode()
    namespaced = {"apiGroups": [GROUP], "apiVersions": ["v1alpha1"], "scope": "Namespaced",
                  "operations": ["CREATE", "UPDATE"],
                  "resources": ["apikeys", "apikeytemplates", "apikeyrequests", "apikeyrequests/status"]}
    cluster_scoped = {"apiGroups": [GROUP], "apiVersions": ["v1alpha1"], "scope": "Cluster",
                      "operations": ["CREATE", "UPDATE"], "resources": ["clusterapikeytemplates"]}
    hook = lambda name, path: {
        "name": name, "admissionReviewVersions": ["v1"], "sideEffects": "None",
        "failurePolicy": "Fail", "timeoutSeconds": 5,
        "clientConfig": {"url": f"{s.webhook_url}/{path}", "caBundle": ca},
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
        "rules": [namespaced, cluster_scoped]}
    meta = {"name": f"keyward-e2e-templates-{ns}"}
    return [{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
             "metadata": meta, "webhooks": [hook("mutate.keyward.io", "mutate")]},
            {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
             "metadata": meta, "webhooks": [hook("validate.keyward.io", "validate")]}]


def rbac(ns: str) -> list[dict]:
    """bob requests keys (and may write request status, so only the webhook
    stops him approving his own); carol approves for logs-reader."""
    role = lambda name, rules: {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                                "metadata": {"name": name}, "rules": rules}
    bind = lambda name, user: {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                               "metadata": {"name": f"{name}-{user}"},
                               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                               "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]}
    return [
        role("requester", [{"apiGroups": [GROUP], "resources": ["apikeyrequests"],
                            "verbs": ["create", "get", "list", "watch"]},
                           {"apiGroups": [GROUP], "resources": ["apikeyrequests/status"],
                            "verbs": ["get", "update", "patch"]}]),
        role("approver", [{"apiGroups": [GROUP], "resources": ["apikeyrequests"], "verbs": ["get", "list"]},
                          {"apiGroups": [GROUP], "resources": ["apikeyrequests/status"], "verbs": ["update"]},
                          {"apiGroups": [GROUP], "resources": ["apikeytemplates"], "verbs": ["approve"],
                           "resourceNames": ["logs-reader"]}]),
        bind("requester", "bob"), bind("approver", "carol")]


def template(ns: str, namespaces: list[str]) -> dict:
    return {"apiVersion": V, "kind": "ApiKeyTemplate", "metadata": {"name": "logs-reader"},
            "spec": {"description": "read this team's logs", "approval": "Manual",
                     "access": [{"scope": "namespace", "namespaces": namespaces}],
                     "limits": {"perDay": 1000},
                     "lifetimes": {"allowed": ["7d", "30d", "90d"], "default": "30d"},
                     "fields": [{"name": "endpoint", "description": "where to send checks",
                                 "value": "https://keyward.example/v1/check"}],
                     "price": {"perRequest": "0.002", "currency": "EUR"}}}


def request(name: str, tpl: str = "logs-reader", kind: str = "ApiKeyTemplate", **spec) -> dict:
    return {"apiVersion": V, "kind": "ApiKeyRequest", "metadata": {"name": name},
            "spec": {"templateRef": {"kind": kind, "name": tpl}, "reason": "e2e", **spec}}


def condition(cluster: Cluster, ns: str, name: str, type_: str) -> dict:
    obj = cluster.kubectl_json("get", "apikeyrequest", name, "-n", ns)
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == type_), {})


def keyward(cluster: Cluster, *args: str, check: bool = True):
    return cluster.run(cluster.keyward_bin, *args, "--kubeconfig", cluster.kubeconfig, check=check)


@pytest.fixture(scope="module")
def setup(cluster: Cluster, kw: Served, ns: str) -> Served:
    cluster.apply(rbac(ns), ns)
    # The webhook answers a moment after it is registered.
    wait_for(lambda: cluster.apply(template(ns, [ns]), ns, check=False).returncode == 0,
             timeout=20, interval=0.2, message="the template admitted")
    return kw


def test_manual_request_waits_then_an_approver_issues_it(cluster: Cluster, setup: Served, ns: str):
    cluster.kubectl("apply", "-n", ns, "--as", "bob", "-f", "-", input=json.dumps(request("grafana", lifetime="30d")))
    wait_for(lambda: condition(cluster, ns, "grafana", "Issued").get("reason") == "Pending",
             timeout=20, interval=0.2, message="the request waiting for approval")
    obj = cluster.kubectl_json("get", "apikeyrequest", "grafana", "-n", ns)
    assert obj["status"]["requestedBy"] == "bob"
    assert not cluster.exists("apikey", "grafana", "-n", ns)
    listed = keyward(cluster, "requests", "-n", ns).stdout
    assert "grafana" in listed and "Pending" in listed and "bob" in listed, listed

    # A lifetime the template does not offer is refused at admission.
    refused = cluster.kubectl("apply", "-n", ns, "--as", "bob", "-f", "-", check=False,
                              input=json.dumps(request("too-long", lifetime="1y")))
    assert refused.returncode != 0
    assert 'spec.lifetime: "1y" is not allowed by ApiKeyTemplate logs-reader' in refused.stderr, refused.stderr

    # The requester may write status (RBAC) but not approve: the webhook says what it takes.
    self_approve = keyward(cluster, "approve", "-n", ns, "grafana", "--as", "bob", check=False)
    assert self_approve.returncode == 1
    assert "user bob may not approve or deny requests for ApiKeyTemplate logs-reader" in self_approve.stderr
    assert "approve on apikeytemplates.keyward.io named logs-reader" in self_approve.stderr, self_approve.stderr
    assert not condition(cluster, ns, "grafana", "Approved")

    approved = keyward(cluster, "approve", "-n", ns, "grafana", "--as", "carol", "--reason", "dashboard")
    assert "approved" in approved.stdout
    wait_for(lambda: condition(cluster, ns, "grafana", "Issued").get("status") == "True",
             timeout=20, interval=0.2, message="the request issued")
    obj = cluster.kubectl_json("get", "apikeyrequest", "grafana", "-n", ns)
    assert obj["status"]["decidedBy"] == "carol" and obj["status"]["apiKeyRef"] == {"name": "grafana"}
    assert condition(cluster, ns, "grafana", "Approved")["message"] == "dashboard"

    wait_phase(cluster, ns, "grafana", "Active")
    key = cluster.kubectl_json("get", "apikey", "grafana", "-n", ns)
    assert key["spec"]["templateRef"] == {"kind": "ApiKeyTemplate", "name": "logs-reader"}
    assert key["spec"]["ttl"] == "30d" and "access" not in key["spec"]
    assert key["metadata"]["ownerReferences"][0]["kind"] == "ApiKeyRequest"
    assert key["metadata"]["annotations"]["keyward.io/requested-by"] == "bob"
    secret = cluster.kubectl_json("get", "secret", "grafana-apikey", "-n", ns)
    assert base64.b64decode(secret["data"]["endpoint"]).decode() == "https://keyward.example/v1/check"
    value = secret_key(cluster, ns, "grafana-apikey")
    status, out = setup.check({"namespace": ns}, value)
    assert status == 200 and out["allowed"] and out["remaining"]["day"] == 999  # the template's limit
    assert setup.check({"namespace": "kube-system"}, value)[1]["reason"] == "not_in_scope"


def test_denied_request_issues_nothing(cluster: Cluster, setup: Served, ns: str):
    cluster.kubectl("apply", "-n", ns, "--as", "bob", "-f", "-", input=json.dumps(request("nope")))
    wait_for(lambda: condition(cluster, ns, "nope", "Issued").get("reason") == "Pending",
             timeout=20, interval=0.2, message="the request waiting")
    keyward(cluster, "deny", "-n", ns, "nope", "--as", "carol", "--reason", "use the shared key")
    denied = condition(cluster, ns, "nope", "Denied")
    assert denied["status"] == "True" and denied["message"] == "use the shared key"
    assert cluster.kubectl_json("get", "apikeyrequest", "nope", "-n", ns)["status"]["decidedBy"] == "carol"
    # A decision stays: approving it now is refused.
    again = keyward(cluster, "approve", "-n", ns, "nope", "--as", "carol", check=False)
    assert again.returncode == 1 and "already Denied by carol" in again.stderr, again.stderr
    # keyward says it saw the denial, and issued nothing.
    wait_for(lambda: condition(cluster, ns, "nope", "Issued").get("reason") == "Denied",
             timeout=20, interval=0.2, message="the denial acknowledged")
    assert "denied by carol: use the shared key" in condition(cluster, ns, "nope", "Issued")["message"]
    assert not cluster.exists("apikey", "nope", "-n", ns)


def test_automatic_template_issues_at_once(cluster: Cluster, setup: Served, ns: str):
    tpl = {"apiVersion": V, "kind": "ClusterApiKeyTemplate", "metadata": {"name": "ci-auto"},
           "spec": {"description": "CI pipelines", "approval": "Automatic",
                    "access": [{"scope": "namespace", "namespaces": [ns]}],
                    "lifetimes": {"allowed": ["7d"]}, "price": {"perRequest": "0.5", "currency": "USD"}}}
    cluster.apply(tpl)
    start = time.monotonic()
    cluster.kubectl("apply", "-n", ns, "--as", "bob", "-f", "-",
                    input=json.dumps(request("ci", tpl="ci-auto", kind="ClusterApiKeyTemplate")))
    wait_for(lambda: condition(cluster, ns, "ci", "Issued").get("status") == "True",
             timeout=20, interval=0.1, message="the automatic request issued")
    issued_in = time.monotonic() - start
    assert condition(cluster, ns, "ci", "Approved")["reason"] == "AutoApproved"
    wait_phase(cluster, ns, "ci", "Active")
    assert cluster.kubectl_json("get", "apikey", "ci", "-n", ns)["spec"]["ttl"] == "7d"
    print(f"automatic request issued in {issued_in:.2f}s")


def columns(cluster: Cluster, *args: str) -> dict[str, dict[str, str]]:
    """kubectl get's table as {name: {COLUMN: value}}, cut where the header's
    columns start (a cell may be empty)."""
    lines = cluster.kubectl("get", *args).stdout.splitlines()
    starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
    names = lines[0].split()
    table = {}
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [len(line)])]
        table[cells[0]] = dict(zip(names, cells))
    return table


def test_columns_say_where_requests_keys_and_templates_stand(cluster: Cluster, setup: Served, ns: str):
    # One STATUS for requests, as kubectl get csr has: issued, denied, waiting.
    cluster.kubectl("apply", "-n", ns, "--as", "bob", "-f", "-", input=json.dumps(request("waiting")))
    wait_for(lambda: columns(cluster, "akr", "-n", ns).get("waiting", {}).get("STATUS") == "Pending",
             timeout=20, interval=0.2, message="the new request Pending")
    requests = columns(cluster, "akr", "-n", ns)
    assert requests["grafana"]["STATUS"] == "Issued" and requests["nope"]["STATUS"] == "Denied", requests
    assert requests["ci"]["STATUS"] == "Issued", requests
    # SCOPE names the template of a template key, and counts a key's rules.
    cluster.apply({"apiVersion": V, "kind": "ApiKey", "metadata": {"name": "three-rules"},
                   "spec": {"description": "three rules", "access": [
                       {"scope": "namespace", "namespaces": [ns]},
                       {"scope": "pod", "namespaces": [ns], "pods": ["web-0"]},
                       {"scope": "namespace", "namespaces": ["elsewhere"]}]}}, ns)
    wait_phase(cluster, ns, "three-rules", "Active")
    keys = columns(cluster, "ak", "-n", ns)
    assert keys["grafana"]["SCOPE"] == "template/logs-reader", keys
    assert keys["ci"]["SCOPE"] == "clustertemplate/ci-auto", keys
    assert keys["three-rules"]["SCOPE"] == "namespace+2", keys
    # Templates: Ready, and how many keys use them (grafana, and the key
    # written by hand in an earlier test, if any, all counted by keyward).
    using = lambda name: sum(1 for k in cluster.kubectl_json("get", "ak", "-n", ns)["items"]
                             if k["spec"].get("templateRef", {}).get("name") == name)
    wait_for(lambda: columns(cluster, "akt", "-n", ns)["logs-reader"]["KEYS"] == str(using("logs-reader")),
             timeout=20, interval=0.2, message="keysIssued of logs-reader")
    tpl = cluster.kubectl_json("get", "akt", "logs-reader", "-n", ns)
    ready = next(c for c in tpl["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True" and ready["reason"] == "Valid"
    assert tpl["status"]["observedGeneration"] == tpl["metadata"]["generation"]
    assert columns(cluster, "clusterapikeytemplate")["ci-auto"]["READY"] == "True"
    # A new key of the template counts at once; a deleted one stops counting.
    before = using("logs-reader")
    cluster.apply({"apiVersion": V, "kind": "ApiKey", "metadata": {"name": "by-hand"},
                   "spec": {"description": "written by hand", "templateRef": {"name": "logs-reader"}}}, ns)
    wait_for(lambda: columns(cluster, "akt", "-n", ns)["logs-reader"]["KEYS"] == str(before + 1),
             timeout=20, interval=0.2, message="the new key counted")
    cluster.kubectl("delete", "apikey", "by-hand", "-n", ns)
    wait_for(lambda: columns(cluster, "akt", "-n", ns)["logs-reader"]["KEYS"] == str(before),
             timeout=20, interval=0.2, message="the deleted key no longer counted")


def test_a_template_change_changes_a_live_keys_decision(cluster: Cluster, setup: Served, ns: str):
    value = secret_key(cluster, ns, "grafana-apikey")
    assert setup.check({"namespace": ns}, value)[1]["allowed"]
    start = time.monotonic()
    cluster.apply(template(ns, ["elsewhere"]), ns)
    wait_for(lambda: setup.check({"namespace": ns}, value)[1]["reason"] == "not_in_scope",
             timeout=10, interval=0.05, message="the narrowed template applied to the key")
    took = time.monotonic() - start
    assert setup.check({"namespace": "elsewhere"}, value)[1]["allowed"]
    cluster.apply(template(ns, [ns]), ns)
    wait_for(lambda: setup.check({"namespace": ns}, value)[1]["allowed"], timeout=10, interval=0.05)
    assert cluster.kubectl_json("get", "apikey", "grafana", "-n", ns)["metadata"]["generation"] == 1
    print(f"template change applied to the live key in {took:.2f}s")
    assert took < 5


def usage_rows(cluster: Cluster, ns: str, start: str, end: str) -> dict:
    out = keyward(cluster, "usage", "-n", ns, "--from", start, "--to", end, "-o", "json").stdout
    return {row["apiKey"]: row for row in json.loads(out)["items"]}


def test_usage_over_a_period_with_cost(cluster: Cluster, setup: Served, ns: str):
    value = secret_key(cluster, ns, "ci-apikey")
    for _ in range(3):
        assert setup.check({"namespace": ns}, value)[1]["allowed"]
    wait_for(lambda: apikey_status(cluster, ns, "ci").get("usage", {}).get("total") == 3,
             timeout=10, interval=0.2, message="usage flushed")
    # The next day (and month): keyward restarts with its clock there.
    proc = setup.proc
    assert proc.stop() == 0
    proc.args[proc.args.index(DAY_ONE)] = DAY_TWO
    proc.start()
    wait_for(lambda: _ready(setup), timeout=30, interval=0.1, message="keyward /readyz")
    for _ in range(2):
        assert setup.check({"namespace": ns}, value)[1]["allowed"]
    wait_for(lambda: apikey_status(cluster, ns, "ci").get("usage", {}).get("total") == 5,
             timeout=10, interval=0.2, message="usage flushed")
    usage = apikey_status(cluster, ns, "ci")["usage"]
    assert usage["daily"] == [{"date": "2026-11-01", "count": 2}, {"date": "2026-10-31", "count": 3}]
    assert usage["monthly"] == [{"month": "2026-11", "count": 2}, {"month": "2026-10", "count": 3}]

    november = usage_rows(cluster, ns, "2026-11-01", "2026-11-30")
    assert november["ci"]["requests"] == 2 and november["ci"]["cost"] == "1.00"
    assert november["ci"]["currency"] == "USD" and november["ci"]["holder"] == "bob"
    assert november["ci"]["template"] == "cluster/ci-auto"
    both = usage_rows(cluster, ns, "2026-10-01", "2026-11-30")
    assert both["ci"]["requests"] == 5 and both["ci"]["cost"] == "2.50"
    halloween = usage_rows(cluster, ns, "2026-10-31", "2026-10-31")
    assert halloween["ci"]["requests"] == 3
    # grafana was checked on day one (and its price is per template).
    assert both["grafana"]["template"] == "logs-reader" and both["grafana"]["currency"] == "EUR"
    assert both["grafana"]["cost"] == f"{both['grafana']['requests'] * 0.002:.3f}".rstrip("0").ljust(4, "0")
    table = keyward(cluster, "usage", "-n", ns, "--from", "2026-10-01", "--to", "2026-11-30").stdout
    assert "REQUESTS" in table and "cluster/ci-auto" in table, table
    csv = keyward(cluster, "usage", "-n", ns, "--from", "2026-10-01", "--to", "2026-11-30", "-o", "csv").stdout
    assert csv.splitlines()[0] == "NAMESPACE,APIKEY,TEMPLATE,HOLDER,ISSUED,REQUESTS,COST,CURRENCY"
