"""keyward's HTTPS server end to end, with clients no one here wrote: curl
for /v1/check and /v1/auth, a real nginx doing auth_request in front of a
static upstream, and kubectl with a keyward key through kube-apiserver's
TokenReview and SubjectAccessReview webhooks. One keyward serves the module."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import Cluster, wait_for
from keyward_process import (KeywardProcess, ensure_default_service_account, ensure_operator_namespace,
                             apikey_status, checksum_ok, secret_key, wait_phase)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, cluster: Cluster, proc: KeywardProcess, port: int, metrics_port: int,
                 webhook_port: int = 0):
        self.cluster, self.proc, self.port, self.metrics_port = cluster, proc, port, metrics_port
        info = cluster.info
        self.ca = info["CA_CERT"]
        self.url = f"https://127.0.0.1:{port}"
        # The webhooks' own port (--webhook-port), or the HTTPS port.
        self.webhook_url = f"https://127.0.0.1:{webhook_port}" if webhook_port else self.url

    def curl(self, path: str, *args: str, plain: bool = False, webhook: bool = False) -> tuple[int, dict, str]:
        """(status, headers, body) of one curl request; |webhook|: to the
        webhook port with the client certificate kube-apiserver presents."""
        url = f"http://127.0.0.1:{self.metrics_port}{path}" if plain else self.url + path
        if webhook:
            info = self.cluster.info
            url = self.webhook_url + path
            args = ("--cert", info["WEBHOOK_CLIENT_CERT"], "--key", info["WEBHOOK_CLIENT_KEY"], *args)
        out = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", self.ca, "-D", "-",
                              url, *args], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        # text=True turns curl's \r\n into \n.
        head, _, body = out.stdout.partition("\n\n")
        while head.startswith("HTTP/1.1 100"):
            head, _, body = body.partition("\n\n")
        lines = head.split("\n")
        headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        return int(lines[0].split()[1]), headers, body

    def check(self, body: dict, key: str | None = None) -> tuple[int, dict]:
        args = ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        if key:
            args += ["-H", f"Authorization: Bearer {key}"]
        status, _, text = self.curl("/v1/check", *args)
        return status, json.loads(text)


@contextlib.contextmanager
def serving(cluster: Cluster, tmp_path_factory, *extra_args: str,
            webhook_port: bool = False) -> Iterator[Served]:
    """One keyward with its HTTPS port on loopback and kube-apiserver's
    TokenReview/SubjectAccessReview webhooks pointed at it, for a module.
    |webhook_port|: the webhooks on a port of their own, as the chart runs
    them (webhookPort)."""
    ensure_operator_namespace(cluster)
    info = cluster.info
    port, metrics_port = free_port(), free_port()
    hook_port = free_port() if webhook_port else 0
    if hook_port:
        extra_args = (*extra_args, "--webhook-port", str(hook_port))
    log = tmp_path_factory.mktemp("keyward") / "keyward.log"
    proc = KeywardProcess(cluster, log, "--tls-cert-file", info["KEYWARD_CERT"],
                          "--tls-private-key-file", info["KEYWARD_KEY"],
                          "--bind-address", "127.0.0.1", "--secure-port", str(port),
                          "--metrics-bind-address", f"127.0.0.1:{metrics_port}", *extra_args)
    proc.start()
    s = Served(cluster, proc, port, metrics_port, hook_port)
    try:
        wait_for(lambda: _ready(s), timeout=30, interval=0.1, message="keyward /readyz")
        cluster.configure_webhooks(s.webhook_url)
        yield s
    finally:
        cluster.configure_webhooks(None)
        code = proc.stop()
        assert code == 0, f"keyward exited {code}:\n{proc.log()[-3000:]}"


@pytest.fixture(scope="module")
def served(cluster: Cluster, crds, tmp_path_factory) -> Served:
    with serving(cluster, tmp_path_factory, "--max-keys-per-namespace", "5",
                 "--usage-flush-interval", "1s",
                 "--forward-auth-path", "/logs/{namespace}/{pod}", webhook_port=True) as s:
        yield s


def _ready(s: Served) -> bool:
    try:
        return s.curl("/readyz", plain=True)[0] == 200
    except AssertionError:
        return False


def key_for(cluster: Cluster, namespace: str, name: str, **spec) -> str:
    body = {"description": f"e2e {name}", "access": [{"scope": "namespace", "namespaces": [namespace]}]}
    body.update(spec)
    cluster.apply({"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
                   "metadata": {"name": name}, "spec": body}, namespace)
    wait_phase(cluster, namespace, name, "Active")
    return secret_key(cluster, namespace, f"{name}-apikey")


def test_check_with_curl(served: Served, cluster, namespace):
    key = key_for(cluster, namespace, "logs", limits={"perDay": 100})
    status, out = served.check({"namespace": namespace}, key)
    assert status == 200 and out["allowed"] and out["apiKey"] == {"namespace": namespace, "name": "logs"}
    assert out["remaining"]["day"] == 99
    status, out = served.check({"namespace": namespace, "key": key})  # key in the body
    assert out["allowed"] and out["remaining"]["day"] == 98
    assert served.check({"namespace": "kube-system"}, key)[1]["reason"] == "not_in_scope"
    assert served.check({"namespace": namespace, "pod": "ghost"}, key)[1]["reason"] == "pod_not_found"
    # Malformed, unknown and typo'd keys: one identical answer.
    answers = {json.dumps(served.check({"namespace": namespace}, k)[1])
               for k in (key[:10] + ("a" if key[10] != "a" else "b") + key[11:], "kw_" + "A" * 36, "nope")}
    assert answers == {'{"allowed": false, "reason": "unauthenticated"}'}


def test_bad_input_gets_4xx_and_the_next_request_works(served: Served, cluster, namespace):
    key = key_for(cluster, namespace, "bad-input")
    assert served.curl("/v1/check", "-H", "Content-Type: application/json", "-d", "{nope")[0] == 400
    assert served.curl("/v1/check", "-d", "namespace=x")[0] == 415  # curl's default form type
    assert served.curl("/v1/check", "-H", "Content-Type: application/json", "-d",
                       json.dumps({"namespace": 5}))[0] == 400
    assert served.curl("/v1/check", "-H", "Content-Type: application/json",
                       "-d", json.dumps({"namespace": namespace}))[0] == 401
    big = Path(served.proc.log_path).parent / "big.json"
    big.write_text('{"namespace":"' + "a" * (2 << 20) + '"}')
    assert served.curl("/v1/check", "-H", "Content-Type: application/json", "--data-binary", f"@{big}")[0] == 413
    assert served.curl("/nowhere")[0] == 404
    # SECLEVEL=0: OpenSSL 3's default level cannot offer TLS 1.1 at all.
    old_tls = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{served.port}",
                              "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
                             input="", capture_output=True, text=True, timeout=30)
    assert old_tls.returncode != 0, "a TLS 1.1 handshake was accepted"
    assert "alert protocol version" in old_tls.stdout + old_tls.stderr, old_tls.stderr
    idle = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(1000)]
    try:
        assert served.check({"namespace": namespace}, key)[1]["allowed"]
    finally:
        for s in idle:
            s.close()
    log = served.proc.log()
    assert key not in log and key[3:33] not in log


def test_revoked_key_is_denied_within_a_second(served: Served, cluster, namespace):
    key = key_for(cluster, namespace, "revoke")
    other = key_for(cluster, namespace, "delete-me")
    # Each clock starts when the API server has taken the change (kubectl
    # returned) and stops at the first refusal.
    cluster.kubectl("patch", "apikey", "revoke", "-n", namespace, "--type=merge",
                    "-p", '{"spec":{"disabled":true}}')
    start = time.monotonic()
    wait_for(lambda: not served.check({"namespace": namespace}, key)[1]["allowed"], timeout=5,
             interval=0.02, message="a disabled key to be refused")
    disabled = time.monotonic() - start
    cluster.kubectl("delete", "apikey", "delete-me", "-n", namespace, "--wait=false")
    start = time.monotonic()
    wait_for(lambda: not served.check({"namespace": namespace}, other)[1]["allowed"], timeout=5,
             interval=0.02, message="a deleted key to be refused")
    deleted = time.monotonic() - start
    assert disabled < 1 and deleted < 1, f"disabled refused after {disabled:.3f}s, deleted after {deleted:.3f}s"


NGINX_CONF = """
worker_processes auto;
error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location ~ ^/logs/[^/]+/[^/]+$ {{
      auth_request /_keyward;
      auth_request_set $kw_status $upstream_status;
      auth_request_set $kw_retry $upstream_http_retry_after;
      auth_request_set $kw_apikey $upstream_http_x_keyward_apikey;
      error_page 500 = @keyward_error;
      proxy_set_header X-Keyward-ApiKey $kw_apikey;
      proxy_pass http://127.0.0.1:{upstream};
    }}
    location = /_keyward {{
      internal;
      proxy_pass {keyward}/v1/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      # keyward runs with --forward-auth-path /logs/{{namespace}}/{{pod}}: the
      # target is the URI nginx saw. X-Keyward-* headers a client adds are
      # deliberately passed on here, to show that keyward ignores them.
      proxy_set_header X-Original-URI $request_uri;
      proxy_ssl_trusted_certificate {ca};
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_protocols TLSv1.2 TLSv1.3;
    }}
    # auth_request passes 401 and 403 through; 429 arrives as an error.
    # (return would answer in the rewrite phase, before auth_request runs.)
    location @keyward_error {{
      add_header Retry-After $kw_retry always;
      if ($kw_status = 429) {{ return 429 "over quota\\n"; }}
      return 500;
    }}
  }}
  server {{  # the static upstream: echoes who keyward let in
    listen 127.0.0.1:{upstream};
    location / {{
      add_header X-Upstream-ApiKey $http_x_keyward_apikey always;
      return 200 "logs\\n";
    }}
  }}
}}
"""


@pytest.fixture
def nginx(served: Served, tmp_path: Path):
    port, upstream = free_port(), free_port()
    (tmp_path / "nginx.conf").write_text(NGINX_CONF.format(dir=tmp_path, port=port, keyward=served.url,
                                                           ca=served.ca, upstream=upstream))
    proc = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                             "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        def up():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                return False
        wait_for(up, timeout=10, interval=0.05, message="nginx to listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_nginx_auth_request(served: Served, cluster, namespace, nginx):
    ensure_default_service_account(cluster, namespace)
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"},
                   "spec": {"containers": [{"name": "app", "image": "keyward-e2e/none:0"}]}}, namespace)
    key = key_for(cluster, namespace, "proxied", limits={"perSecond": 1000, "perDay": 2})

    def get(path: str, *headers: str) -> tuple[int, dict]:
        args = ["curl", "-sS", "-o", "/dev/null", "-D", "-", nginx + path]
        for h in headers:
            args += ["-H", h]
        out = subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.split("\n")
        return int(out[0].split()[1]), {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in out[1:] if l)}

    wait_for(lambda: get(f"/logs/{namespace}/web-1", f"Authorization: Bearer {key}")[0] == 200,
             timeout=10, interval=0.1, message="the pod to reach keyward's cache")
    assert get(f"/logs/{namespace}/web-1")[0] == 401
    assert get(f"/logs/kube-system/etcd-0", f"Authorization: Bearer {key}")[0] == 403
    basic = base64.b64encode(f"{namespace}/proxied:{key}".encode()).decode()
    status, headers = get(f"/logs/{namespace}/web-1", f"Authorization: Basic {basic}")
    assert status == 200 and headers["x-upstream-apikey"] == f"{namespace}/proxied"
    status, headers = get(f"/logs/{namespace}/web-1", f"Authorization: Bearer {key}")
    assert status == 429 and int(headers["retry-after"]) > 0


def test_nginx_client_headers_name_no_target(served: Served, cluster, namespace, nginx):
    """A client that adds X-Keyward-* headers itself gets nothing more than
    without them: with --forward-auth-path the target is the URI nginx saw."""
    ensure_default_service_account(cluster, namespace)
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-2"},
                   "spec": {"containers": [{"name": "app", "image": "keyward-e2e/none:0"}]}}, namespace)
    # Container scope: the app container of web-2, never the whole pod.
    key = key_for(cluster, namespace, "one-container",
                  access=[{"scope": "container", "namespaces": [namespace], "pods": ["web-2"],
                           "containers": ["app"]}])
    wide = key_for(cluster, namespace, "wide")

    def status(path: str, key: str, *headers: str) -> int:
        args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", nginx + path,
                "-H", f"Authorization: Bearer {key}"]
        for h in headers:
            args += ["-H", h]
        return int(subprocess.run(args, capture_output=True, text=True, timeout=30).stdout)

    wait_for(lambda: status(f"/logs/{namespace}/web-2", wide) == 200,
             timeout=10, interval=0.1, message="the pod to reach keyward's cache")
    assert status(f"/logs/{namespace}/web-2", key) == 403
    forged = [f"X-Keyward-Namespace: {namespace}", "X-Keyward-Pod: web-2", "X-Keyward-Container: app",
              "X-Keyward-Action: log"]
    assert status(f"/logs/{namespace}/web-2", key, *forged) == 403
    assert status("/logs/kube-system/etcd-0", wide, *forged) == 403
    assert status(f"/logs/{namespace}/web-2", wide, *forged) == 200


def test_kubectl_with_a_key_through_the_webhooks(served: Served, cluster, namespace, tmp_path):
    key = key_for(cluster, namespace, "kubectl")
    info = cluster.info
    empty = tmp_path / "empty.kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\n")

    def can_i(*args: str, token: str = key) -> str:
        out = cluster.run("kubectl", "--kubeconfig", str(empty), "--server", info["APISERVER_URL"],
                          "--certificate-authority", info["CA_CERT"], "--token", token,
                          "auth", "can-i", *args, check=False)
        return out.stdout.strip()

    assert can_i("get", "pods", "--subresource=log", "-n", namespace) == "yes"
    assert can_i("list", "pods", "-n", namespace) == "yes"
    # kubectl prints the webhook's reason after "no".
    assert can_i("get", "pods", "--subresource=log", "-n", "kube-system") == "no - outside the key's scope"
    assert can_i("get", "secrets", "-n", namespace).startswith("no")
    assert can_i("delete", "pods", "-n", namespace).startswith("no")
    assert can_i("get", "pods", "-n", namespace, token="kw_" + "A" * 36) != "yes"  # not a user
    # Ordinary users are unaffected: the admin still may do anything.
    assert cluster.kubectl("auth", "can-i", "create", "secrets", "-n", namespace).stdout.strip() == "yes"
    whoami = cluster.run("kubectl", "--kubeconfig", str(empty), "--server", info["APISERVER_URL"],
                         "--certificate-authority", info["CA_CERT"], "--token", key,
                         "auth", "whoami", "-o", "json")
    user = json.loads(whoami.stdout)["status"]["userInfo"]
    assert user["username"] == f"keyward:{namespace}:kubectl" and "keyward:apikeys" in user["groups"]


def test_webhooks_answer_only_on_their_port(served: Served, cluster):
    """--webhook-port: /validate, /mutate, /authenticate and /authorize are
    not on the data port, and the data paths are not on theirs.
    kube-apiserver reaches them there: every kubectl --token and admission
    test in this module goes that way."""
    review = json.dumps({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                         "spec": {"user": "alice", "resourceAttributes": {"verb": "get", "resource": "pods"}}})
    for path in ("/validate", "/mutate", "/authenticate", "/authorize"):
        status, _, body = served.curl(path, "-H", "Content-Type: application/json", "-d", review)
        assert status == 404 and "--webhook-port" in body, (path, status, body)
    status, _, body = served.curl("/authorize", "-H", "Content-Type: application/json", "-d", review,
                                  webhook=True)
    assert status == 200 and json.loads(body)["status"] == {"allowed": False}, body
    status, _, _ = served.curl("/v1/check", "-H", "Content-Type: application/json", "-d", "{}", webhook=True)
    assert status == 404


def test_authorize_answers_only_for_the_key_authenticate_named(served: Served, cluster, namespace):
    """kube-apiserver caches a TokenReview's user, then sends that user's
    SubjectAccessReviews. The user carries the key's id (extra
    keyward.io/key-id), and /authorize decides only for a current key: an
    ApiKey deleted and created again does not give the old key, still in a
    token cache, the new ApiKey's scope; a keyward:… user from another
    authenticator (no group, no key id) gets no opinion."""
    old_key = key_for(cluster, namespace, "recreated")

    def authenticate(key: str) -> dict:
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": key}}
        status, _, body = served.curl("/authenticate", "-H", "Content-Type: application/json",
                                      "-d", json.dumps(review), webhook=True)
        assert status == 200, body
        return json.loads(body)["status"]

    def authorize(user: dict) -> dict:
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                  "spec": {**user, "resourceAttributes": {"namespace": namespace, "verb": "list",
                                                          "resource": "pods"}}}
        status, _, body = served.curl("/authorize", "-H", "Content-Type: application/json",
                                      "-d", json.dumps(review), webhook=True)
        assert status == 200, body
        return json.loads(body)["status"]

    old = authenticate(old_key)["user"]
    assert old["groups"] == ["keyward:apikeys"] and len(old["extra"]["keyward.io/key-id"][0]) == 16
    assert old_key not in json.dumps(old)
    sar_user = lambda u: {"user": u["username"], "groups": u["groups"], "extra": u["extra"]}
    assert authorize(sar_user(old))["allowed"]
    # The same name from another authenticator: not keyward's to decide.
    assert authorize({"user": old["username"], "groups": ["system:authenticated"]}) == {"allowed": False}

    cluster.kubectl("delete", "apikey", "recreated", "-n", namespace, "--wait=true")
    new_key = key_for(cluster, namespace, "recreated")
    assert new_key != old_key
    assert not authenticate(old_key)["authenticated"]
    # The old key's user, as a token cache would still hold it: refused.
    stale = authorize(sar_user(old))
    assert not stale["allowed"] and stale.get("denied"), stale
    assert authorize(sar_user(authenticate(new_key)["user"]))["allowed"]


def test_reveal_a_volatile_key_once(served: Served, cluster, namespace):
    cluster.apply([
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "revealer"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reveal"},
         "rules": [{"apiGroups": ["keyward.io"], "resources": ["apikeys/reveal"], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reveal"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reveal"},
         "subjects": [{"kind": "ServiceAccount", "name": "revealer", "namespace": namespace}]},
        {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "metadata": {"name": "ci"},
         "spec": {"description": "e2e volatile", "type": "volatile",
                  "access": [{"scope": "namespace", "namespaces": [namespace]}]}},
    ], namespace)
    wait_phase(cluster, namespace, "ci", "Active")
    token = lambda sa: cluster.kubectl("create", "token", sa, "-n", namespace).stdout.strip()
    path = f"/v1/reveal/{namespace}/ci"

    status, _, body = served.curl(path, "-H", f"Authorization: Bearer {token('nobody')}")
    assert status == 403 and f"system:serviceaccount:{namespace}:nobody" in body, body
    assert served.curl(path)[0] == 401
    status, headers, body = served.curl(path, "-H", f"Authorization: Bearer {token('revealer')}")
    assert status == 200, body
    assert headers["cache-control"] == "no-store"
    key = json.loads(body)["key"]
    assert served.check({"namespace": namespace}, key)[1]["allowed"]
    status, _, body = served.curl(path, "-H", f"Authorization: Bearer {token('revealer')}")
    assert status == 410 and "revealed once already" in body
    assert key not in served.proc.log()
    status, _, _ = served.curl(f"/v1/reveal/{namespace}/no-such-key",
                               "-H", f"Authorization: Bearer {token('revealer')}")
    assert status in (403, 404)  # the Role names no resourceNames, so 404


def token_kubeconfig(cluster: Cluster, token: str, namespace: str, path: Path) -> str:
    """A kubeconfig whose user is |token| (a ServiceAccount's), in |namespace|."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "sa",
        "clusters": [{"name": "loopback", "cluster": {"server": cluster.apiserver_url,
                                                      "certificate-authority": cluster.ca_cert}}],
        "users": [{"name": "sa", "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "loopback", "user": "sa",
                                                "namespace": namespace}}]}))
    return str(path)


