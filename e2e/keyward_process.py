"""Runs the real keyward binary against the loopback control plane.

A KeywardProcess is one `keyward run` with its own log file; tests start,
stop (SIGTERM), kill (SIGKILL) and restart it by PID, never by name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import Cluster, wait_for

OPERATOR_NAMESPACE = "keyward-system"
PEPPER_SECRET = "keyward-pepper"


class KeywardProcess:
    def __init__(self, cluster: Cluster, log_path: Path, *extra_args: str) -> None:
        if not cluster.keyward_bin:
            raise RuntimeError("KEYWARD_BIN is not set: run the suite through `make e2e`")
        self.cluster = cluster
        self.log_path = log_path
        self.args = [cluster.keyward_bin, "run", "--kubeconfig", cluster.kubeconfig,
                     "--namespace", OPERATOR_NAMESPACE, "--log-level", "debug",
                     *extra_args]
        self.proc: subprocess.Popen | None = None

    def start(self) -> "KeywardProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in time."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, like a node losing power."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def ensure_default_service_account(cluster: Cluster, namespace: str) -> None:
    """Pods are refused until a namespace has ServiceAccount "default". The
    controller manager makes it, but after an API server restart its
    informers may take tens of seconds to notice a new namespace; creating it
    here is what that controller would do (AlreadyExists is fine)."""
    if cluster.kubectl("get", "serviceaccount", "default", "-n", namespace, check=False).returncode:
        cluster.kubectl("create", "serviceaccount", "default", "-n", namespace, check=False)


def ensure_operator_namespace(cluster: Cluster) -> None:
    if not cluster.exists("namespace", OPERATOR_NAMESPACE):
        cluster.kubectl("create", "namespace", OPERATOR_NAMESPACE, check=False)


def pepper(cluster: Cluster, namespace: str = OPERATOR_NAMESPACE) -> bytes:
    secret = cluster.kubectl_json("get", "secret", PEPPER_SECRET, "-n", namespace)
    return base64.b64decode(secret["data"]["pepper"])


def pepper_id(pepper_bytes: bytes) -> str:
    """8 hex digits naming a pepper (docs/decisions.md, "Pepper ids")."""
    return hashlib.sha256(b"keyward.io/pepper-id\n" + pepper_bytes).hexdigest()[:8]


def key_hash(pepper_bytes: bytes, key: str) -> str:
    digest = hmac.new(pepper_bytes, key.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{pepper_id(pepper_bytes)}:{digest}"


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum_ok(key: str) -> bool:
    """The key format (operator/keys/key_format.h): kw_ + 30 base62 + 6 base62
    digits of CRC32 over the rest."""
    import zlib
    if len(key) != 39 or not key.startswith("kw_"):
        return False
    value = zlib.crc32(key[:33].encode()) & 0xFFFFFFFF
    digits = ""
    for _ in range(6):
        digits = _B62[value % 62] + digits
        value //= 62
    return key[33:] == digits


def secret_key(cluster: Cluster, namespace: str, name: str) -> str:
    secret = cluster.kubectl_json("get", "secret", name, "-n", namespace)
    return base64.b64decode(secret["data"]["key"]).decode()


def apikey_status(cluster: Cluster, namespace: str, name: str) -> dict:
    return cluster.kubectl_json("get", "apikey", name, "-n", namespace).get("status", {})


def wait_phase(cluster: Cluster, namespace: str, name: str, phase: str,
               timeout: float = 60) -> dict:
    def check():
        status = apikey_status(cluster, namespace, name)
        return status if status.get("phase") == phase else None
    return wait_for(check, timeout=timeout, interval=0.25,
                    message=f"ApiKey {namespace}/{name} phase {phase}")
