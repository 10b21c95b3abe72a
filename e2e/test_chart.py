"""The Helm chart and the container image, together, on the real control plane.

The cluster has a node (e2e/cluster up --with-node): the image built from
the Dockerfile is loaded onto it and `helm install` runs keyward's two pods
there, as the chart's ServiceAccount, behind the chart's Service. If the
chart's RBAC misses a verb, the image misses a library, the probes or the
webhook's certificate are wrong, the operator fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pytest
import yaml

from conftest import REPO_ROOT, Cluster, CommandError, wait_for
from keyward_process import checksum_ok, key_hash, pepper, secret_key, wait_phase

CHART = REPO_ROOT / "charts" / "keyward"
CRD_FILE = REPO_ROOT / "crds" / "apikeys.keyward.io.yaml"
CRD_NAME = "apikeys.keyward.io"
CRD_FILES = sorted((REPO_ROOT / "crds").glob("*.yaml"))
CRD_NAMES = [f.name.removesuffix(".yaml") for f in CRD_FILES]
RELEASE = "keyward"
# A namespace per run: the last run's may still be terminating.
RELEASE_NS = f"keyward-chart-{uuid.uuid4().hex[:6]}"
SA = f"system:serviceaccount:{RELEASE_NS}:{RELEASE}"


# ---- helpers ---------------------------------------------------------------

def helm(cluster: Cluster, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return cluster.run("helm", *args, check=check, timeout=180)


def rendered(cluster: Cluster, *set_args: str) -> list[dict]:
    out = helm(cluster, "template", RELEASE, str(CHART), "-n", RELEASE_NS, *set_args).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def kinds(docs: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
                  for d in docs)


def container_args(docs: list[dict]) -> list[str]:
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    return deploy["spec"]["template"]["spec"]["containers"][0]["args"]


def can_i(cluster: Cluster, verb: str, resource: str, namespace: str | None) -> bool:
    """kubectl auth can-i as the chart's ServiceAccount; resource may be
    "kind/name" or "kind.group/subresource" (for status)."""
    args = ["auth", "can-i", verb, resource, "--as", SA]
    if resource.endswith("/status"):
        args = ["auth", "can-i", verb, resource.removesuffix("/status"),
                "--subresource=status", "--as", SA]
    args += ["-n", namespace] if namespace else ["-A"]
    result = cluster.kubectl(*args, check=False)
    answer = result.stdout.strip()
    assert answer in ("yes", "no"), f"kubectl auth can-i said {answer!r}: {result.stderr}"
    return answer == "yes"


def wait_rollout(cluster: Cluster) -> list[dict]:
    """The Deployment rolled out and every pod Ready; returns the pods."""
    out = cluster.kubectl("rollout", "status", f"deployment/{RELEASE}", "-n", RELEASE_NS,
                          "--timeout=180s", check=False, timeout=200)
    if out.returncode != 0:
        described = cluster.kubectl("describe", "pods", "-n", RELEASE_NS, check=False).stdout
        raise AssertionError(f"the chart's pods did not become Ready:\n{described[-5000:]}\n"
                             f"logs:\n{pod_logs(cluster)}")
    pods = cluster.kubectl_json("get", "pods", "-n", RELEASE_NS, "-l",
                                f"app.kubernetes.io/instance={RELEASE}")["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def pod_logs(cluster: Cluster, pods: list[dict] | None = None) -> str:
    """Every keyward pod's log, or only |pods|' (kubectl logs through the kubelet)."""
    if pods is None:
        out = cluster.kubectl("logs", "-n", RELEASE_NS, "-l", f"app.kubernetes.io/instance={RELEASE}",
                              "--tail=-1", "--prefix", check=False)
        return out.stdout + out.stderr
    logs = []
    for pod in pods:
        out = cluster.kubectl("logs", "-n", RELEASE_NS, pod["metadata"]["name"], "--prefix",
                              check=False)
        logs.append(out.stdout + out.stderr)
    return "".join(logs)


def lease_holder(cluster: Cluster) -> str:
    lease = cluster.kubectl_json("get", "lease", "keyward-leader", "-n", RELEASE_NS)
    return lease["spec"].get("holderIdentity") or ""


def node_served_certificate(cluster: Cluster, ip: str, port: int = 9443) -> bytes:
    """The DER certificate a pod's HTTPS port presents, asked from inside the
    node's network namespace (where the pod's address is)."""
    out = cluster.in_node_netns("openssl", "s_client", "-connect", f"{ip}:{port}",
                                "-servername", "probe", input="")
    pem = cluster.run("openssl", "x509", "-outform", "PEM", input=out.stdout).stdout
    return pem.encode()


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise CommandError(f"docker {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


# ---- fixtures --------------------------------------------------------------

@pytest.fixture(scope="module")
def image(cluster: Cluster) -> str:
    """The image built from the Dockerfile (make image). Around the keyward
    that `make` built (KEYWARD_BIN) when there is one, so the suite does not
    compile it again; KEYWARD_IMAGE_FROM_SOURCE=1 compiles in docker build."""
    args = [str(REPO_ROOT / "scripts" / "build-image")]
    if cluster.keyward_bin and os.environ.get("KEYWARD_IMAGE_FROM_SOURCE") != "1":
        args += ["--prebuilt", cluster.keyward_bin]
    result = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        pytest.fail(f"scripts/build-image failed:\n{result.stderr[-4000:]}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def release(cluster: Cluster):
    """A release of the chart in RELEASE_NS, uninstalled afterwards.

    If the CRD already exists (applied from crds/ by another suite), it is
    adopted the way charts/keyward/README.md tells users to: Helm's ownership labels
    and annotations on it."""
    cluster.kubectl("create", "namespace", RELEASE_NS, check=False)
    for name in CRD_NAMES:
        if not cluster.exists("crd", name):
            continue
        cluster.kubectl("label", "--overwrite", "crd", name, "app.kubernetes.io/managed-by=Helm")
        cluster.kubectl("annotate", "--overwrite", "crd", name,
                        f"meta.helm.sh/release-name={RELEASE}",
                        f"meta.helm.sh/release-namespace={RELEASE_NS}")
    yield
    helm(cluster, "uninstall", RELEASE, "-n", RELEASE_NS, "--wait", check=False)
    # Gone before the next test installs into the same namespace (a
    # terminating namespace refuses Helm's release Secret).
    cluster.kubectl("delete", "namespace", RELEASE_NS, "--wait=true", "--timeout=120s",
                    "--ignore-not-found", check=False)


# ---- tests -----------------------------------------------------------------

def test_chart_lints_and_every_value_is_documented(cluster):
    lint = helm(cluster, "lint", "--strict", str(CHART))
    assert "0 chart(s) failed" in lint.stdout, lint.stdout

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()

    def leaves(node, prefix=""):
        if isinstance(node, dict) and node and prefix not in ("resources", "podSecurityContext",
                                                              "securityContext", "nodeSelector"):
            for k, v in node.items():
                yield from leaves(v, f"{prefix}.{k}" if prefix else k)
        else:
            yield prefix

    undocumented = [p for p in leaves(values) if f"`{p}`" not in readme]
    assert not undocumented, f"values missing from charts/keyward/README.md: {undocumented}"
    # And values.yaml documents each in place: the line above a value is a
    # comment (helm-docs style "# --" starts the block).
    wanted, stack, previous = set(leaves(values)), [], ""
    for number, line in enumerate((CHART / "values.yaml").read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith(("#", "-")) and ":" in stripped:
            indent = len(line) - len(line.lstrip())
            stack = [(i, k) for i, k in stack if i < indent] + [(indent, stripped.split(":")[0])]
            path = ".".join(k for _, k in stack)
            if path in wanted:
                assert previous.startswith("#"), f"values.yaml:{number}: {path} has no comment above it"
        previous = stripped


def test_chart_crd_is_the_crds_directory_one(cluster):
    docs = rendered(cluster)
    charted = {d["metadata"]["name"]: d for d in docs if d["kind"] == "CustomResourceDefinition"}
    assert sorted(charted) == CRD_NAMES, "the chart renders every CRD in crds/"
    for path, name in zip(CRD_FILES, CRD_NAMES):
        source = yaml.safe_load(path.read_text())
        assert charted[name]["spec"] == source["spec"], f"the chart's {name} differs from crds/"
        assert charted[name]["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    off = rendered(cluster, "--set", "crds.keep=false")
    crd_off = next(d for d in off if d["kind"] == "CustomResourceDefinition")
    assert "helm.sh/resource-policy" not in (crd_off["metadata"].get("annotations") or {})
    none = rendered(cluster, "--set", "crds.enabled=false")
    assert not [d for d in none if d["kind"] == "CustomResourceDefinition"]


def test_chart_refuses_values_that_would_break_it(cluster):
    result = helm(cluster, "template", RELEASE, str(CHART), "--set", "leaderElection.enabled=false",
                  check=False)
    assert result.returncode != 0
    assert "replicaCount=1" in result.stderr, result.stderr
    # values.schema.json: a typo or a wrong type is refused naming the value.
    for value, expected in [("replicaCount=two", "/replicaCount"),
                            ("logging.level=verbose", "/logging/level"),
                            ("leaderElection.leaseDuration=fifteen", "/leaderElection/leaseDuration"),
                            ("watchNamespaces={Team_A}", "/watchNamespaces/0"),
                            ("workerz=3", "workerz"),
                            ("extraArgs={workers=3}", "/extraArgs/0"),
                            ("tls.mode=bogus", "/tls/mode"),
                            ("tls.extraNames={Bad_Name}", "/tls/extraNames/0"),
                            ("webhook.failurePolicy=Never", "/webhook/failurePolicy"),
                            ("webhook.url=http://plain", "/webhook/url"),
                            ("logsEndpoint.maxStreams=lots", "/logsEndpoint/maxStreams"),
                            ("leaderElection.retryPeriod=0s", "/leaderElection/retryPeriod"),
                            ("leaderElection.leaseDuration=0ms", "/leaderElection/leaseDuration")]:
        bad = helm(cluster, "template", RELEASE, str(CHART), "--set", value, check=False)
        assert bad.returncode != 0, f"--set {value} was accepted"
        assert expected in bad.stderr, f"--set {value}: {bad.stderr}"
    # What keyward run would refuse at start, refused by helm instead.
    for values, expected in [(("leaderElection.leaseDuration=10s", "leaderElection.renewDeadline=10s"),
                              "renewDeadline (10s) must be shorter than leaderElection.leaseDuration (10s)"),
                             (("leaderElection.renewDeadline=1m", "leaderElection.leaseDuration=1h"), None),
                             (("leaderElection.retryPeriod=9s",),
                              "retryPeriod (9s) must be shorter than leaderElection.renewDeadline (10s) divided by 1.2")]:
        args = [a for v in values for a in ("--set", v)]
        out = helm(cluster, "template", RELEASE, str(CHART), *args, check=False)
        if expected is None:
            assert out.returncode == 0, out.stderr
        else:
            assert out.returncode != 0 and expected in out.stderr, f"{values}: {out.stderr}"
    single = rendered(cluster, "--set", "leaderElection.enabled=false", "--set", "replicaCount=1")
    assert "--leader-elect" not in container_args(single)
    assert not [d for d in single if d["kind"] == "PodDisruptionBudget"]


def test_watch_namespaces_renders_roles_not_a_cluster_role(cluster):
    docs = rendered(cluster, "--set", "watchNamespaces={team-a,team-b}")
    listed = kinds(docs)
    # Cluster-wide, the operator keeps only what is cluster-scoped anyway:
    # reviews and its own webhook configurations; people's roles grant nothing to it.
    bound = {d["roleRef"]["name"] for d in docs if d["kind"] == "ClusterRoleBinding"}
    # ClusterApiKeyTemplates are cluster-scoped: reading them needs a ClusterRole.
    assert bound == {f"{RELEASE}-reviews", f"{RELEASE}-clustertemplates"}, bound
    cluster_templates = next(d for d in docs if d["kind"] == "ClusterRole"
                             and d["metadata"]["name"] == f"{RELEASE}-clustertemplates")
    # (and its status: keyward writes Ready and keysIssued there).
    assert {r for rule in cluster_templates["rules"] for r in rule["resources"]} == {
        "clusterapikeytemplates", "clusterapikeytemplates/status"}
    reviews = next(d for d in docs if d["kind"] == "ClusterRole" and d["metadata"]["name"] == f"{RELEASE}-reviews")
    granted = {r for rule in reviews["rules"] for r in rule["resources"]}
    assert granted == {"tokenreviews", "subjectaccessreviews", "validatingwebhookconfigurations",
                       "mutatingwebhookconfigurations"}, granted
    for ns in ("team-a", "team-b"):
        assert ("Role", ns, RELEASE) in listed and ("RoleBinding", ns, RELEASE) in listed
    assert "--watch-namespaces=team-a,team-b" in container_args(docs)


def test_logs_endpoint_value_turns_on_the_flag_and_pods_log(cluster):
    def pods_log_rules(docs):
        return [r for d in docs if d["kind"] in ("ClusterRole", "Role") and d["metadata"]["name"] == RELEASE
                for r in d["rules"] if "pods/log" in r["resources"]]
    off = rendered(cluster)
    assert not pods_log_rules(off) and "--logs-endpoint" not in container_args(off)
    for extra in ([], ["--set", "watchNamespaces={team-a}"]):
        on = rendered(cluster, "--set", "logsEndpoint.enabled=true", "--set", "logsEndpoint.maxStreams=8",
                      *extra)
        assert pods_log_rules(on) == [{"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}]
        args = container_args(on)
        assert "--logs-endpoint" in args and "--max-log-streams=8" in args


def test_image_runs_as_nonroot_with_only_runtime_libraries(image):
    config = json.loads(docker("inspect", image).stdout)[0]["Config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["/usr/local/bin/keyward"]
    version = docker("run", "--rm", image, "version").stdout
    assert version.startswith("keyward "), version
    # No compiler or -dev package made it into the runtime stage.
    listed = docker("run", "--rm", "--entrypoint", "dpkg-query", image, "-W", "-f",
                    "${Package}\\n").stdout.split()
    assert not [p for p in listed if p.endswith("-dev") or p in ("g++", "gcc", "cmake")], listed
    # A bad flag is a clear error and a non-zero exit, not a crash.
    bad = docker("run", "--rm", image, "run", "--workers=0", check=False)
    assert bad.returncode != 0 and "--workers" in bad.stderr, bad.stderr


def test_chart_limits_secret_writes_to_keyward_secrets(cluster, crds, release):
    """The chart's ValidatingAdmissionPolicy and RBAC, asked of the real API
    server as the chart's ServiceAccount (impersonated): Secrets of type
    keyward.io/api-key may be written, owned by an ApiKey with
    blockOwnerDeletion (OwnerReferencesPermissionEnforcement is on); every
    other Secret write is denied, naming the policy's reason."""
    # No operator runs here: without webhooks, nothing refuses the ApiKey.
    helm(cluster, "upgrade", "--install", RELEASE, str(CHART), "-n", RELEASE_NS,
         "--set", "webhook.enabled=false")
    team = f"e2e-vap-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", team)
    cluster.apply({"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
                           "metadata": {"name": "owner", "namespace": team},
                           "spec": {"description": "owner", "access": [
                               {"scope": "namespace", "namespaces": [team]}]}})
    uid = cluster.kubectl_json("get", "apikey", "owner", "-n", team)["metadata"]["uid"]

    def write_as_sa(manifest: dict, verb: str = "create"):
        return cluster.kubectl(verb, "-f", "-", "--as", SA, "-n", team,
                               input=json.dumps(manifest), check=False)

    key_secret = {"apiVersion": "v1", "kind": "Secret", "type": "keyward.io/api-key",
                  "metadata": {"name": "owner-apikey", "ownerReferences": [
                      {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "name": "owner",
                       "uid": uid, "controller": True, "blockOwnerDeletion": True}]},
                  "stringData": {"key": "not-a-real-key"}}
    made = write_as_sa(key_secret)
    assert made.returncode == 0, made.stderr  # needs update on apikeys/finalizers
    other = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": "database"}, "stringData": {"password": "x"}}
    # A new ValidatingAdmissionPolicy is enforced once the API server has
    # loaded it (a second or so): until then a write may pass; undo it.
    attempt = {}

    def opaque_refused() -> bool:
        attempt["r"] = write_as_sa(other)
        if attempt["r"].returncode == 0:
            cluster.kubectl("delete", "secret", "database", "-n", team, check=False)
            return False
        return True
    wait_for(opaque_refused, timeout=30, message="the Secret policy in force")
    refused = attempt["r"]
    assert "may only write Secrets of type" in refused.stderr and "keyward.io/api-key" in refused.stderr, \
        refused.stderr
    # A Secret someone else made: the ServiceAccount may not change it.
    cluster.apply(other, team)
    patched = cluster.kubectl("patch", "secret", "database", "-n", team, "--as", SA,
                              "-p", '{"stringData":{"password":"y"}}', check=False)
    assert patched.returncode != 0 and "may only write Secrets of type" in patched.stderr, \
        patched.stderr
    # What stays broad, as the chart README says: get by name anywhere.
    assert can_i(cluster, "get", "secrets", "kube-system")


