"""The operator end to end: keyward run against the real control plane, with
kubectl (never keyward's own client) for every assertion."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, Cluster, wait_for
from keyward_process import (KeywardProcess, apikey_status, checksum_ok, ensure_operator_namespace,
                             key_hash, pepper, secret_key, wait_phase)

EXAMPLES = REPO_ROOT / "examples"


def apikey(name: str, **spec) -> dict:
    body = {"description": f"e2e key {name}", "type": "permanent",
            "access": [{"scope": "namespace", "namespaces": ["production"]}]}
    body.update(spec)
    return {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
            "metadata": {"name": name}, "spec": body}


def examples_in(namespace: str) -> list[dict]:
    docs = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "ApiKey":
                doc["metadata"]["namespace"] = namespace
                docs.append(doc)
    return docs


def assert_no_key_in_log(proc: KeywardProcess, keys: list[str]) -> None:
    log = proc.log()
    assert log, "the operator wrote no log at all"
    for key in keys:
        assert key not in log, "a minted key appears in the operator's log"
        assert key[3:33] not in log, "the random part of a key appears in the operator's log"


@pytest.fixture
def operator(cluster: Cluster, crds, tmp_path: Path):
    ensure_operator_namespace(cluster)
    proc = KeywardProcess(cluster, tmp_path / "keyward.log", "--secret-check-interval", "2s")
    proc.start()
    yield proc
    code = proc.stop()
    assert code == 0, f"keyward exited {code} on SIGTERM:\n{proc.log()[-3000:]}"


def test_examples_become_active_with_a_secret_or_memory_only(cluster, operator, namespace):
    docs = examples_in(namespace)
    assert len(docs) >= 6
    cluster.apply(docs)
    salt = pepper(cluster)
    keys = []
    for doc in docs:
        name, spec = doc["metadata"]["name"], doc["spec"]
        status = wait_phase(cluster, namespace, name, "Active")
        ready = next(c for c in status["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True" and ready["reason"] == "Minted"
        assert status["observedGeneration"] >= 1
        if spec.get("type", "permanent") == "permanent":
            secret_name = spec.get("secretName", f"{name}-apikey")
            secret = cluster.kubectl_json("get", "secret", secret_name, "-n", namespace)
            assert secret["type"] == "keyward.io/api-key"
            owner = secret["metadata"]["ownerReferences"][0]
            assert owner["kind"] == "ApiKey" and owner["name"] == name and owner["controller"]
            key = secret_key(cluster, namespace, secret_name)
            assert checksum_ok(key), "the Secret's key has a bad checksum"
            assert status["keyHash"] == key_hash(salt, key)
            assert status["keyHint"].startswith(key[:7]) and status["keyHint"].endswith(key[-4:])
            for k, v in spec.get("secretTemplate", {}).get("labels", {}).items():
                assert secret["metadata"]["labels"][k] == v
            keys.append(key)
        else:
            assert "keyHash" not in status, "a volatile key's hash reached etcd"
            assert status["keyHint"].startswith("kw_")
            assert not cluster.exists("secret", f"{name}-apikey", "-n", namespace)
    # kubectl get ak shows the printer columns.
    table = cluster.kubectl("get", "ak", "-n", namespace).stdout
    header = table.splitlines()[0].split()
    for column in ("TYPE", "SCOPE", "PHASE", "READY", "REASON", "KEY", "EXPIRES"):
        assert column in header, header
    rows = [line.split() for line in table.splitlines()[1:]]
    at = header.index("READY")
    assert {row[at] for row in rows} == {"True"} and {row[at + 1] for row in rows} == {"Minted"}, table
    events = cluster.kubectl("get", "events", "-n", namespace,
                             "--field-selector", "reason=Minted", "-o", "name").stdout
    assert len(events.split()) >= len(docs)
    assert_no_key_in_log(operator, keys)


def test_lifecycle_edit_disable_expire_delete(cluster, operator, namespace):
    cluster.apply(apikey("life"), namespace)
    wait_phase(cluster, namespace, "life", "Active")
    key = secret_key(cluster, namespace, "life-apikey")

    # Edit the scope: same key, newer generation observed.
    cluster.apply(apikey("life", access=[{"scope": "namespace", "namespaces": ["staging"]}]),
                  namespace)
    wait_for(lambda: apikey_status(cluster, namespace, "life").get("observedGeneration") == 2,
             message="observedGeneration 2")
    assert apikey_status(cluster, namespace, "life")["phase"] == "Active"
    assert secret_key(cluster, namespace, "life-apikey") == key

    # Disable: phase Disabled, the key keeps its value.
    cluster.kubectl("patch", "apikey", "life", "-n", namespace, "--type=merge",
                    "-p", '{"spec":{"disabled":true}}')
    status = wait_phase(cluster, namespace, "life", "Disabled")
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["status"] == "False"
    assert secret_key(cluster, namespace, "life-apikey") == key

    # Expiry a few seconds ahead: Expired on time.
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=6)
    cluster.apply(apikey("short", expiresAt=expires.strftime("%Y-%m-%dT%H:%M:%SZ")), namespace)
    wait_phase(cluster, namespace, "short", "Active")
    wait_phase(cluster, namespace, "short", "Expired", timeout=30)
    late = (datetime.now(timezone.utc) - expires).total_seconds()
    assert late < 3, f"Expired {late:.1f}s after expiresAt"

    # Delete the ApiKey: the garbage collector removes its Secret.
    cluster.kubectl("delete", "apikey", "life", "-n", namespace)
    wait_for(lambda: not cluster.exists("secret", "life-apikey", "-n", namespace), timeout=60,
             message="Secret garbage-collected")


def test_deleted_secret_gets_a_new_key_and_an_event(cluster, operator, namespace):
    cluster.apply(apikey("phoenix"), namespace)
    wait_phase(cluster, namespace, "phoenix", "Active")
    old = secret_key(cluster, namespace, "phoenix-apikey")
    old_hash = apikey_status(cluster, namespace, "phoenix")["keyHash"]
    cluster.kubectl("delete", "secret", "phoenix-apikey", "-n", namespace)
    wait_for(lambda: apikey_status(cluster, namespace, "phoenix").get("keyHash") != old_hash,
             timeout=30, message="a new key hash")
    new = secret_key(cluster, namespace, "phoenix-apikey")
    assert new != old and checksum_ok(new)
    assert apikey_status(cluster, namespace, "phoenix")["keyHash"] == key_hash(pepper(cluster), new)
    events = cluster.kubectl_json("get", "events", "-n", namespace,
                                  "--field-selector", "involvedObject.name=phoenix")
    assert any("was deleted" in e["message"] for e in events["items"])
    assert_no_key_in_log(operator, [old, new])


def test_restart_keeps_permanent_keys_and_remints_volatile(cluster, crds, namespace, tmp_path):
    ensure_operator_namespace(cluster)
    first = KeywardProcess(cluster, tmp_path / "first.log").start()
    cluster.apply([apikey("perm"), apikey("vol", type="volatile", ttl="1h")], namespace)
    wait_phase(cluster, namespace, "perm", "Active")
    before = wait_phase(cluster, namespace, "vol", "Active")
    key = secret_key(cluster, namespace, "perm-apikey")
    assert first.stop() == 0

    second = KeywardProcess(cluster, tmp_path / "second.log").start()
    try:
        def relost():
            status = apikey_status(cluster, namespace, "vol")
            ready = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), {})
            return status if ready.get("reason") == "VolatileKeyLost" else None
        after = wait_for(relost, timeout=30, message="VolatileKeyLost")
        assert after["phase"] == "Active"
        assert after["keyHint"] != before["keyHint"]
        assert secret_key(cluster, namespace, "perm-apikey") == key
        assert apikey_status(cluster, namespace, "perm")["phase"] == "Active"
        events = cluster.kubectl("get", "events", "-n", namespace, "--field-selector",
                                 "reason=VolatileKeyLost", "-o", "name").stdout
        assert events.strip()
    finally:
        assert second.stop() == 0


def test_kill_during_mass_create_converges(cluster, crds, namespace, tmp_path):
    ensure_operator_namespace(cluster)
    count = 300
    proc = KeywardProcess(cluster, tmp_path / "before-kill.log", "--workers", "8").start()
    docs = [apikey(f"mass-{i:03d}") for i in range(count)]
    for doc in docs:
        doc["metadata"]["namespace"] = namespace
    applying = cluster.kubectl  # apply in two halves so the kill lands mid-way
    applying("apply", "-f", "-", input=yaml.safe_dump_all(docs[:150]))
    wait_for(lambda: int(cluster.kubectl("get", "secrets", "-n", namespace, "-o", "name")
                         .stdout.count("secret/")) >= 20, timeout=60, message="some Secrets")
    proc.kill()
    applying("apply", "-f", "-", input=yaml.safe_dump_all(docs[150:]))
    proc = KeywardProcess(cluster, tmp_path / "after-kill.log", "--workers", "8").start()
    try:
        def all_active():
            items = cluster.kubectl_json("get", "apikeys", "-n", namespace)["items"]
            return len(items) == count and all(
                i.get("status", {}).get("phase") == "Active" for i in items)
        wait_for(all_active, timeout=180, interval=1, message=f"{count} ApiKeys Active")
        secrets = cluster.kubectl_json("get", "secrets", "-n", namespace)["items"]
        ours = [s for s in secrets if s["type"] == "keyward.io/api-key"]
        names = sorted(s["metadata"]["name"] for s in ours)
        assert names == sorted(f"mass-{i:03d}-apikey" for i in range(count)), \
            "not exactly one Secret per ApiKey"
        salt = pepper(cluster)
        statuses = {i["metadata"]["name"]: i["status"]
                    for i in cluster.kubectl_json("get", "apikeys", "-n", namespace)["items"]}
        import base64
        for s in ours:
            owner = s["metadata"]["ownerReferences"][0]["name"]
            key = base64.b64decode(s["data"]["key"]).decode()
            assert statuses[owner]["keyHash"] == key_hash(salt, key), f"{owner}: hash mismatch"
    finally:
        assert proc.stop() == 0


def test_apiserver_restart_during_watch(cluster, operator, namespace):
    cluster.apply(apikey("before"), namespace)
    wait_phase(cluster, namespace, "before", "Active")
    pid = operator.pid
    cluster.restart_apiserver()
    # Changed right after the restart, while the operator may still be
    # reconnecting: it must pick these up without a restart of its own.
    cluster.apply(apikey("after"), namespace)
    cluster.kubectl("patch", "apikey", "before", "-n", namespace, "--type=merge",
                    "-p", '{"spec":{"disabled":true}}')
    wait_phase(cluster, namespace, "after", "Active", timeout=90)
    wait_phase(cluster, namespace, "before", "Disabled", timeout=90)
    assert operator.alive() and operator.pid == pid


def test_leader_election_failover(cluster, crds, namespace, tmp_path):
    ensure_operator_namespace(cluster)
    lease_args = ["--leader-elect", "--leader-elect-lease-name", f"leader-{namespace}",
                  "--leader-elect-lease-duration", "6s", "--leader-elect-renew-deadline", "4s",
                  "--leader-elect-retry-period", "1s"]
    a = KeywardProcess(cluster, tmp_path / "a.log", *lease_args, "--identity", "replica-a").start()
    wait_for(lambda: cluster.kubectl_json("get", "lease", f"leader-{namespace}", "-n",
                                          "keyward-system")["spec"].get("holderIdentity")
             == "replica-a", timeout=30, message="replica-a leads")
    b = KeywardProcess(cluster, tmp_path / "b.log", *lease_args, "--identity", "replica-b").start()
    try:
        cluster.apply(apikey("led"), namespace)
        wait_phase(cluster, namespace, "led", "Active")
        time.sleep(2)
        assert cluster.kubectl_json("get", "lease", f"leader-{namespace}", "-n", "keyward-system")[
            "spec"]["holderIdentity"] == "replica-a", "the follower took the lease while a led"
        a.kill()
        killed = time.monotonic()
        holder = lambda: cluster.kubectl_json("get", "lease", f"leader-{namespace}", "-n",
                                              "keyward-system")["spec"].get("holderIdentity")
        wait_for(lambda: holder() == "replica-b", timeout=30, interval=0.2,
                 message="replica-b takes the lease")
        took = time.monotonic() - killed
        print(f"failover: replica-b holds the lease {took:.1f}s after replica-a was killed")
        # The lease lapses 6 s after a's last renewal (at most 1 s before the
        # kill); b notices within one 1 s retry period; 1 s for kubectl polling.
        assert took < 6 + 1 + 1, f"takeover took {took:.1f}s with a 6s lease"
        cluster.apply(apikey("after-failover"), namespace)
        wait_phase(cluster, namespace, "after-failover", "Active", timeout=30)
    finally:
        a.kill()
        assert b.stop() == 0


def test_rotation_on_request_keeps_old_key_for_overlap(cluster, operator, namespace):
    cluster.apply(apikey("rotor", rotation={"every": "30d", "overlap": "10m"}), namespace)
    wait_phase(cluster, namespace, "rotor", "Active")
    old = secret_key(cluster, namespace, "rotor-apikey")
    # Microseconds, no waiting: the Secret records when the key was minted
    # to the microsecond, so a request made right after it counts.
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cluster.kubectl("annotate", "apikey", "rotor", "-n", namespace,
                    f"keyward.io/rotate-requested-at={now}", "--overwrite")
    salt = pepper(cluster)
    status = wait_for(lambda: (lambda s: s if s.get("keyHash") != key_hash(salt, old) else None)(
        apikey_status(cluster, namespace, "rotor")), timeout=30, message="rotation")
    new = secret_key(cluster, namespace, "rotor-apikey")
    assert new != old and checksum_ok(new)
    assert status["keyHash"] == key_hash(salt, new)
    assert status["previousKey"]["keyHash"] == key_hash(salt, old)
    until = datetime.strptime(status["previousKey"]["validUntil"], "%Y-%m-%dT%H:%M:%SZ")
    rotated = datetime.strptime(status["lastRotatedAt"], "%Y-%m-%dT%H:%M:%SZ")
    assert until - rotated == timedelta(minutes=10)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "Rotated"
    events = cluster.kubectl("get", "events", "-n", namespace, "--field-selector",
                             "reason=Rotated", "-o", "name").stdout
    assert events.strip()
    assert_no_key_in_log(operator, [old, new])
