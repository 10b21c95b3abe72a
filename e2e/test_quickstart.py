"""docs/quickstart.md, run exactly as written, on the loopback control plane
with its node.

Every ```sh block of the guide is one step (its first line is
"# step: NAME"); the steps run in order in one bash, from the repository
root, as a reader would paste them. Between two steps the test does only
what the guide tells the reader to do by other means (load the image onto
the node, as `kind load docker-image` would). Each step's output is checked
against what the guide says it prints.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, Cluster

GUIDE = REPO_ROOT / "docs" / "quickstart.md"
STEP_TIMEOUT = 360
DONE = "@@quickstart-step-done"
# What the guide writes into the checkout (also in .gitignore).
WRITTEN = ["keyward-values.yaml", "keyward-ca.crt", "port-forward.log", "leader-forward.log",
           "releaser.kubeconfig", "nginx"]
CRD_NAMES = [f.name.removesuffix(".yaml") for f in sorted((REPO_ROOT / "crds").glob("*.yaml"))]


def steps() -> list[tuple[str, str]]:
    """(name, script) of each ```sh block, in order."""
    out = []
    for block in re.findall(r"^```sh\n(.*?)^```", GUIDE.read_text(), flags=re.S | re.M):
        first = block.splitlines()[0]
        match = re.fullmatch(r"# step: ([a-z-]+)", first)
        assert match, f"a ```sh block of {GUIDE.name} does not start with '# step: NAME': {first!r}"
        out.append((match.group(1), block))
    return out


class Shell:
    """One bash for the whole guide, so variables carry from step to step."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=REPO_ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._send("set -euo pipefail\n")

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _send(self, text: str) -> None:
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def run(self, name: str, script: str) -> str:
        self._send(script + f"\necho {DONE}\n")
        out, deadline = [], time.monotonic() + STEP_TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"step {name} did not finish in {STEP_TIMEOUT}s:\n{''.join(out)[-4000:]}")
            if line is None:
                self.proc.wait(10)
                raise AssertionError(f"step {name} failed (bash exited {self.proc.returncode}):\n"
                                     f"{''.join(out)[-4000:]}")
            if line.strip() == DONE:
                return "".join(out)
            out.append(line)

    def close(self) -> None:
        # The guide's background port-forwards are in this session's group.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.proc.wait(10)


@pytest.fixture
def guide_env(node: Cluster, crds) -> dict[str, str]:
    if not node.keyward_bin:
        pytest.skip("KEYWARD_BIN is not set")
    env = dict(node.env)
    env["PATH"] = f"{Path(node.keyward_bin).parent}:{env['PATH']}:/usr/sbin:/sbin"
    # `make image` builds around the keyward `make` built (Makefile).
    env["KEYWARD_BIN"] = node.keyward_bin
    # The CRDs are already applied (by other suites): adopted for Helm as
    # the chart README tells users who applied them by hand.
    for name in CRD_NAMES:
        node.kubectl("label", "--overwrite", "crd", name, "app.kubernetes.io/managed-by=Helm")
        node.kubectl("annotate", "--overwrite", "crd", name, "meta.helm.sh/release-name=keyward",
                     "meta.helm.sh/release-namespace=keyward-system")
    yield env
    # Whatever step failed, nothing of the guide's is left for later suites.
    node.run("helm", "uninstall", "keyward", "-n", "keyward-system", "--wait", check=False, timeout=180)
    node.kubectl("delete", "namespace", "team-a", "--ignore-not-found", "--timeout=120s", check=False,
                 timeout=150)
    for written in WRITTEN:
        subprocess.run(["rm", "-rf", str(REPO_ROOT / written)], check=False)


def test_the_quickstart_runs_as_written(node: Cluster, guide_env):
    names = [name for name, _ in steps()]
    assert names == ["image", "install", "ca", "key", "check", "nginx", "logs", "reveal", "rotate",
                     "approve", "cleanup"], names
    shell = Shell(guide_env)
    took = {}
    try:
        for name, script in steps():
            start = time.monotonic()
            out = shell.run(name, script)
            took[name] = time.monotonic() - start
            check_step(node, name, out)
            if name == "image":
                node.load_image("keyward:dev")  # the guide: "load it into a local cluster"
    finally:
        shell.close()
        print("quickstart steps: " + ", ".join(f"{n} {t:.1f}s" for n, t in took.items()))


def check_step(node: Cluster, name: str, out: str) -> None:
    """What the guide says each step prints."""
    if name == "install":
        assert out.count("Running") == 2, out
    elif name == "ca":
        assert "subject=" in out, out
    elif name == "key":
        row = next(line for line in out.splitlines() if line.startswith("grafana"))
        assert "permanent" in row and "namespace" in row and "True" in row and "Minted" in row, out
        assert "kw_" in row  # the hint, never the key
    elif name == "check":
        assert '"allowed":true' in out and '"day":4' in out, out
    elif name == "nginx":
        assert "200 200 200 200 429" in out, out
        assert "no key: 401" in out and "another namespace: 403" in out, out
    elif name == "logs":
        assert re.search(r"^keyward \S+", out, flags=re.M), out
    elif name == "reveal":
        assert "revealed kw_" in out, out
        assert "revealed already" in out and "keyward rotate team-a/ci" in out and "exit 1" in out, out
    elif name == "rotate":
        assert "a new key" in out, out
    elif name == "approve":
        assert "dashboard" in out and "Pending" in out, out  # keyward requests, before approval
        issued = [l for l in out.splitlines() if l.startswith("dashboard") and "Issued" in l]
        assert issued, out
        tpl = next(l for l in out.splitlines() if l.startswith("logs-reader"))
        assert "True" in tpl.split(), out
