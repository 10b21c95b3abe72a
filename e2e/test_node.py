"""The sentence users care most about, on a real node: a log client presents
a key and reads the logs of the containers the key covers.

The cluster has a node here (kubelet, containerd, kube-scheduler; see
docs/control-plane.md): a two-container workload really runs and writes
logs. kubectl reads them with a key through kube-apiserver's TokenReview
and SubjectAccessReview webhooks (and the API server -> kubelet path), and
curl reads them from keyward's own /v1/logs, container scope exact and a
filter applied by keyward."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Cluster, wait_for
from keyward_process import secret_key, wait_phase
from test_server import Served, serving

WORKLOAD_IMAGE = "keyward-base:bookworm"
REPO_ROOT = Path(__file__).resolve().parent.parent

# "app" writes a line every 0.2 s, every third one an ERROR; "sidecar" too.
APP = 'i=0; while :; do i=$((i+1)); if ((i % 3 == 0)); then echo "app ERROR $i"; ' \
      'else echo "app line $i"; fi; sleep 0.2; done'
SIDECAR = 'i=0; while :; do i=$((i+1)); echo "sidecar line $i"; sleep 0.2; done'


@pytest.fixture(scope="module")
def workload_image(node: Cluster) -> str:
    """The Debian base image keyward's Dockerfile builds FROM: it has bash,
    which is all the log-writing workload needs. Built locally, loaded onto
    the node like `kind load docker-image`."""
    made = subprocess.run([str(REPO_ROOT / "scripts" / "base-image")], capture_output=True,
                          text=True, timeout=1800)
    assert made.returncode == 0, made.stderr[-3000:]
    node.load_image(WORKLOAD_IMAGE)
    return WORKLOAD_IMAGE


@pytest.fixture(scope="module")
def logs_served(node: Cluster, crds, tmp_path_factory) -> Served:
    """keyward with /v1/logs on, and kube-apiserver's webhooks pointed at it."""
    with serving(node, tmp_path_factory, "--logs-endpoint") as s:
        yield s


def run_workload(cluster: Cluster, namespace: str, image: str) -> str:
    """The two-container Deployment "shop"; returns its running pod's name."""
    def container(name: str, script: str) -> dict:
        return {"name": name, "image": image, "imagePullPolicy": "Never",
                "command": ["bash", "-c", script],
                "securityContext": {"allowPrivilegeEscalation": False}}
    cluster.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "shop", "namespace": namespace},
                   "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "shop"}},
                            "template": {"metadata": {"labels": {"app": "shop"}},
                                         "spec": {"terminationGracePeriodSeconds": 1,
                                                  "containers": [container("app", APP),
                                                                 container("sidecar", SIDECAR)]}}}})
    # The ReplicaSet controller makes the pod a moment after the apply.
    wait_for(lambda: cluster.kubectl_json("get", "pods", "-n", namespace, "-l", "app=shop")["items"],
             timeout=30, interval=0.2, message="the Deployment's pod")
    waited = cluster.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=shop", "-n", namespace,
                             "--timeout=120s", check=False, timeout=130)
    if waited.returncode != 0:
        pods = cluster.kubectl("get", "pods", "-n", namespace, "-o", "yaml", check=False).stdout
        events = cluster.kubectl("get", "events", "-n", namespace, check=False).stdout
        raise AssertionError(f"the workload never ran:\n{pods[-3000:]}\n{events[-3000:]}\n"
                             f"kubelet:\n{cluster.log_tail('kubelet', 60)}")
    pods = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", "app=shop")["items"]
    return pods[0]["metadata"]["name"]


def apikey(cluster: Cluster, namespace: str, name: str, rule: dict) -> str:
    cluster.apply({"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
                   "metadata": {"name": name, "namespace": namespace},
                   "spec": {"description": f"e2e {name}", "access": [rule]}})
    wait_phase(cluster, namespace, name, "Active")
    return secret_key(cluster, namespace, f"{name}-apikey")


def kubectl_with(cluster: Cluster, key: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """kubectl as the key's holder: no client certificate, only --token."""
    empty = tmp_path / "empty.kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    return cluster.run("kubectl", "--kubeconfig", str(empty), "--server", cluster.apiserver_url,
                       "--certificate-authority", cluster.ca_cert, "--token", key, *args, check=False)


