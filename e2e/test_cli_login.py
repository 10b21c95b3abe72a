"""The CLI logs in as kubectl does, on the real control plane.

A ~/.kube/config (KUBECONFIG unset) with two contexts whose user gets a
ServiceAccount token from an exec credential plugin (a script that counts
its runs). `keyward requests`, `usage`, `approve` and `kubectl keyward
requests` work with it; the namespace follows the context, --context
switches, a credential past its expirationTimestamp is fetched again, and a
401 runs the plugin again.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from conftest import Cluster, _run

V = "keyward.io/v1alpha1"

PLUGIN = """#!/usr/bin/env python3
# An exec credential plugin for the test: the token in $STATE/token, valid
# for $STATE/ttl seconds (negative: already expired); $STATE/bad-once makes
# the next run answer a token the API server refuses.
import datetime, json, os, pathlib
state = pathlib.Path(os.environ["STATE"])
with open(state / "runs", "a") as runs:
    runs.write("run\\n")
(state / "last-info").write_text(os.environ.get("KUBERNETES_EXEC_INFO", ""))
token = (state / "token").read_text().strip()
if (state / "bad-once").exists():
    (state / "bad-once").unlink()
    token = "not-a-token-the-server-knows"
ttl = int((state / "ttl").read_text())
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=ttl)
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": token,
                             "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}))
"""


class Login:
    """A home folder with ~/.kube/config and the plugin's state."""

    def __init__(self, cluster: Cluster, home: Path, namespaces: tuple[str, str]) -> None:
        self.cluster = cluster
        self.home = home
        self.state = home / "plugin-state"
        self.namespaces = namespaces
        self.bin = home / "bin"

    def env(self) -> dict[str, str]:
        env = dict(self.cluster.env)
        env.pop("KUBECONFIG", None)
        env["HOME"] = str(self.home)
        env["PATH"] = f"{self.bin}:{env['PATH']}"
        return env

    def runs(self) -> int:
        path = self.state / "runs"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def keyward(self, *args: str, check: bool = True):
        return _run([self.cluster.keyward_bin, *args], self.env(), check=check)

    def kubectl(self, *args: str, check: bool = True):
        kubectl = next(Path(d) / "kubectl" for d in self.cluster.bin_dirs if (Path(d) / "kubectl").exists())
        return _run([str(kubectl), *args], self.env(), check=check)


def kubeconfig(cluster: Cluster, namespaces: tuple[str, str], home: Path) -> dict:
    # A command with a '/' is relative to the kubeconfig's folder (~/.kube).
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "../bin/token-plugin",
                     "env": [{"name": "STATE", "value": str(home / "plugin-state")}],
                     "interactiveMode": "Never", "provideClusterInfo": True,
                     "installHint": "the e2e test writes bin/token-plugin"}}
    return {"apiVersion": "v1", "kind": "Config", "current-context": "team-a",
            "clusters": [{"name": "loopback", "cluster": {"server": cluster.apiserver_url,
                                                          "certificate-authority": cluster.ca_cert}}],
            "users": [{"name": "cli", "user": user}],
            "contexts": [{"name": "team-a", "context": {"cluster": "loopback", "user": "cli",
                                                        "namespace": namespaces[0]}},
                         {"name": "team-b", "context": {"cluster": "loopback", "user": "cli",
                                                        "namespace": namespaces[1]}}]}


def rbac(sa_ns: str, name: str) -> list[dict]:
    rules = [{"apiGroups": ["keyward.io"], "resources": ["apikeyrequests"], "verbs": ["get", "list"]},
             {"apiGroups": ["keyward.io"], "resources": ["apikeyrequests/status"], "verbs": ["update"]},
             {"apiGroups": ["keyward.io"], "resources": ["apikeys", "apikeytemplates", "clusterapikeytemplates"],
              "verbs": ["list"]},
             {"apiGroups": ["keyward.io"], "resources": ["apikeys"], "verbs": ["patch"]}]
    return [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
             "rules": rules},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": name},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
             "subjects": [{"kind": "ServiceAccount", "name": "cli", "namespace": sa_ns}]}]


def request(name: str) -> dict:
    return {"apiVersion": V, "kind": "ApiKeyRequest", "metadata": {"name": name},
            "spec": {"templateRef": {"kind": "ApiKeyTemplate", "name": "none"}, "reason": "e2e login"}}


