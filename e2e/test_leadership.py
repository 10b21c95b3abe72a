"""Leadership under stalls, on the real control plane: a leader whose API
traffic stops (SIGSTOP) loses the Lease to the other replica and, when it
runs again, writes nothing — proved by kube-apiserver's own audit log,
which names the replica in each request's User-Agent."""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime, timezone

from conftest import Cluster, wait_for
from keyward_process import KeywardProcess, ensure_operator_namespace, wait_phase
from test_operator import apikey

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def writes_by(cluster: Cluster, replica: str) -> list[dict]:
    """Completed write requests of |replica| in the audit log."""
    log = cluster.state_dir / "audit.log"
    assert log.exists(), ("the control plane has no audit log: it was started before "
                          "e2e/cluster enabled it; run `e2e/cluster down` and try again")
    out = []
    for line in log.read_text().splitlines():
        event = json.loads(line)
        if (event.get("stage") == "ResponseComplete" and event.get("verb") in WRITE_VERBS
                and f"({replica})" in event.get("userAgent", "")):
            out.append(event)
    return out


def test_a_stalled_leader_never_writes_after_losing_the_lease(cluster, crds, namespace, tmp_path):
    ensure_operator_namespace(cluster)
    lease = f"stall-{namespace}"
    args = ["--leader-elect", "--leader-elect-lease-name", lease,
            "--leader-elect-lease-duration", "6s", "--leader-elect-renew-deadline", "4s",
            "--leader-elect-retry-period", "1s"]
    holder = lambda: cluster.kubectl_json("get", "lease", lease, "-n", "keyward-system")[
        "spec"].get("holderIdentity")
    a = KeywardProcess(cluster, tmp_path / "a.log", *args, "--identity", f"{namespace}-a").start()
    b = None
    try:
        wait_for(lambda: holder() == f"{namespace}-a", timeout=30, message="a leads")
        b = KeywardProcess(cluster, tmp_path / "b.log", *args, "--identity", f"{namespace}-b").start()
        cluster.apply([apikey(f"before-{i}") for i in range(3)], namespace)
        for i in range(3):
            wait_phase(cluster, namespace, f"before-{i}", "Active")
        assert writes_by(cluster, f"{namespace}-a"), "the audit log shows none of a's writes"

        # a stalls: no renew, no write, nothing. b takes over after the lease.
        a.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        wait_for(lambda: holder() == f"{namespace}-b", timeout=30, interval=0.2,
                 message="b takes the lease from the stalled a")
        took = time.monotonic() - stopped
        taken_at = parse_time(cluster.kubectl_json("get", "lease", lease, "-n", "keyward-system")[
            "spec"]["acquireTime"])
        # While a sleeps, b has work: new keys, and rotations of old ones
        # that a's watch will replay the moment it runs again.
        cluster.apply([apikey(f"during-{i}") for i in range(3)], namespace)
        for i in range(3):
            cluster.kubectl("annotate", "apikey", f"before-{i}", "-n", namespace,
                            f"keyward.io/rotate-requested-at={datetime.now(timezone.utc).isoformat()}")
        for i in range(3):
            wait_phase(cluster, namespace, f"during-{i}", "Active")

        # a runs again with a stale view of the world and queued events.
        a.proc.send_signal(signal.SIGCONT)
        code = a.proc.wait(timeout=20)
        assert code == 1, f"a should exit to restart as a candidate, exited {code}"
        late = [e for e in writes_by(cluster, f"{namespace}-a")
                if parse_time(e["requestReceivedTimestamp"]) >= taken_at]
        assert not late, "a wrote after b took the lease: " + json.dumps(
            [(e["verb"], e["requestURI"]) for e in late])
        assert [e for e in writes_by(cluster, f"{namespace}-b")
                if parse_time(e["requestReceivedTimestamp"]) >= taken_at], "b wrote nothing"
        assert "steps down" in a.log() or "lost lease" in a.log()
        print(f"stall: b led {took:.1f}s after a stopped; a wrote nothing after "
              f"{taken_at.isoformat()} and exited 1 when it ran again")
    finally:
        if a.alive():
            a.proc.send_signal(signal.SIGCONT)
            a.kill()
        if b:
            assert b.stop() == 0


