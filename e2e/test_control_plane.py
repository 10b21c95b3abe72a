"""The loopback control plane itself: proves that e2e/cluster gives the
operator suites a real API server that serves keyward's CRD, enforces its
schema and CEL rules, runs the garbage collector and namespace controller,
survives an API server restart, and can call keyward's authn/authz webhooks.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import CRD_DIR, E2E_DIR, Cluster, wait_for

APIKEY_CRD = CRD_DIR / "apikeys.keyward.io.yaml"


def pinned_kubernetes_version() -> str:
    """The version pinned in the wrapper module (the one place it is set)."""
    text = (E2E_DIR / "tools" / "kubernetes" / "go.mod").read_text()
    return re.search(r"^require k8s\.io/kubernetes (v\S+)", text, re.M).group(1)


def apikey(name: str, **spec) -> dict:
    """A valid ApiKey manifest; keyword arguments override spec fields."""
    body = {
        "description": f"e2e key {name}",
        "type": "permanent",
        "access": [{"scope": "namespace", "namespaces": ["default"]}],
    }
    body.update(spec)
    return {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
            "metadata": {"name": name}, "spec": body}


def crd_schema() -> dict:
    crd = yaml.safe_load(APIKEY_CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    return version["schema"]["openAPIV3Schema"]


def single_line(text: str) -> str:
    return " ".join(text.split())


# ---- the API server ----------------------------------------------------------


def test_server_version_is_pinned_release(cluster: Cluster):
    versions = json.loads(cluster.kubectl("version", "-o", "json").stdout)
    want = pinned_kubernetes_version()
    assert versions["serverVersion"]["gitVersion"] == want
    assert versions["serverVersion"]["gitTreeState"] == "clean"
    # The kubectl on the cluster's PATH is built from the same release.
    assert versions["clientVersion"]["gitVersion"] == want
    assert want in cluster.kubectl("version").stdout


def test_listens_on_loopback_only(cluster: Cluster):
    assert cluster.apiserver_url.startswith("https://127.0.0.1:")
    readyz = cluster.kubectl("get", "--raw", "/readyz?verbose").stdout
    assert "readyz check passed" in readyz


# ---- keyward's CRD -------------------------------------------------------------


def test_crds_apply_and_are_established(cluster: Cluster, crds: list[str]):
    assert "apikeys.keyward.io" in crds
    # Applying again is a no-op, not an error.
    out = cluster.kubectl("apply", "-f", str(CRD_DIR)).stdout
    assert "apikeys.keyward.io" in out
    names = cluster.kubectl("api-resources", "--api-group=keyward.io", "-o", "name").stdout
    assert "apikeys.keyward.io" in names.split()


def test_explain_documents_access_rules(cluster: Cluster, crds):
    out = cluster.kubectl("explain", "apikey.spec.access").stdout
    assert "FIELD:" in out and "access" in out
    assert "FIELDS:" in out
    for field in ("scope", "namespaces", "actions"):
        assert re.search(rf"^\s+{field}\s", out, re.M), f"{field} missing from:\n{out}"
    # The description printed is the one written in the CRD.
    description = crd_schema()["properties"]["spec"]["properties"]["access"].get("description", "")
    assert description, "spec.access has no description in the CRD"
    assert single_line(description)[:40] in single_line(out)


def test_schema_rejects_unknown_type(cluster: Cluster, crds, namespace: str):
    result = cluster.apply(apikey("bogus-type", type="bogus"), namespace, check=False)
    assert result.returncode != 0, result.stdout
    message = single_line(result.stderr)
    assert 'The ApiKey "bogus-type" is invalid' in message
    assert "spec.type" in message
    assert '"bogus"' in message
    assert '"permanent"' in message and '"volatile"' in message
    assert not cluster.exists("apikey", "bogus-type", "-n", namespace)


INVALID_DIR = CRD_DIR.parent / "examples" / "invalid"


def crd_only_rejections() -> list[tuple[str, str]]:
    """(file, expected field path) for every invalid example that the table in
    examples/invalid/README.md says the API server refuses from the CRD alone
    (through kubectl, whose default field validation is strict)."""
    rows = []
    for line in (INVALID_DIR / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        file, expect, server = cells
        # "with kubectl's default strict field validation": kubectl is what
        # the test runs, so those rows count too.
        if server.startswith("yes") or server.startswith("with kubectl"):
            rows.append((file.strip("`"), expect.strip("`").split(": ")[0]))
    return rows


def test_crd_alone_refuses_the_examples_its_table_says(cluster: Cluster, crds, namespace: str):
    rows = crd_only_rejections()
    assert len(rows) >= 25, rows
    wrong = []
    for file, path in rows:
        manifest = yaml.safe_load((INVALID_DIR / file).read_text())
        manifest["metadata"]["namespace"] = namespace
        result = cluster.kubectl("apply", "--dry-run=server", "-f", "-",
                                 input=yaml.safe_dump(manifest), check=False)
        message = single_line(result.stderr)
        # The API server names the field or, for a map key, its parent map.
        parent = path.rsplit(".", 1)[0]
        if result.returncode == 0 or not (path in message or parent in message):
            wrong.append(f"{file}: rc={result.returncode} {message[:300]}")
    assert not wrong, "\n".join(wrong)


def expires_and_ttl_rule() -> dict:
    """The CEL rule of the CRD that forbids expiresAt together with ttl."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for rule in node.get("x-kubernetes-validations", []):
                if "ttl" in rule.get("rule", "") and "expiresAt" in rule.get("rule", ""):
                    found.append(rule)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(crd_schema())
    assert found, "the CRD has no CEL rule over expiresAt and ttl"
    return found[0]