def test_keyward_reveal_prints_a_volatile_key_once(served: Served, cluster, namespace, tmp_path):
    if not cluster.keyward_bin:
        pytest.skip("KEYWARD_BIN is not set")
    cluster.apply([
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "cli-revealer"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "cli-reveal"},
         "rules": [{"apiGroups": ["keyward.io"], "resources": ["apikeys/reveal"], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "cli-reveal"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cli-reveal"},
         "subjects": [{"kind": "ServiceAccount", "name": "cli-revealer", "namespace": namespace}]},
        {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "metadata": {"name": "cli-ci"},
         "spec": {"description": "e2e volatile for the CLI", "type": "volatile",
                  "access": [{"scope": "namespace", "namespaces": [namespace]}]}},
    ], namespace)
    wait_phase(cluster, namespace, "cli-ci", "Active")
    token = cluster.kubectl("create", "token", "cli-revealer", "-n", namespace).stdout.strip()
    config = token_kubeconfig(cluster, token, namespace, tmp_path / "config")
    reveal = lambda *args: cluster.run(cluster.keyward_bin, "reveal", "--kubeconfig", config, *args,
                                       check=False)

    # Without --url it looks for the leader's pod: keyward runs here as a
    # process, and this user may not read the Lease; the error says what to do.
    found = reveal("cli-ci")
    assert found.returncode == 2 and "--url" in found.stderr, found.stderr
    at = ("--url", served.url, "--ca-file", served.ca)
    first = reveal("cli-ci", *at)  # the context's namespace
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert checksum_ok(key) and served.check({"namespace": namespace}, key)[1]["allowed"]
    again = reveal(f"{namespace}/cli-ci", *at)
    assert again.returncode == 1 and "revealed already" in again.stderr
    assert f"keyward rotate {namespace}/cli-ci" in again.stderr and key not in again.stderr
    # A CA that did not sign keyward's certificate: refused, not trusted.
    other_ca = tmp_path / "other-ca.crt"
    cluster.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", str(tmp_path / "other.key"), "-subj", "/CN=other", "-days", "1",
                "-out", str(other_ca))
    wrong = reveal("cli-ci", "--url", served.url, "--ca-file", str(other_ca))
    assert wrong.returncode == 2 and "--ca-file" in wrong.stderr and "certificate" in wrong.stderr, wrong.stderr
    assert key not in served.proc.log()