def test_usage_never_goes_backwards_when_the_leader_dies(cluster, crds, namespace, tmp_path):
    """Two replicas without --peer-port: the follower counts 1 check it never
    writes (only the leader writes usage), the leader counts 60 and writes
    them. The leader is SIGKILLed; the follower leads and writes its own 1
    on top of the 60 (issue 28, item 3: it used to write its total of 1)."""
    from test_server import Served, _ready, free_port
    from keyward_process import secret_key, apikey_status
    ensure_operator_namespace(cluster)
    lease = f"usage-{namespace}"[:60]
    info = cluster.info
    replicas = {}
    for name in ("u1", "u2"):
        port, metrics = free_port(), free_port()
        proc = KeywardProcess(
            cluster, tmp_path / f"{name}.log", "--identity", f"{namespace}-{name}"[:60],
            "--leader-elect", "--leader-elect-lease-name", lease,
            "--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s",
            "--leader-elect-retry-period", "500ms", "--usage-flush-interval", "500ms",
            "--tls-cert-file", info["KEYWARD_CERT"], "--tls-private-key-file", info["KEYWARD_KEY"],
            "--bind-address", "127.0.0.1", "--secure-port", str(port),
            "--metrics-bind-address", f"127.0.0.1:{metrics}")
        replicas[f"{namespace}-{name}"[:60]] = Served(cluster, proc, port, metrics)
    holder = lambda: cluster.kubectl_json("get", "lease", lease, "-n", "keyward-system")["spec"].get(
        "holderIdentity")
    try:
        for r in replicas.values():
            r.proc.start()
            wait_for(lambda r=r: _ready(r), timeout=30, interval=0.1, message="/readyz")
        leader_name = wait_for(lambda: holder() in replicas and holder(), timeout=30, message="a leader")
        leader = replicas[leader_name]
        follower = next(r for n, r in replicas.items() if n != leader_name)
        cluster.apply(apikey("counted", access=[{"scope": "namespace", "namespaces": [namespace]}]), namespace)
        wait_phase(cluster, namespace, "counted", "Active")
        key = secret_key(cluster, namespace, "counted-apikey")
        for r in replicas.values():
            wait_for(lambda r=r: r.check({"namespace": namespace}, key)[1].get("allowed") is True
                     or None, timeout=10, interval=0.05, message="the key indexed")
        # Those readiness checks counted too: start from what status says.
        wait_for(lambda: apikey_status(cluster, namespace, "counted").get("usage", {}).get("total"),
                 timeout=10, interval=0.1, message="the leader's first flush")
        time.sleep(1.2)  # a flush interval and more: the follower's first count is not yet in status
        before = apikey_status(cluster, namespace, "counted")["usage"]["total"]
        assert follower.check({"namespace": namespace}, key)[1]["allowed"]
        for _ in range(60):
            assert leader.check({"namespace": namespace}, key)[1]["allowed"]
        written = wait_for(lambda: (t := apikey_status(cluster, namespace, "counted")["usage"]["total"])
                           >= before + 60 and t, timeout=10, interval=0.1, message="the leader's 60 written")
        leader.proc.kill()
        wait_for(lambda: holder() == next(n for n, r in replicas.items() if r is follower),
                 timeout=30, interval=0.2, message="the follower leads")
        # The new leader writes within a flush or two; the total never drops below the old
        # leader's and gains the follower's own check (and its readiness check).
        seen = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            seen.append(apikey_status(cluster, namespace, "counted")["usage"]["total"])
            time.sleep(0.2)
        print(f"\nusage total: {before} before, {written} after the leader's 60, then {sorted(set(seen))}")
        assert min(seen) >= written, seen
        assert seen[-1] >= written + 1, seen
    finally:
        for r in replicas.values():
            if r.proc.alive():
                r.proc.stop()
