"""Shared fixtures for keyward's e2e suites.

Every suite in e2e/ talks to the real control plane that `e2e/cluster up`
starts on 127.0.0.1 (etcd, kube-apiserver, kube-controller-manager).

Fixtures:
  cluster    (session) a Cluster: kubeconfig, certificate paths, kubectl(),
             apply(), restart_apiserver(), configure_webhooks(), keyward_bin
  crds       (session) crds/ applied and Established
  namespace  (function) a fresh namespace for one test, deleted afterwards

The session fixture only makes sure the cluster is up; it never stops it, so
repeated `pytest e2e/...` runs stay fast. e2e/run stops the cluster it
started; by hand, `e2e/cluster down` does.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pytest
import yaml

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent
CLUSTER_SCRIPT = E2E_DIR / "cluster"
CRD_DIR = REPO_ROOT / "crds"


class CommandError(AssertionError):
    """A command that was expected to succeed failed; carries its output."""


def _run(args: list[str], env: dict, *, input: str | None = None, check: bool = True,
         timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, input=input, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise CommandError(
            f"command failed ({result.returncode}): {shlex.join(args)}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")
    return result


def wait_for(predicate: Callable[[], object], timeout: float = 60, interval: float = 0.5,
             message: str = "condition") -> object:
    """Polls predicate until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # keep polling; report the last error on timeout
            last_error = error
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout}s waiting for {message}{detail}")
        time.sleep(interval)


