"""The operator under API faults, on the real control plane: a watch sent
back to a compacted resourceVersion (410 Gone), and a second writer editing
ApiKeys in a loop while keyward writes their status. Each ends with the
cluster's own view checked by kubectl."""

from __future__ import annotations

import json
import signal
import threading
import urllib.request

from conftest import Cluster, wait_for
from keyward_process import apikey_status, secret_key, wait_phase
from test_operator import apikey, operator  # noqa: F401  (the fixture)
from test_server import serving


def etcd(cluster: Cluster, call: str, body: dict) -> dict:
    """etcd's v3 JSON gateway on loopback (no etcdctl needed)."""
    request = urllib.request.Request(f"http://127.0.0.1:{cluster.info['ETCD_PORT']}/v3/{call}",
                                     data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_a_watch_resumed_on_a_compacted_revision_relists_and_misses_nothing(
        cluster, operator, namespace):
    cluster.apply([apikey("kept"), apikey("removed")], namespace)
    wait_phase(cluster, namespace, "kept", "Active")
    wait_phase(cluster, namespace, "removed", "Active")
    relists_before = operator.log().count("listed /apis/keyward.io/v1alpha1/apikeys")

    # The operator sleeps with a watch open at an old resourceVersion while
    # the world changes, etcd forgets that revision, and the API server
    # restarts (its watch cache starts over): the watch must come back 410.
    operator.proc.send_signal(signal.SIGSTOP)
    try:
        cluster.apply(apikey("created-meanwhile"), namespace)
        cluster.kubectl("delete", "apikey", "removed", "-n", namespace)
        cluster.kubectl("patch", "apikey", "kept", "-n", namespace, "--type=merge",
                        "-p", '{"spec":{"disabled":true}}')
        revision = int(etcd(cluster, "kv/range", {"key": "AA=="})["header"]["revision"])
        etcd(cluster, "kv/compaction", {"revision": str(revision), "physical": True})
        cluster.restart_apiserver()
    finally:
        operator.proc.send_signal(signal.SIGCONT)

    wait_phase(cluster, namespace, "created-meanwhile", "Active", timeout=90)
    wait_phase(cluster, namespace, "kept", "Disabled", timeout=90)
    wait_for(lambda: operator.log().count("listed /apis/keyward.io/v1alpha1/apikeys") > relists_before,
             timeout=30, message="a relist after the 410")
    assert operator.alive()


def test_an_apikey_made_again_while_the_watch_was_down_is_a_new_key(
        cluster, crds, namespace, tmp_path_factory):
    """Identity is the uid: an ApiKey deleted and created again under the same
    name while keyward saw nothing (its watch comes back 410 and relists)
    is a new key. The old key stops working, the new one has its own hash
    and Secret, and nothing of the old one's state is inherited."""
    ours = [{"scope": "namespace", "namespaces": [namespace]}]
    with serving(cluster, tmp_path_factory) as s:
        cluster.apply(apikey("again", access=ours), namespace)
        first = wait_phase(cluster, namespace, "again", "Active")
        old_key = secret_key(cluster, namespace, "again-apikey")
        assert s.check({"namespace": namespace}, old_key)[1]["allowed"]
        first_uid = cluster.kubectl_json("get", "apikey", "again", "-n", namespace)["metadata"]["uid"]

        s.proc.proc.send_signal(signal.SIGSTOP)
        try:
            cluster.kubectl("delete", "apikey", "again", "-n", namespace)
            wider = ours + [{"scope": "namespace", "namespaces": ["elsewhere"]}]
            cluster.apply(apikey("again", access=wider), namespace)
            revision = int(etcd(cluster, "kv/range", {"key": "AA=="})["header"]["revision"])
            etcd(cluster, "kv/compaction", {"revision": str(revision), "physical": True})
            cluster.restart_apiserver()
        finally:
            s.proc.proc.send_signal(signal.SIGCONT)

        made_again = cluster.kubectl_json("get", "apikey", "again", "-n", namespace)
        assert made_again["metadata"]["uid"] != first_uid
        status = wait_for(lambda: (st := apikey_status(cluster, namespace, "again")).get("phase") == "Active"
                          and st.get("keyHash") and st, timeout=90, interval=0.2,
                          message="the new ApiKey Active")
        assert status["keyHash"] != first["keyHash"], "the new ApiKey inherited the old key's hash"
        secret = cluster.kubectl_json("get", "secret", "again-apikey", "-n", namespace)
        assert secret["metadata"]["ownerReferences"][0]["uid"] == made_again["metadata"]["uid"]
        new_key = secret_key(cluster, namespace, "again-apikey")
        assert new_key != old_key
        assert s.check({"namespace": "elsewhere"}, new_key)[1]["allowed"]
        for where in (namespace, "elsewhere"):
            assert not s.check({"namespace": where}, old_key)[1]["allowed"], "the deleted ApiKey's key works"
        assert s.proc.alive()


def test_a_second_writer_in_a_loop_does_not_stop_status_converging(cluster, operator, namespace):
    names = [f"contested-{i}" for i in range(5)]
    cluster.apply([apikey(n) for n in names], namespace)
    stop = threading.Event()
    edits = {"n": 0}

    def meddle():
        # Another controller (or a person with a script) labelling the
        # ApiKeys as fast as it can: every object changes under keyward's feet.
        while not stop.is_set():
            for n in names:
                cluster.kubectl("label", "apikey", n, "-n", namespace,
                                f"meddled={edits['n']}", "--overwrite", check=False)
                edits["n"] += 1

    writer = threading.Thread(target=meddle, daemon=True)
    writer.start()
    try:
        for n in names:
            wait_phase(cluster, namespace, n, "Active", timeout=60)
        wait_for(lambda: edits["n"] >= 30, timeout=60, message="the storm going")
        # A spec change made during the storm is observed too.
        cluster.kubectl("patch", "apikey", names[0], "-n", namespace, "--type=merge",
                        "-p", '{"spec":{"description":"changed in the storm"}}')
        generation = cluster.kubectl_json("get", "apikey", names[0], "-n", namespace)[
            "metadata"]["generation"]
        wait_for(lambda: apikey_status(cluster, namespace, names[0]).get("observedGeneration")
                 == generation, timeout=60, message="observedGeneration catches up")
    finally:
        stop.set()
        writer.join(30)
    assert edits["n"] >= 30, f"the second writer made only {edits['n']} edits"
    for n in names:
        status = apikey_status(cluster, namespace, n)
        assert status["phase"] == "Active" and status.get("keyHint"), (n, status)
    assert operator.alive()