def test_cel_rejects_expires_at_with_ttl(cluster: Cluster, crds, namespace: str):
    rule = expires_and_ttl_rule()
    manifest = apikey("both-expiries", expiresAt="2030-01-01T00:00:00Z", ttl="30d")
    result = cluster.apply(manifest, namespace, check=False)
    assert result.returncode != 0, result.stdout
    message = single_line(result.stderr)
    assert 'The ApiKey "both-expiries" is invalid' in message
    assert "spec" in message
    # The API server quotes the rule's own message (or the rule, without one).
    assert single_line(rule.get("message") or rule["rule"]) in message
    # Each on its own is fine.
    cluster.apply(apikey("only-ttl", ttl="30d"), namespace)
    cluster.apply(apikey("only-expires", expiresAt="2030-01-01T00:00:00Z"), namespace)


def test_cel_refuses_times_keyward_cannot_represent(cluster: Cluster, crds, namespace: str):
    """Without the webhook, the CRD alone refuses lifetimes past 100 years
    and instants past 2262 (a wrapped nanosecond count made them "past"),
    naming the field; the longest allowed values pass."""
    refused = {
        "ttl": apikey("ttl-too-long", ttl="100000d"),
        "ttl-sum": apikey("ttl-sum-too-long", ttl="36500d1h"),
        "rotation.every": apikey("every-too-long", rotation={"every": "100000d"}),
        "rotation.overlap": apikey("overlap-too-long", rotation={"every": "1h", "overlap": "5300000w"}),
        "expiresAt": apikey("expires-too-late", expiresAt="9999-12-31T23:59:59Z"),
    }
    for field, manifest in refused.items():
        result = cluster.apply(manifest, namespace, check=False)
        assert result.returncode != 0, (field, result.stdout)
        message = single_line(result.stderr)
        path = "spec." + field.replace("-sum", "")
        assert path in message, (field, message)
        assert "36500d" in message or "2262-04-11T23:47:16Z" in message, (field, message)
    cluster.apply([apikey("ttl-longest", ttl="36500d"),
                   apikey("ttl-mixed", ttl="1.5h30m"),
                   apikey("every-longest", rotation={"every": "5214w2d", "overlap": "90s"}),
                   apikey("expires-latest", expiresAt="2262-04-11T23:47:16Z")], namespace)


def test_field_selector_on_type(cluster: Cluster, crds, namespace: str):
    cluster.apply([apikey("steady", type="permanent"), apikey("fleeting", type="volatile")], namespace)
    out = cluster.kubectl("get", "ak", "-n", namespace, "--field-selector", "spec.type=volatile",
                          "-o", "name").stdout
    assert out.split() == ["apikey.keyward.io/fleeting"]
    out = cluster.kubectl("get", "ak", "-n", namespace, "--field-selector", "spec.type=permanent",
                          "-o", "name").stdout
    assert out.split() == ["apikey.keyward.io/steady"]


# ---- kube-controller-manager ----------------------------------------------------


def test_garbage_collector_deletes_owned_secret(cluster: Cluster, crds, namespace: str):
    cluster.apply(apikey("owner"), namespace)
    uid = cluster.kubectl_json("get", "apikey", "owner", "-n", namespace)["metadata"]["uid"]
    cluster.apply({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "owner-apikey", "ownerReferences": [{
            "apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "name": "owner", "uid": uid,
            "controller": True, "blockOwnerDeletion": True}]},
        "stringData": {"key": "not-a-real-key"},
    }, namespace)
    cluster.kubectl("delete", "apikey", "owner", "-n", namespace)
    # The garbage collector finds new resource types on its periodic
    # discovery resync (30 s), so allow for one.
    wait_for(lambda: not cluster.exists("secret", "owner-apikey", "-n", namespace),
             timeout=120, message="the owned Secret to be garbage-collected")