class LogFollower:
    """`curl --no-buffer` on /v1/logs with follow=true, read line by line as
    the lines arrive, each with the time it arrived."""

    def __init__(self, served: Served, path: str, key: str) -> None:
        self.proc = subprocess.Popen(
            ["curl", "-sS", "--no-buffer", "--max-time", "60", "--cacert", served.ca,
             "-H", f"Authorization: Bearer {key}", served.url + path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def lines(self, n: int, timeout: float = 15) -> list[tuple[float, str]]:
        got, deadline = [], time.monotonic() + timeout
        while len(got) < n:
            assert time.monotonic() < deadline, f"only {got} in {timeout}s"
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"the stream ended after {got}: {self.proc.stderr.read()}")
            got.append((time.monotonic(), line.rstrip("\n")))
        return got

    def wait_end(self, timeout: float) -> float:
        """Seconds until curl saw the end of the stream."""
        start = time.monotonic()
        while self.proc.stdout.readline():
            assert time.monotonic() - start < timeout, "the stream is still open"
        self.proc.wait(timeout)
        return time.monotonic() - start

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def test_v1_logs_stream_follows_the_keys_rule_changes(node, logs_served, workload_image, namespace):
    """An open stream decides again when its ApiKey changes: kubectl edits
    the filter and the following lines pass the new one; kubectl narrows the
    scope off the container and the stream ends."""
    pod = run_workload(node, namespace, workload_image)
    key = apikey(node, namespace, "follows", {"scope": "filter", "namespaces": [namespace],
                                              "containers": ["app"], "filter": "ERROR"})
    stream = LogFollower(logs_served, f"/v1/logs/{namespace}/{pod}/app?follow=true&tailLines=1", key)

    def access(rule: dict) -> None:
        node.kubectl("patch", "apikey", "follows", "-n", namespace, "--type", "merge",
                     "-p", json.dumps({"spec": {"access": [rule]}}))

    try:
        got = stream.lines(2)
        assert all(" ERROR " in text for _, text in got), got

        # A new filter: once keyward has the change, only "line" lines.
        access({"scope": "filter", "namespaces": [namespace], "containers": ["app"], "filter": "line"})
        changed = time.monotonic()
        while True:
            (at, text), = stream.lines(1)
            if " line " in text:
                break
            assert " ERROR " in text, text  # the old filter until keyward sees the change
            assert at - changed < 5, f"still the old filter {at - changed:.2f}s after kubectl patch"
        print(f"first line of the new filter {at - changed:.2f}s after kubectl patch")
        after = stream.lines(5)
        assert all(" line " in text for _, text in after), after

        # The scope no longer covers "app": the stream ends.
        access({"scope": "container", "namespaces": [namespace], "containers": ["sidecar"]})
        took = stream.wait_end(timeout=5)
        print(f"stream closed {took:.2f}s after kubectl narrowed the scope")
        assert took < 2, took
    finally:
        stream.close()


def test_kubectl_logs_with_a_key_on_a_real_node(node, logs_served, workload_image, namespace, tmp_path):
    pod = run_workload(node, namespace, workload_image)
    shop = apikey(node, namespace, "shop-logs", {"scope": "set", "namespaces": [namespace],
                                                 "setType": "deployment", "sets": ["shop"]})
    app_only = apikey(node, namespace, "app-only", {"scope": "container", "namespaces": [namespace],
                                                    "containers": ["app"]})
    elsewhere = apikey(node, namespace, "elsewhere", {"scope": "namespace", "namespaces": ["default"]})

    # The Deployment's key reads both containers, through kube-apiserver ->
    # keyward (TokenReview, SubjectAccessReview) -> kubelet -> containerd.
    for container in ("app", "sidecar"):
        out = kubectl_with(node, shop, tmp_path, "logs", "-n", namespace, pod, "-c", container,
                           "--tail=3")
        assert out.returncode == 0, out.stderr
        lines = out.stdout.strip().splitlines()
        assert len(lines) == 3 and all(l.startswith(f"{container} ") for l in lines), lines
    # SubjectAccessReview carries no container: a container-scoped key is
    # refused through kubectl (docs/endpoints.md), and so is a key for
    # another namespace.
    for key in (app_only, elsewhere):
        out = kubectl_with(node, key, tmp_path, "logs", "-n", namespace, pod, "-c", "app", "--tail=1")
        assert out.returncode != 0 and "forbidden" in out.stderr.lower(), (out.stdout, out.stderr)
    # Ordinary users are unaffected.
    admin = node.kubectl("logs", "-n", namespace, pod, "-c", "sidecar", "--tail=1")
    assert admin.stdout.startswith("sidecar line"), admin.stdout


def test_v1_logs_streams_the_allowed_container_filtered(node, logs_served, workload_image, namespace,
                                                         tmp_path):
    pod = run_workload(node, namespace, workload_image)
    app_only = apikey(node, namespace, "app-only", {"scope": "container", "namespaces": [namespace],
                                                    "containers": ["app"]})
    errors = apikey(node, namespace, "app-errors", {"scope": "filter", "namespaces": [namespace],
                                                    "containers": ["app"], "filter": "ERROR"})
    base = f"/v1/logs/{namespace}/{pod}"

    # The allowed container: lines arrive as the workload writes them (one
    # every 0.2 s), not when the stream ends.
    follow = LogFollower(logs_served, f"{base}/app?follow=true&tailLines=1", app_only)
    try:
        got = follow.lines(6)
        assert all(text.startswith("app ") for _, text in got), got
        numbers = [int(text.split()[-1]) for _, text in got]
        assert numbers == list(range(numbers[0], numbers[0] + 6)), numbers
        assert got[-1][0] - got[1][0] >= 0.5, f"lines came in one burst: {got}"
    finally:
        follow.close()

    # The other container of the same pod: 403, before any byte of its log.
    status, _, body = logs_served.curl(f"{base}/sidecar", "-H", f"Authorization: Bearer {app_only}")
    assert status == 403, body
    assert "sidecar line" not in body
    # No key, a bad parameter.
    assert logs_served.curl(f"{base}/app")[0] == 401
    assert logs_served.curl(f"{base}/app?tailLines=-1", "-H", f"Authorization: Bearer {app_only}")[0] == 400

    # A filter rule: keyward passes only the matching lines.
    filtered = LogFollower(logs_served, f"{base}/app?follow=true", errors)
    try:
        got = filtered.lines(4)
        assert all(" ERROR " in text for _, text in got), got
    finally:
        filtered.close()

    # Revoked while streaming: the stream ends within a second of the API
    # server taking the deletion (kubectl returned; keyward rechecks every
    # 250 ms).
    revoked = LogFollower(logs_served, f"{base}/app?follow=true&tailLines=1", app_only)
    try:
        revoked.lines(2)
        node.kubectl("delete", "apikey", "app-only", "-n", namespace, "--wait=false")
        took = revoked.wait_end(timeout=5)
        print(f"stream closed {took:.2f}s after kubectl delete apikey")
        assert took < 1, took
    finally:
        revoked.close()
