"""`keyward check` end to end: the decision service against the real control
plane, with owners resolved from real Deployment -> ReplicaSet -> Pod and
StatefulSet -> Pod chains (kubectl creates them; no node runs them)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from conftest import Cluster, wait_for
from keyward_process import (OPERATOR_NAMESPACE, apikey_status, ensure_default_service_account, key_hash,
                             pepper, secret_key, wait_phase)
from test_operator import apikey, operator  # noqa: F401  (the operator fixture)


def workload(kind: str, name: str, app: str, **extra) -> dict:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [{"name": "app", "image": "keyward-e2e/none:0"}]}},
                     **extra}}


def pod_of(cluster: Cluster, namespace: str, app: str) -> str:
    """The pod the real controllers made for |app| (Pending: no node runs it)."""
    def found():
        items = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", f"app={app}")["items"]
        return items[0]["metadata"]["name"] if items else None
    return wait_for(found, timeout=30, message=f"the controllers to create a pod for {app}")


def workloads(cluster: Cluster, ns: str) -> dict[str, str]:
    """Deployment web (-> ReplicaSet -> Pod) and StatefulSet db (-> db-0), made
    by kube-controller-manager's own controllers, plus a bare pod."""
    ensure_default_service_account(cluster, ns)
    cluster.apply([workload("Deployment", "web", "web"),
                   workload("StatefulSet", "db", "db", serviceName="db"),
                   {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
                    "spec": {"containers": [{"name": "app", "image": "keyward-e2e/none:0"}]}}], ns)
    return {"web": pod_of(cluster, ns, "web"), "db": pod_of(cluster, ns, "db"), "bare": "bare"}


def check(cluster: Cluster, key: str, ns: str, pod: str = "", container: str = "app") -> tuple[int, dict]:
    args = [cluster.keyward_bin, "check", "--kubeconfig", cluster.kubeconfig,
            "--operator-namespace", OPERATOR_NAMESPACE, "-n", ns, "--container", container]
    if pod:
        args += ["--pod", pod]
    result = cluster.run(*args, input=key + "\n", check=False)
    assert result.returncode in (0, 1), f"keyward check failed ({result.returncode}): {result.stderr}"
    return result.returncode, json.loads(result.stdout)


def typo(key: str) -> str:
    return key[:10] + ("a" if key[10] != "a" else "b") + key[11:]


def test_check_resolves_owners_and_names_each_reason(cluster, operator, namespace):
    pods = workloads(cluster, namespace)
    cluster.apply(apikey("deploy-web", access=[{"scope": "set", "namespaces": [namespace],
                                                 "setType": "deployment", "sets": ["web"]}]), namespace)
    cluster.apply(apikey("ns-wide", access=[{"scope": "namespace", "namespaces": [namespace]}]), namespace)
    wait_phase(cluster, namespace, "deploy-web", "Active")
    wait_phase(cluster, namespace, "ns-wide", "Active")
    web_key = secret_key(cluster, namespace, "deploy-web-apikey")
    ns_key = secret_key(cluster, namespace, "ns-wide-apikey")

    code, out = check(cluster, web_key, namespace, pods["web"])
    assert (code, out["allowed"], out["reason"]) == (0, True, "allowed"), out
    assert out["apiKey"] == {"namespace": namespace, "name": "deploy-web"} and out["scope"] == "set"
    rows = [  # key, pod, reason
        (web_key, pods["db"], "not_in_scope"),   # a StatefulSet's pod, not the Deployment's
        (web_key, "bare", "not_in_scope"),
        (ns_key, pods["db"], "allowed"),
        (ns_key, "ghost", "pod_not_found"),
        (typo(ns_key), pods["db"], "malformed_key"),
        ("kw_" + "A" * 36, pods["db"], "malformed_key"),
    ]
    for key, pod, reason in rows:
        code, out = check(cluster, key, namespace, pod)
        assert out["reason"] == reason, (pod, out)
        assert code == (0 if reason == "allowed" else 1)
    code, out = check(cluster, ns_key, "kube-system", "")
    assert out["reason"] == "not_in_scope"

    cluster.kubectl("patch", "apikey", "ns-wide", "-n", namespace, "--type=merge",
                    "-p", '{"spec":{"disabled":true}}')
    wait_phase(cluster, namespace, "ns-wide", "Disabled")
    assert check(cluster, ns_key, namespace, pods["db"])[1]["reason"] == "disabled"
    cluster.kubectl("delete", "apikey", "ns-wide", "-n", namespace)
    wait_for(lambda: check(cluster, ns_key, namespace, pods["db"])[1]["reason"] == "unknown_key",
             timeout=10, message="a deleted key to be unknown")


def test_check_accepts_the_previous_key_inside_its_rotation_overlap(cluster, operator, namespace):
    cluster.apply(apikey("rotor", access=[{"scope": "namespace", "namespaces": [namespace]}],
                         rotation={"every": "30d", "overlap": "10m"}), namespace)
    wait_phase(cluster, namespace, "rotor", "Active")
    old = secret_key(cluster, namespace, "rotor-apikey")
    # Microseconds, no waiting: the Secret records when the key was minted
    # to the microsecond, so a request made right after it counts.
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cluster.kubectl("annotate", "apikey", "rotor", "-n", namespace,
                    f"keyward.io/rotate-requested-at={now}", "--overwrite")
    salt = pepper(cluster)
    wait_for(lambda: apikey_status(cluster, namespace, "rotor").get("keyHash") != key_hash(salt, old),
             timeout=30, message="rotation")
    new = secret_key(cluster, namespace, "rotor-apikey")
    assert check(cluster, new, namespace)[1]["allowed"]
    code, out = check(cluster, old, namespace)
    assert (code, out["allowed"]) == (0, True), f"the rotated-out key is refused in its overlap: {out}"