def test_nothing_keyward_serves_is_created_in_the_release_namespace(cluster, crds, release):
    """The webhooks skip the release namespace; the chart's policy refuses
    ApiKeys, templates and requests there instead, with keyward down (no
    operator runs here), naming why."""
    helm(cluster, "upgrade", "--install", RELEASE, str(CHART), "-n", RELEASE_NS)
    key = {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
           "metadata": {"name": "sneaky", "namespace": RELEASE_NS},
           "spec": {"description": "wide", "access": [{"scope": "cluster"}]}}
    refused = {}

    def is_refused() -> bool:
        refused["r"] = cluster.kubectl("create", "-f", "-", input=json.dumps(key), check=False)
        if refused["r"].returncode == 0:  # before the policy is in force: undo, try again
            cluster.kubectl("delete", "apikey", "sneaky", "-n", RELEASE_NS, "--wait=false", check=False)
            return False
        return True
    wait_for(is_refused, timeout=30, message="the release-namespace policy in force")
    assert "does not serve ApiKeys in its own namespace" in refused["r"].stderr, refused["r"].stderr
    request = {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKeyRequest",
               "metadata": {"name": "sneaky", "namespace": RELEASE_NS},
               "spec": {"templateRef": {"kind": "ClusterApiKeyTemplate", "name": "any"}}}
    r = cluster.kubectl("create", "-f", "-", input=json.dumps(request), check=False)
    assert r.returncode != 0 and "ApiKeyRequests in its own namespace" in r.stderr, r.stderr