@pytest.fixture(scope="module")
def login(cluster: Cluster, crds, tmp_path_factory) -> Iterator[Login]:
    if not cluster.keyward_bin:
        pytest.skip("KEYWARD_BIN is not set")
    tag = uuid.uuid4().hex[:6]
    namespaces = (f"e2e-login-a-{tag}", f"e2e-login-b-{tag}")
    for ns in namespaces:
        cluster.kubectl("create", "namespace", ns)
    cluster.kubectl("create", "serviceaccount", "cli", "-n", namespaces[0])
    cluster.apply(rbac(namespaces[0], f"e2e-login-{tag}"))
    cluster.apply(request("from-a"), namespaces[0])
    cluster.apply(request("from-b"), namespaces[1])

    home = tmp_path_factory.mktemp("home")
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text(json.dumps(kubeconfig(cluster, namespaces, home)))
    login = Login(cluster, home, namespaces)
    login.bin.mkdir()
    plugin = login.bin / "token-plugin"
    plugin.write_text(PLUGIN)
    plugin.chmod(0o755)
    # kubectl runs kubectl-keyward for `kubectl keyward`.
    os.symlink(cluster.keyward_bin, login.bin / "kubectl-keyward")
    login.state.mkdir()
    token = cluster.kubectl("create", "token", "cli", "-n", namespaces[0], "--duration", "1h").stdout.strip()
    (login.state / "token").write_text(token)
    (login.state / "ttl").write_text("600")
    yield login
    cluster.kubectl("delete", "clusterrolebinding,clusterrole", f"e2e-login-{tag}", "--ignore-not-found",
                    check=False)
    for ns in namespaces:
        cluster.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", check=False)


def names(listed: str) -> list[str]:
    return [line.split()[1] for line in listed.splitlines()[1:] if line.strip()]


def test_requests_follow_the_context_and_its_namespace(login: Login):
    before = login.runs()
    a = login.keyward("requests")
    assert names(a.stdout) == ["from-a"], a.stdout
    assert login.runs() == before + 1, "one run: the credential is kept until it expires"
    info = json.loads((login.state / "last-info").read_text())
    assert info["spec"]["interactive"] is False
    assert info["spec"]["cluster"]["server"] == login.cluster.apiserver_url
    assert names(login.keyward("requests", "--context", "team-b").stdout) == ["from-b"]
    assert names(login.keyward("requests", "--context", "team-b", "-n", login.namespaces[0]).stdout) == ["from-a"]


def test_json_output_parses(login: Login):
    listed = json.loads(login.keyward("requests", "-o", "json").stdout)
    assert [(r["namespace"], r["name"], r["status"]) for r in listed] == [(login.namespaces[0], "from-a", "Pending")]
    usage = json.loads(login.keyward("usage", "-o", "json").stdout)
    assert isinstance(usage, (list, dict))


def test_kubectl_plugin_uses_the_same_login(login: Login):
    out = login.kubectl("keyward", "requests", "--context", "team-b")
    assert names(out.stdout) == ["from-b"], out.stdout + out.stderr


def test_an_expired_credential_is_fetched_again(login: Login):
    (login.state / "ttl").write_text("-1")  # every credential is already past its expirationTimestamp
    try:
        before = login.runs()
        login.keyward("usage")  # lists keys, templates and cluster templates: three requests
        assert login.runs() - before >= 3
    finally:
        (login.state / "ttl").write_text("600")


def test_a_401_runs_the_plugin_again_and_approve_works(login: Login):
    (login.state / "bad-once").write_text("")
    before = login.runs()
    approved = login.keyward("approve", "from-a", "--reason", "logged in")
    assert "ApiKeyRequest " + login.namespaces[0] + "/from-a approved" in approved.stdout
    assert login.runs() == before + 2, "the refused token, then a fresh one"
    again = login.keyward("approve", "from-a", "from-nothing", check=False)
    assert again.returncode == 1
    assert "is already Approved" in again.stderr and "from-nothing" in again.stderr


def test_rotate_asks_for_a_new_key(login: Login):
    key = {"apiVersion": V, "kind": "ApiKey", "metadata": {"name": "ci"},
           "spec": {"description": "e2e rotate", "type": "permanent", "access": [{"scope": "namespace", "namespaces": [login.namespaces[1]]}]}}
    login.cluster.apply(key, login.namespaces[1])
    out = login.keyward("rotate", f"{login.namespaces[1]}/ci")
    assert f"ApiKey {login.namespaces[1]}/ci rotation requested" in out.stdout
    annotations = login.cluster.kubectl_json("get", "apikey", "ci", "-n", login.namespaces[1])["metadata"]["annotations"]
    assert annotations["keyward.io/rotate-requested-at"].endswith("Z")
    hostile = login.keyward("rotate", "../../namespaces/x/*", check=False)  # never a path of its own
    assert hostile.returncode == 1 and '".." is not a namespace name' in hostile.stderr, hostile.stderr
    missing = login.keyward("rotate", "nope", check=False)  # in the context's namespace
    assert missing.returncode == 1 and f"rotate {login.namespaces[0]}/nope" in missing.stderr, missing.stderr


def test_a_missing_plugin_says_what_to_install(login: Login, tmp_path: Path):
    config = json.loads((login.home / ".kube" / "config").read_text())
    config["users"][0]["user"]["exec"]["command"] = "keyward-e2e-no-such-plugin"
    broken = tmp_path / "config"
    broken.write_text(json.dumps(config))
    out = login.keyward("requests", "--kubeconfig", str(broken), check=False)
    assert out.returncode == 1
    assert "keyward-e2e-no-such-plugin" in out.stderr and "not found" in out.stderr, out.stderr
    assert "the e2e test writes bin/token-plugin" in out.stderr