def test_keyward_check_asks_a_running_keyward(served: Served, cluster, namespace):
    if not cluster.keyward_bin:
        pytest.skip("KEYWARD_BIN is not set")
    key = key_for(cluster, namespace, "cli-check", limits={"perDay": 10})
    check = lambda ns: cluster.run(cluster.keyward_bin, "check", "--url", served.url, "--ca-file", served.ca,
                                   "-n", ns, input=key + "\n", check=False)
    allowed = check(namespace)
    assert allowed.returncode == 0, allowed.stderr
    out = json.loads(allowed.stdout)
    assert out["allowed"] and out["apiKey"]["name"] == "cli-check"
    assert out["remaining"]["day"] == 9, "a check through keyward counts against the quota"
    refused = check("kube-system")
    assert refused.returncode == 1 and json.loads(refused.stdout)["reason"] == "not_in_scope"
    unreachable = cluster.run(cluster.keyward_bin, "check", "--url", f"https://127.0.0.1:{free_port()}",
                              "--ca-file", served.ca, "-n", namespace, input=key + "\n", check=False)
    assert unreachable.returncode == 2 and key not in unreachable.stderr


def webhook_configurations(served: Served, namespace: str) -> list[dict]:
    ca = base64.b64encode(Path(served.ca).read_bytes()).decode()
    hook = lambda name, path: {
        "name": name, "admissionReviewVersions": ["v1"], "sideEffects": "None",
        "failurePolicy": "Fail", "timeoutSeconds": 5,
        "clientConfig": {"url": f"{served.webhook_url}/{path}", "caBundle": ca},
        # This test's namespace only: the rest of the suite runs without them.
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        "rules": [{"apiGroups": ["keyward.io"], "apiVersions": ["v1alpha1"], "resources": ["apikeys"],
                   "operations": ["CREATE", "UPDATE"], "scope": "Namespaced"}]}
    meta = {"name": f"keyward-e2e-{namespace}"}
    return [{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
             "metadata": meta, "webhooks": [hook("mutate.keyward.io", "mutate")]},
            {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
             "metadata": meta, "webhooks": [hook("validate.keyward.io", "validate")]}]