def test_webhooks_get_a_port_of_their_own(cluster):
    """The API server reaches the webhooks on webhookPort through Service
    port 8443; the data port does not serve them. With a client CA the
    deployment mounts it, and the NetworkPolicy admits only webhookFrom."""
    docs = rendered(cluster, "--set", "webhook.clientCASecretName=apiserver-webhook-client-ca",
                    "--set", "networkPolicy.enabled=true",
                    "--set", "networkPolicy.webhookFrom[0].ipBlock.cidr=10.0.0.10/32")
    args = container_args(docs)
    assert "--webhook-port=9444" in args
    assert "--webhook-client-ca-file=/var/run/keyward/webhook-client-ca/ca.crt" in args
    service = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == RELEASE)
    assert {"name": "webhook", "port": 8443, "targetPort": "webhook"} in service["spec"]["ports"]
    for doc in docs:
        if doc["kind"] in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
            assert doc["webhooks"][0]["clientConfig"]["service"]["port"] == 8443, doc
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    webhook_rule = next(r for r in policy["spec"]["ingress"] if r["ports"] == [{"port": "webhook"}])
    assert webhook_rule["from"] == [{"ipBlock": {"cidr": "10.0.0.10/32"}}]
    # webhookPort=0: everything on the HTTPS port, as before.
    flat = rendered(cluster, "--set", "webhookPort=0")
    assert not [a for a in container_args(flat) if a.startswith("--webhook-port")]
    for doc in flat:
        if doc["kind"] == "ValidatingWebhookConfiguration":
            assert doc["webhooks"][0]["clientConfig"]["service"]["port"] == 443