def test_namespace_deletion_completes(cluster: Cluster, crds):
    name = "e2e-doomed-namespace"
    cluster.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true")
    cluster.kubectl("create", "namespace", name)
    cluster.apply([apikey("doomed"), {"apiVersion": "v1", "kind": "ConfigMap",
                                      "metadata": {"name": "doomed"}, "data": {"a": "b"}}], name)
    # The service-account controller runs too.
    wait_for(lambda: cluster.exists("serviceaccount", "default", "-n", name),
             timeout=60, message="the default ServiceAccount")
    cluster.kubectl("delete", "namespace", name, "--wait=false")
    wait_for(lambda: not cluster.exists("namespace", name), timeout=120,
             message=f"namespace {name} to finish terminating")


# ---- restarts ----------------------------------------------------------------------


def test_restart_apiserver_keeps_state(cluster: Cluster, crds, namespace: str):
    cluster.apply(apikey("survivor"), namespace)
    old_pid = (cluster.state_dir / "pids" / "kube-apiserver.pid").read_text().strip()
    cluster.restart_apiserver()
    new_pid = (cluster.state_dir / "pids" / "kube-apiserver.pid").read_text().strip()
    assert new_pid != old_pid
    assert cluster.exists("apikey", "survivor", "-n", namespace)
    assert "running" in cluster.status().stdout


# ---- authn/authz webhooks ----------------------------------------------------------

GOOD_TOKEN = "kw_e2eTestToken"


class FakeKeyward(BaseHTTPRequestHandler):
    """Answers TokenReview and SubjectAccessReview the way keyward will: one
    known token becomes a keyward user that may read pods, nothing else."""

    reviews: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = urlsplit(self.path).path  # kube-apiserver adds ?timeout=...
        FakeKeyward.reviews.append({"path": path, "body": body})
        if path == "/authenticate":
            ok = body["spec"].get("token") == GOOD_TOKEN
            status = {"authenticated": ok}
            if ok:
                status["user"] = {"username": "keyward:e2e:reader", "groups": ["keyward:apikeys"]}
        elif path == "/authorize":
            attrs = body["spec"].get("resourceAttributes") or {}
            status = {"allowed": attrs.get("resource") == "pods" and attrs.get("verb") in ("get", "list")}
        else:
            self.send_error(404)
            return
        answer = json.dumps({"apiVersion": body["apiVersion"], "kind": body["kind"],
                             "status": status}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_keyward(cluster: Cluster):
    """A stand-in for keyward's webhook port, serving with the cluster's
    keyward.crt, with kube-apiserver pointed at it for the test's duration."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKeyward)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cluster.keyward_cert, cluster.keyward_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeKeyward.reviews = []
    try:
        cluster.configure_webhooks(f"https://127.0.0.1:{server.server_address[1]}")
        yield server
    finally:
        cluster.configure_webhooks(None)
        server.shutdown()
        server.server_close()


def token_kubeconfig(cluster: Cluster, path: Path, token: str) -> str:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": cluster.apiserver_url,
                                               "certificate-authority": cluster.ca_cert}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }))
    return str(path)


def test_token_and_access_review_webhooks(cluster: Cluster, fake_keyward, namespace: str,
                                          tmp_path: Path):
    good = token_kubeconfig(cluster, tmp_path / "good", GOOD_TOKEN)
    bad = token_kubeconfig(cluster, tmp_path / "bad", "kw_unknown")

    whoami = cluster.kubectl("--kubeconfig", good, "auth", "whoami", "-o", "json").stdout
    user = json.loads(whoami)["status"]["userInfo"]
    assert user["username"] == "keyward:e2e:reader"
    assert "keyward:apikeys" in user["groups"]

    # RBAC gives this user nothing; the webhook allows reading pods.
    cluster.kubectl("--kubeconfig", good, "get", "pods", "-n", namespace)
    denied = cluster.kubectl("--kubeconfig", good, "get", "secrets", "-n", namespace, check=False)
    assert denied.returncode != 0 and "Forbidden" in denied.stderr

    unknown = cluster.kubectl("--kubeconfig", bad, "get", "pods", "-n", namespace, check=False)
    assert unknown.returncode != 0 and "Unauthorized" in unknown.stderr

    paths = {review["path"] for review in FakeKeyward.reviews}
    assert paths == {"/authenticate", "/authorize"}
    # Only keyward's own users are sent to its authorizer.
    for review in FakeKeyward.reviews:
        if review["path"] == "/authorize":
            assert review["body"]["spec"]["user"] == "keyward:e2e:reader"
