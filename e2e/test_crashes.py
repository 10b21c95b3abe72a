"""The operator when its world breaks, on the real control plane: etcd
restarted under reconciles, the API server gone for a minute, the operator
itself killed with SIGKILL at random points while 500 ApiKeys are created,
rotated and deleted, and its pepper Secret lost. Each ends with the
cluster's own view: phases, exactly one Secret per ApiKey, no orphans, and
no key changed that should not have."""

from __future__ import annotations

import base64
import datetime
import os
import random
import time

import yaml

from conftest import Cluster, wait_for
from keyward_process import (OPERATOR_NAMESPACE, PEPPER_SECRET, KeywardProcess, apikey_status,
                             ensure_operator_namespace, key_hash, pepper, pepper_id, secret_key,
                             wait_phase)
from test_operator import apikey, operator  # noqa: F401  (the fixture)

ROTATE = "keyward.io/rotate-requested-at"
FAST = ("--workers", "8", "--kube-api-qps", "200", "--kube-api-burst", "400")


def rfc3339_now() -> str:
    """Now with microseconds: a request in the same second as the mint but
    after it must still count."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds") \
        .replace("+00:00", "Z")


def keys_by_owner(cluster: Cluster, namespace: str) -> dict[str, list[str]]:
    """ApiKey name -> the keys of every keyward Secret it owns."""
    owned: dict[str, list[str]] = {}
    for s in cluster.kubectl_json("get", "secrets", "-n", namespace)["items"]:
        if s["type"] != "keyward.io/api-key":
            continue
        owner = s["metadata"]["ownerReferences"][0]["name"]
        owned.setdefault(owner, []).append(base64.b64decode(s["data"]["key"]).decode())
    return owned


def apikeys(cluster: Cluster, namespace: str) -> dict[str, dict]:
    return {i["metadata"]["name"]: i
            for i in cluster.kubectl_json("get", "apikeys", "-n", namespace)["items"]}


def all_in_phase(cluster: Cluster, namespace: str, names: list[str], phase: str = "Active"):
    items = apikeys(cluster, namespace)
    pending = [n for n in names if items.get(n, {}).get("status", {}).get("phase") != phase]
    return not pending


def assert_one_secret_each(cluster: Cluster, namespace: str, names: list[str]) -> dict[str, str]:
    """Exactly one Secret per ApiKey, none for anything else, and each
    status.keyHash is the digest of its Secret's key. Returns name -> key."""
    owned = keys_by_owner(cluster, namespace)
    assert sorted(owned) == sorted(names), (
        f"Secrets for {sorted(set(owned) - set(names))[:5]} (orphans) or none for "
        f"{sorted(set(names) - set(owned))[:5]}")
    doubled = [n for n, ks in owned.items() if len(ks) != 1]
    assert not doubled, f"more than one Secret: {doubled[:5]}"
    salt = pepper(cluster)
    items = apikeys(cluster, namespace)
    for name in names:
        assert items[name]["status"]["keyHash"] == key_hash(salt, owned[name][0]), name
    return {n: ks[0] for n, ks in owned.items()}


def test_etcd_restarted_during_reconciles_loses_nothing(cluster, operator, namespace):
    names = [f"etcd-{i:02d}" for i in range(60)]
    cluster.apply([apikey(n) for n in names], namespace)
    # Storage goes away while the first Secrets and statuses are written.
    wait_for(lambda: len(keys_by_owner(cluster, namespace)) >= 5, timeout=60, interval=0.1,
             message="reconciles under way")
    cluster.restart_etcd()
    wait_for(lambda: all_in_phase(cluster, namespace, names), timeout=120, interval=1,
             message="every ApiKey Active after the etcd restart")
    assert_one_secret_each(cluster, namespace, names)
    assert operator.alive()