def test_operator_rbac_has_no_wildcard(cluster):
    """Every rule the chart gives the operator names its groups, resources
    and verbs; the people's roles too."""
    for extra in ([], ["--set", "watchNamespaces={team-a}"], ["--set", "webhook.enabled=false"]):
        for doc in rendered(cluster, *extra):
            if doc["kind"] not in ("ClusterRole", "Role"):
                continue
            for rule in doc["rules"]:
                for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                    assert "*" not in rule.get(field, []), (doc["metadata"]["name"], rule)


def test_chart_installs_and_the_image_runs_with_its_rbac(node, crds, image, release, tmp_path):
    cluster = node
    cluster.load_image(image)
    install = helm(cluster, "upgrade", "--install", RELEASE, str(CHART), "-n", RELEASE_NS,
                   "--set", "image.repository=" + image.split(":")[0],
                   "--set", "image.tag=" + image.split(":")[1],
                   "--set", "image.pullPolicy=Never",  # loaded onto the node: no registry
                   # Short-lived, so a renewal happens while the test writes.
                   "--set", "tls.validity=45s")
    assert "STATUS: deployed" in install.stdout, install.stdout
    deploy = cluster.kubectl_json("get", "deployment", RELEASE, "-n", RELEASE_NS)
    assert deploy["spec"]["template"]["spec"]["serviceAccountName"] == RELEASE

    # Least privilege, asked of the API server's own authorizer.
    team = f"e2e-chart-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", team)
    assert can_i(cluster, "create", "secrets", team)
    assert can_i(cluster, "get", "secrets", team)
    assert not can_i(cluster, "list", "secrets", None), "no cluster-wide list on Secrets"
    assert not can_i(cluster, "watch", "secrets", team)
    assert not can_i(cluster, "delete", "secrets", team)
    assert not can_i(cluster, "update", "apikeys.keyward.io", team), "spec is the user's"
    assert can_i(cluster, "patch", "apikeys.keyward.io/status", team)
    assert can_i(cluster, "patch", "apikeytemplates.keyward.io/status", team)
    assert not can_i(cluster, "update", "apikeytemplates.keyward.io", team), "a template is its admins'"
    assert can_i(cluster, "update", "leases/keyward-leader", RELEASE_NS)
    assert not can_i(cluster, "update", "leases/kube-scheduler", "kube-system")
    assert not can_i(cluster, "get", "pods", team)
    assert not can_i(cluster, "get", "pods/log", team), "pods/log only with logsEndpoint.enabled"
    assert can_i(cluster, "watch", "pods", team) and can_i(cluster, "list", "replicasets.apps", team)
    assert can_i(cluster, "create", "tokenreviews.authentication.k8s.io", None)
    assert can_i(cluster, "create", "subjectaccessreviews.authorization.k8s.io", None)
    assert can_i(cluster, "update", f"validatingwebhookconfigurations/{RELEASE}", None)
    assert not can_i(cluster, "update", "validatingwebhookconfigurations/other", None)
    assert can_i(cluster, "update", "secrets/keyward-webhook-ca", RELEASE_NS)
    assert_people_roles(cluster, team)

    # Both pods run on the node; the readiness probe (/readyz) turns them Ready.
    pods = wait_rollout(cluster)
    assert len(pods) == 2, pods
    for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
        wait_for(lambda: cluster.kubectl_json("get", kind, RELEASE)["webhooks"][0]["clientConfig"]
                 .get("caBundle"), timeout=60, message=f"{kind} caBundle; logs:\n{pod_logs(cluster)}")
    # The API server reaches the webhook through the chart's Service (its
    # endpoints), trusting keyward's own CA: a bad ApiKey is refused.
    bad = {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
           "metadata": {"name": "bad", "namespace": team},
           "spec": {"description": "x", "access": [{"scope": "galaxy"}]}}
    wait_for(lambda: "spec.access[0].scope" in cluster.apply(bad, check=False).stderr,
             timeout=30, interval=0.3, message="the chart's validating webhook")
    cluster.apply({"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
                   "metadata": {"name": "grafana", "namespace": team},
                   "spec": {"description": "Grafana log panel", "type": "permanent", "ttl": "30d",
                            "access": [{"scope": "namespace", "namespaces": [team],
                                        "actions": ["log"]}]}})
    # The serving certificate is renewed (45 s, renewed with 15 s left)
    # while the API server keeps calling the webhook: nothing refused.
    ip = pods[0]["status"]["podIP"]
    first = node_served_certificate(cluster, ip)
    refused, deadline = [], time.monotonic() + 90
    while node_served_certificate(cluster, ip) == first:
        assert time.monotonic() < deadline, "the serving certificate was not renewed"
        r = cluster.apply({"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
                           "metadata": {"name": "renewal", "namespace": team},
                           "spec": {"description": "written during renewal", "access": [
                               {"scope": "namespace", "namespaces": [team]}]}}, check=False)
        if r.returncode != 0:
            refused.append(r.stderr)
        assert len(refused) < 3, refused
        time.sleep(0.5)
    assert not refused, refused
    try:
        status = wait_phase(cluster, team, "grafana", "Active", timeout=90)
    except TimeoutError:
        raise AssertionError("ApiKey never became Active; logs:\n" + pod_logs(cluster))
    key = secret_key(cluster, team, "grafana-apikey")
    assert checksum_ok(key)
    assert status["keyHash"] == key_hash(pepper(cluster, RELEASE_NS), key)
    events = cluster.kubectl("get", "events", "-n", team, "-o", "json").stdout
    assert "Minted" in events and key not in events
    logs = pod_logs(cluster)
    assert '"level"' in logs, "the chart asks for JSON logs"
    assert key not in logs and key[3:33] not in logs, "a key appears in the operator's log"
    assert "forbidden" not in logs.lower(), logs[-4000:]

    # Leader election picked one of the two; deleting its pod fails over:
    # the other pod (or the replacement) takes the Lease, and ApiKeys are
    # minted again, through the same webhook.
    leader = lease_holder(cluster)
    names = [p["metadata"]["name"] for p in pods]
    assert any(leader.startswith(n) for n in names), (leader, names)
    leader_pod = next(n for n in names if leader.startswith(n))
    started = time.monotonic()
    cluster.kubectl("delete", "pod", leader_pod, "-n", RELEASE_NS, "--wait=false")
    new_leader = wait_for(lambda: (h := lease_holder(cluster)) and not h.startswith(leader_pod) and h,
                          timeout=60, interval=0.2, message="a new leader")
    print(f"failover: {new_leader} leads {time.monotonic() - started:.1f}s after the leader's pod was deleted")
    cluster.apply({"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
                   "metadata": {"name": "after-failover", "namespace": team},
                   "spec": {"description": "minted by the new leader", "access": [
                       {"scope": "namespace", "namespaces": [team]}]}})
    wait_phase(cluster, team, "after-failover", "Active", timeout=60)
    pods = wait_rollout(cluster)
    assert leader_pod not in [p["metadata"]["name"] for p in pods]

    # Narrowed to one namespace: Roles there, nothing cluster-wide; the pods
    # roll and work with them.
    helm(cluster, "upgrade", RELEASE, str(CHART), "-n", RELEASE_NS, "--reuse-values",
         "--set", f"watchNamespaces={{{team}}}")
    assert can_i(cluster, "create", "secrets", team)
    assert not can_i(cluster, "create", "secrets", "default")
    assert not can_i(cluster, "get", "secrets", "default")
    assert not cluster.exists("clusterrole", RELEASE), "the upgrade left the cluster-wide role"
    assert not cluster.exists("clusterrolebinding", RELEASE)
    narrowed = wait_rollout(cluster)
    cluster.apply({"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
                   "metadata": {"name": "narrow", "namespace": team},
                   "spec": {"description": "CI job", "type": "volatile", "ttl": "1h",
                            "access": [{"scope": "namespace", "namespaces": [team]}]}})
    try:
        wait_phase(cluster, team, "narrow", "Active", timeout=90)
    except TimeoutError:
        raise AssertionError("ApiKey never became Active with namespaced RBAC; logs:\n"
                             + pod_logs(cluster))
    # The pods that run with the narrowed roles. Pods of the old rollout,
    # still terminating, watched cluster-wide and may log "forbidden" once
    # the cluster role is gone; that is expected of them.
    logs = pod_logs(cluster, narrowed)
    assert "forbidden" not in logs.lower(), logs[-4000:]

    # Uninstall removes everything the release made but the CRD, so every
    # ApiKey (and its Secret) survives; so do what keyward itself made (the
    # pepper and the webhook CA, documented as kept).
    installed = list(yaml.safe_load_all(helm(cluster, "get", "manifest", RELEASE, "-n", RELEASE_NS).stdout))
    helm(cluster, "uninstall", RELEASE, "-n", RELEASE_NS, "--wait")
    assert cluster.exists("crd", CRD_NAME), "crds.keep=true must keep the CRD"
    assert cluster.exists("apikey", "grafana", "-n", team)
    assert cluster.exists("secret", "grafana-apikey", "-n", team)
    left = [f"{d['kind']} {d['metadata'].get('namespace', RELEASE_NS)}/{d['metadata']['name']}"
            for d in installed if d and d["kind"] != "CustomResourceDefinition"
            and cluster.exists(d["kind"].lower(), d["metadata"]["name"], "-n",
                               d["metadata"].get("namespace", RELEASE_NS))]
    assert not left, f"helm uninstall left {left}"
    assert len(installed) > 10, "the manifest should list every object the release made"
    for secret in ("keyward-pepper", "keyward-webhook-ca"):
        assert cluster.exists("secret", secret, "-n", RELEASE_NS), f"{secret} must survive uninstall"
    cluster.kubectl("delete", "namespace", team, "--wait=false")