class Cluster:
    """The running loopback control plane, as recorded by `e2e/cluster info`.

    Attributes are plain paths and URLs so suites can hand them to keyward:
    kubeconfig, apiserver_url, ca_cert, ca_key, admin_cert, admin_key,
    keyward_cert/keyward_key (a serving cert for 127.0.0.1 signed by the
    cluster CA), bin_dirs, state_dir, log_dir, and keyward_bin (KEYWARD_BIN,
    or None when the suite runs without a built operator).
    """

    def __init__(self) -> None:
        self.reload()
        self.keyward_bin: str | None = os.environ.get("KEYWARD_BIN") or None

    def reload(self) -> None:
        info = self._script("info").stdout
        self.info: dict[str, str] = {}
        for line in info.splitlines():
            key, _, value = line.partition("=")
            # Values were written with printf %q; shlex undoes that quoting.
            self.info[key] = shlex.split(value)[0] if value else ""
        self.state_dir = Path(self.info["KEYWARD_E2E_STATE"])
        self.kubeconfig = self.info["KUBECONFIG"]
        self.apiserver_url = self.info["APISERVER_URL"]
        self.kubernetes_version = self.info["KUBERNETES_VERSION"]
        self.ca_cert = self.info["CA_CERT"]
        self.ca_key = self.info["CA_KEY"]
        self.admin_cert = self.info["ADMIN_CERT"]
        self.admin_key = self.info["ADMIN_KEY"]
        self.keyward_cert = self.info["KEYWARD_CERT"]
        self.keyward_key = self.info["KEYWARD_KEY"]
        self.log_dir = Path(self.info["LOG_DIR"])
        self.bin_dirs = [self.info["HELM_BIN_DIR"], self.info["KUBERNETES_BIN_DIR"],
                         self.info["ETCD_BIN_DIR"]]

    # ---- environment and commands ------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """os.environ with KUBECONFIG and KUBECACHEDIR set and the built
        binaries (kubectl of the server's version, helm, etcd) first on PATH."""
        env = dict(os.environ)
        env["KUBECONFIG"] = self.kubeconfig
        env["PATH"] = os.pathsep.join(self.bin_dirs + [env.get("PATH", "")])
        # Each cluster is new; a discovery cache left by an earlier one on
        # the same address would make kubectl miss freshly created CRDs.
        env["KUBECACHEDIR"] = str(self.state_dir / "kubectl-cache")
        return env

    def _script(self, *args: str, env: dict | None = None,
                timeout: float = 3600) -> subprocess.CompletedProcess:
        return _run([str(CLUSTER_SCRIPT), *args], env if env is not None else dict(os.environ),
                    timeout=timeout)

    def run(self, *args: str, input: str | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
        """Runs any command with the cluster's env (kubectl, helm, keyward...)."""
        return _run(list(args), self.env, input=input, check=check, timeout=timeout)

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: float = 120) -> subprocess.CompletedProcess:
        """kubectl against this cluster; raises CommandError unless check=False."""
        return self.run("kubectl", *args, input=input, check=check, timeout=timeout)

    def kubectl_json(self, *args: str) -> dict:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def apply(self, manifests: str | dict | Iterable[dict], namespace: str | None = None,
              check: bool = True) -> subprocess.CompletedProcess:
        """kubectl apply of YAML text, one object or a list of objects."""
        if isinstance(manifests, dict):
            text = yaml.safe_dump(manifests)
        elif isinstance(manifests, str):
            text = manifests
        else:
            text = yaml.safe_dump_all(list(manifests))
        args = ["apply", "-f", "-"]
        if namespace:
            args += ["-n", namespace]
        return self.kubectl(*args, input=text, check=check)

    def exists(self, *args: str) -> bool:
        """True if `kubectl get <args>` finds the object."""
        result = self.kubectl("get", *args, "--ignore-not-found", "-o", "name", check=False)
        return result.returncode == 0 and bool(result.stdout.strip())

    # ---- control-plane operations -------------------------------------------

    def restart_apiserver(self) -> None:
        """Stops kube-apiserver and starts it with the same flags; returns when
        /readyz answers again. Watches held by clients are cut."""
        self._script("restart-apiserver")

    def restart_etcd(self) -> None:
        """Stops etcd and starts it on the same data; kube-apiserver keeps
        running and sees its storage vanish and come back."""
        self._script("restart-etcd")

    def status(self) -> subprocess.CompletedProcess:
        """`e2e/cluster status`: raises CommandError unless all components are healthy."""
        return self._script("status")

    def stop_apiserver(self) -> None:
        self._script("stop-apiserver")

    def start_apiserver(self) -> None:
        self._script("start-apiserver")

    def configure_webhooks(self, url: str | None, ca_file: str | None = None) -> None:
        """Points kube-apiserver's TokenReview and SubjectAccessReview webhooks
        at url (<url>/authenticate, <url>/authorize), or removes them when url
        is None. Restarts kube-apiserver only if the setup changes."""
        env = dict(os.environ)
        env["KEYWARD_E2E_WEBHOOK_URL"] = url or ""
        env.pop("KEYWARD_E2E_WEBHOOK_CA", None)
        if ca_file:
            env["KEYWARD_E2E_WEBHOOK_CA"] = ca_file
        self._script("up", env=env)

    @property
    def has_node(self) -> bool:
        return self.info.get("WITH_NODE") == "1"

    def in_node_netns(self, *args: str, input: str | None = None,
                      timeout: float = 30) -> subprocess.CompletedProcess:
        """Runs a command inside the node's network namespace, where pod and
        node addresses are (only the namespace e2e/cluster made)."""
        netns = f"/run/netns/{self.info['NODE_NETNS']}"
        return _run(["nsenter", f"--net={netns}", "--", *args], self.env, input=input,
                    check=False, timeout=timeout)

    def load_image(self, image: str) -> None:
        """A local Docker image onto the node (`e2e/cluster load-image`)."""
        self._script("load-image", image, timeout=600)

    def log_tail(self, component: str, lines: int = 40) -> str:
        path = self.log_dir / f"{component}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    # The first run on a machine builds the binaries (minutes); later runs
    # find them in the cache. Output streams to the terminal with `pytest -s`.
    subprocess.run([str(CLUSTER_SCRIPT), "up"], check=True, timeout=3600)
    return Cluster()


@pytest.fixture(scope="session")
def node(cluster: Cluster) -> Cluster:
    """The cluster with its node (kubelet, containerd, kube-scheduler): added
    to the running cluster if it has none (e2e/run starts it with one)."""
    if not cluster.has_node:
        subprocess.run([str(CLUSTER_SCRIPT), "up", "--with-node"], check=True, timeout=3600)
        cluster.reload()
    return cluster


@pytest.fixture(scope="session")
def crds(cluster: Cluster) -> list[str]:
    """Applies crds/ and waits until every CRD there is Established."""
    files = sorted(CRD_DIR.glob("*.yaml"))
    if not files:
        pytest.fail(f"no CRD manifests in {CRD_DIR}")
    cluster.kubectl("apply", "-f", str(CRD_DIR))
    crds = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                crds.append(doc)
    for crd in crds:
        name = crd["metadata"]["name"]
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{name}")
        # Established means served; the published OpenAPI (which `kubectl
        # explain` and server-side apply read) follows a moment later.
        explain = ["explain", crd["spec"]["names"]["plural"],
                   f"--api-version={crd['spec']['group']}/{crd['spec']['versions'][0]['name']}"]
        wait_for(lambda: cluster.kubectl(*explain, check=False).returncode == 0,
                 timeout=60, message=f"OpenAPI for {name}")
    return [crd["metadata"]["name"] for crd in crds]


_unsafe = re.compile(r"[^a-z0-9-]+")


@pytest.fixture
def namespace(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A namespace of its own for each test, named after the test."""
    slug = _unsafe.sub("-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"e2e-{slug}-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    # Do not wait: namespace deletion is asynchronous and proven by its own test.
    cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


def pytest_terminal_summary(terminalreporter) -> None:
    """Each suite's time (setup, call and teardown of its tests), slowest
    first, so CI shows which suite grows."""
    totals: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) in ("setup", "call", "teardown"):
                suite = report.nodeid.split("::")[0]
                totals[suite] = totals.get(suite, 0.0) + report.duration
    if totals:
        terminalreporter.write_sep("=", "time per suite")
        for suite, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{seconds:8.1f}s  {suite}")