def test_api_server_gone_for_a_minute_then_writes_resume(cluster, operator, namespace):
    cluster.apply(apikey("steady"), namespace)
    wait_phase(cluster, namespace, "steady", "Active")
    steady = secret_key(cluster, namespace, "steady-apikey")
    cluster.apply(apikey("rotated"), namespace)
    wait_phase(cluster, namespace, "rotated", "Active")
    before_rotation = secret_key(cluster, namespace, "rotated-apikey")
    names = [f"outage-{i:02d}" for i in range(20)]
    pid = operator.pid

    # Work in flight when the API server goes: new keys, and a rotation
    # requested just before.
    now = rfc3339_now()
    cluster.kubectl("annotate", "apikey", "rotated", "-n", namespace, f"{ROTATE}={now}")
    cluster.apply([apikey(n) for n in names], namespace)
    cluster.stop_apiserver()
    try:
        # The outage itself lasts a minute; the operator must live through it.
        gone_until = time.monotonic() + 60
        while time.monotonic() < gone_until:
            assert operator.alive(), f"keyward exited during the outage:\n{operator.log()[-2000:]}"
            time.sleep(1)
    finally:
        cluster.start_apiserver()
    back = time.monotonic()
    wait_for(lambda: all_in_phase(cluster, namespace, names + ["steady", "rotated"]),
             timeout=120, interval=0.5, message="every ApiKey Active after the outage")
    print(f"\nconverged {time.monotonic() - back:.1f}s after the API server came back")
    keys = assert_one_secret_each(cluster, namespace, names + ["steady", "rotated"])
    assert keys["steady"] == steady, "a key changed that nobody asked to change"
    wait_for(lambda: secret_key(cluster, namespace, "rotated-apikey") != before_rotation,
             timeout=60, message="the requested rotation")
    status = apikey_status(cluster, namespace, "rotated")
    assert status["previousKey"]["keyHash"] == key_hash(pepper(cluster), before_rotation), \
        "rotated more than once"
    assert operator.alive() and operator.pid == pid


def kill_at_random(cluster: Cluster, tmp_path, rng: random.Random, round_: int) -> None:
    """One operator life that ends in SIGKILL 0.3-3 s after it starts."""
    proc = KeywardProcess(cluster, tmp_path / f"life-{round_}.log", *FAST).start()
    time.sleep(rng.uniform(0.3, 3.0))  # the random point of death, not a wait for readiness
    proc.kill()


def test_sigkill_at_random_points_while_500_keys_are_created_rotated_and_deleted(
        cluster, crds, namespace, tmp_path):
    ensure_operator_namespace(cluster)
    seed = int(os.environ.get("KEYWARD_E2E_SEED", time.time()))
    rng = random.Random(seed)
    print(f"\nseed {seed} (KEYWARD_E2E_SEED repeats this run)")
    names = [f"k-{i:03d}" for i in range(500)]
    docs = [apikey(n) for n in names]
    for doc in docs:
        doc["metadata"]["namespace"] = namespace
    began = time.monotonic()

    # Create, with four deaths on the way.
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    for round_ in range(4):
        kill_at_random(cluster, tmp_path, rng, round_)
    survivor = KeywardProcess(cluster, tmp_path / "settle-1.log", *FAST).start()
    wait_for(lambda: all_in_phase(cluster, namespace, names), timeout=180, interval=1,
             message="500 ApiKeys Active after four kills")
    survivor.kill()
    first = assert_one_secret_each(cluster, namespace, names)

    # Rotate 100 and delete 100, with six deaths on the way.
    rotated, deleted = names[:100], names[400:]
    now = rfc3339_now()
    cluster.kubectl("annotate", "apikey", *rotated, "-n", namespace, f"{ROTATE}={now}")
    for round_ in range(4, 7):
        kill_at_random(cluster, tmp_path, rng, round_)
    cluster.kubectl("delete", "apikey", *deleted, "-n", namespace, "--wait=false")
    for round_ in range(7, 10):
        kill_at_random(cluster, tmp_path, rng, round_)

    final = KeywardProcess(cluster, tmp_path / "settle-2.log", *FAST).start()
    try:
        kept = names[:400]

        def settled():
            owned = keys_by_owner(cluster, namespace)
            return (all_in_phase(cluster, namespace, kept) and sorted(owned) == sorted(kept)
                    and all(owned[n][0] != first[n] for n in rotated))
        # Deleted ApiKeys' Secrets go with the garbage collector.
        wait_for(settled, timeout=180, interval=1,
                 message="400 Active, rotations done, deleted keys' Secrets collected")
        keys = assert_one_secret_each(cluster, namespace, kept)
        salt = pepper(cluster)
        items = apikeys(cluster, namespace)
        assert not set(deleted) & set(items), "a deleted ApiKey came back"
        for n in kept:
            if n in rotated:
                # Rotated exactly once: the key before is the previous key.
                assert items[n]["status"]["previousKey"]["keyHash"] == key_hash(salt, first[n]), n
            else:
                assert keys[n] == first[n], f"{n}: a key changed that nobody asked to change"
        assert final.alive()
    finally:
        assert final.stop() == 0
    print(f"10 kills over 500 ApiKeys settled in {time.monotonic() - began:.0f}s")