def assert_people_roles(cluster: Cluster, team: str) -> None:
    """The aggregated roles, asked as users bound to Kubernetes' own view,
    edit and admin in one namespace."""
    for role in ("view", "edit", "admin"):
        cluster.kubectl("create", "rolebinding", f"e2e-{role}", f"--clusterrole={role}",
                        f"--user=e2e-{role}", "-n", team)

    def may(user: str, verb: str, resource: str, subresource: str = "") -> bool:
        args = ["auth", "can-i", verb, resource, "--as", user, "-n", team]
        if subresource:
            args.append(f"--subresource={subresource}")
        return cluster.kubectl(*args, check=False).stdout.strip() == "yes"
    # Aggregation is done by a controller: give it a moment.
    wait_for(lambda: may("e2e-view", "list", "apikeys.keyward.io"), timeout=30,
             message="keyward-apikeys-view aggregated into view")
    wait_for(lambda: may("e2e-admin", "get", "apikeys.keyward.io", "reveal"), timeout=30,
             message="keyward-apikeys-admin aggregated into admin")
    assert not may("e2e-view", "create", "apikeys.keyward.io")
    assert may("e2e-edit", "create", "apikeys.keyward.io") and may("e2e-edit", "delete", "apikeys.keyward.io")
    assert not may("e2e-edit", "get", "apikeys.keyward.io", "reveal"), "reveal is admin only"
    assert not may("e2e-view", "get", "apikeys.keyward.io", "reveal")
    # Actions beyond log, events and metrics: admin may put them in keys,
    # edit not. A SubjectAccessReview as admission asks it (kubectl auth
    # can-i answers "no" for a resource discovery does not list).
    def may_grant(user: str) -> bool:
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                  "spec": {"user": user, "resourceAttributes": {
                      "namespace": team, "verb": "grant", "group": "keyward.io", "resource": "actions",
                      "name": "ops"}}}
        out = cluster.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(review)).stdout
        return json.loads(out)["status"].get("allowed", False)
    assert may_grant("e2e-admin")
    assert not may_grant("e2e-edit")