def test_admission_webhooks(served: Served, cluster, namespace):
    configs = webhook_configurations(served, namespace)
    cluster.apply(configs)
    try:
        run_admission_checks(served, cluster, namespace)
    finally:
        for c in configs:
            cluster.kubectl("delete", c["kind"].lower(), c["metadata"]["name"], "--ignore-not-found")


def run_admission_checks(served: Served, cluster, namespace):
    apikey = lambda name, namespaces, **spec: {
        "apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "metadata": {"name": name},
        "spec": {"description": "e2e admission", **spec,
                 "access": [{"scope": "namespace", "namespaces": namespaces}]}}
    # The webhook is registered a moment before the API server calls it.
    wait_for(lambda: "spec.access[0].scope" in cluster.apply(
        {**apikey("bad", [namespace]), "spec": {"description": "x", "access": [{"scope": "galaxy"}]}},
        namespace, check=False).stderr, timeout=20, interval=0.2, message="the validating webhook")
    refused = cluster.apply(apikey("past", [namespace], expiresAt="2020-01-01T00:00:00Z"), namespace, check=False)
    assert refused.returncode != 0 and "spec.expiresAt" in refused.stderr, refused.stderr

    cluster.apply(apikey("mine", [namespace]), namespace)
    me = json.loads(cluster.kubectl("auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]["username"]
    obj = cluster.kubectl_json("get", "apikey", "mine", "-n", namespace)
    assert obj["metadata"]["annotations"]["keyward.io/created-by"] == me
    wait_for(lambda: cluster.kubectl_json("get", "apikey", "mine", "-n", namespace)
             .get("status", {}).get("createdBy") == me, timeout=20, interval=0.2, message="status.createdBy")

    # A user who may read logs in this namespace only cannot mint a wider key.
    cluster.apply([
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "key-maker"},
         "rules": [{"apiGroups": ["keyward.io"], "resources": ["apikeys"], "verbs": ["create", "get", "patch"]},
                   {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "key-maker"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "key-maker"},
         "subjects": [{"kind": "User", "name": "limited", "apiGroup": "rbac.authorization.k8s.io"}]}], namespace)
    cluster.apply(apikey("narrow", [namespace]), namespace)
    ok = cluster.kubectl("apply", "--as=limited", "-n", namespace, "-f", "-",
                         input=json.dumps(apikey("narrow2", [namespace])), check=False)
    assert ok.returncode == 0, ok.stderr
    wide = cluster.kubectl("apply", "--as=limited", "-n", namespace, "-f", "-",
                           input=json.dumps(apikey("wide", [namespace, "kube-system"])), check=False)
    assert wide.returncode != 0
    assert "limited may not get pods/log in namespace kube-system" in wide.stderr, wide.stderr

    # The limit (5 here): mine, narrow, narrow2 exist; two more fit, the sixth does not.
    for name in ("fill-1", "fill-2"):
        cluster.apply(apikey(name, [namespace]), namespace)
    for name in ("mine", "narrow", "narrow2", "fill-1", "fill-2"):
        wait_phase(cluster, namespace, name, "Active")  # reconciled: in keyward's cache
    over = cluster.apply(apikey("one-too-many", [namespace]), namespace, check=False)
    assert over.returncode != 0 and "the limit is 5" in over.stderr, over.stderr


def test_usage_is_written_to_status_and_survives_a_restart(served: Served, cluster, namespace):
    """Counts reach status.usage within the flush interval (1s here); after a
    restart the day quota goes on from the written count, not from zero."""
    key = key_for(cluster, namespace, "usage", limits={"perDay": 10})
    for _ in range(3):
        assert served.check({"namespace": namespace}, key)[1]["allowed"]
    status = wait_for(lambda: (s := apikey_status(cluster, namespace, "usage"))
                      .get("usage", {}).get("total") == 3 and s,
                      timeout=10, interval=0.2, message="status.usage.total == 3")
    usage = status["usage"]
    assert (usage["today"], usage["thisMonth"], usage["total"]) == (3, 3, 3), usage
    day = status["lastUsedAt"][:10]
    assert usage["daily"] == [{"date": day, "count": 3}] and usage["monthly"] == [{"month": day[:7], "count": 3}]
    assert status["lastUsedAt"].endswith("Z")
    assert status["phase"] == "Active"  # the usage patch leaves the rest alone
    assert served.proc.stop() == 0
    served.proc.start()
    wait_for(lambda: _ready(served), timeout=30, interval=0.1, message="keyward /readyz after restart")
    status, out = served.check({"namespace": namespace}, key)
    assert out["allowed"] and out["remaining"]["day"] == 6, out