def test_a_lost_pepper_is_replaced_and_every_permanent_key_keeps_working(
        cluster, crds, namespace, tmp_path):
    ensure_operator_namespace(cluster)
    first = KeywardProcess(cluster, tmp_path / "first.log").start()
    names = ["lost-a", "lost-b"]
    cluster.apply([apikey(n) for n in names], namespace)
    for n in names:
        wait_phase(cluster, namespace, n, "Active")
    keys = {n: secret_key(cluster, namespace, f"{n}-apikey") for n in names}
    old = pepper(cluster)
    assert first.stop() == 0

    # The operator's namespace is reinstalled: its pepper Secret is gone.
    backup = cluster.kubectl("get", "secret", PEPPER_SECRET, "-n", OPERATOR_NAMESPACE,
                             "-o", "yaml").stdout
    cluster.kubectl("delete", "secret", PEPPER_SECRET, "-n", OPERATOR_NAMESPACE)
    second = KeywardProcess(cluster, tmp_path / "second.log").start()
    try:
        new = wait_for(lambda: cluster.exists("secret", PEPPER_SECRET, "-n", OPERATOR_NAMESPACE)
                       and pepper(cluster), timeout=30, message="a new pepper")
        assert new != old
        for n in names:
            wait_for(lambda: apikey_status(cluster, namespace, n).get("keyHash")
                     == key_hash(new, keys[n]), timeout=60, message=f"{n} re-derived")
            assert secret_key(cluster, namespace, f"{n}-apikey") == keys[n], "the key itself changed"
            status = apikey_status(cluster, namespace, n)
            assert status["phase"] == "Active"
            changed = next(c for c in status["conditions"] if c["type"] == "PepperChanged")
            assert changed["status"] == "True" and pepper_id(old) in changed["message"]
        events = cluster.kubectl("get", "events", "-n", namespace, "--field-selector",
                                 "reason=PepperChanged", "-o", "name").stdout.split()
        assert len(events) >= len(names)
        assert "ApiKeys carry digests of a pepper this operator does not hold" in second.log()
        # And the key is accepted, as `keyward check` (a follower) decides.
        check = cluster.run(cluster.keyward_bin, "check", "--kubeconfig", cluster.kubeconfig,
                            "--operator-namespace", OPERATOR_NAMESPACE,
                            "--namespace", "production", input=keys["lost-a"] + "\n", check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        assert second.stop() == 0
        # Later suites expect the cluster's first pepper.
        restored = yaml.safe_load(backup)
        restored["metadata"] = {k: v for k, v in restored["metadata"].items()
                                if k in ("name", "namespace", "labels")}
        cluster.kubectl("delete", "secret", PEPPER_SECRET, "-n", OPERATOR_NAMESPACE)
        cluster.kubectl("create", "-f", "-", input=yaml.safe_dump(restored))
