#!/usr/bin/env python3
"""How long a new ApiKey takes to become Active while many permanent keys
exist and their Secret re-checks are due all the time (faults issue, item 10).

Against the loopback control plane (bench/run-new-key-bench starts it):
  1. keyward runs with the default API budget (--kube-api-qps 50) and a
     short --secret-check-interval, so with N keys the periodic checks want
     far more than their share of the budget;
  2. baseline: --samples new ApiKeys, one after another, with no other keys;
  3. N permanent ApiKeys are created and minted (keyward restarted with a
     high budget for that, untimed);
  4. keyward restarts with the default budget: every key's first check is
     due at once; the same samples again.
Prints each phase's median and worst time to Active and the ratio.
Usage: new_key_latency.py --kubeconfig F --keyward BIN [--keys 10000] [--samples 10]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import yaml

GROUP = "/apis/keyward.io/v1alpha1"


class Api:
    """The API server, as the kubeconfig's admin user (certificate files)."""

    def __init__(self, kubeconfig: str) -> None:
        config = yaml.safe_load(open(kubeconfig))
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        self.server = cluster["server"]
        self.tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.tls.load_cert_chain(user["client-certificate"], user["client-key"])

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self.tls, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            if e.code == 409 and method == "POST":
                return {}
            raise


def apikey(name: str) -> dict:
    return {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "metadata": {"name": name},
            "spec": {"description": "bench key", "type": "permanent",
                     "access": [{"scope": "namespace", "namespaces": ["production"]}]}}


def phase(api: Api, ns: str, name: str) -> str:
    try:
        return api.call("GET", f"{GROUP}/namespaces/{ns}/apikeys/{name}").get("status", {}).get("phase", "")
    except urllib.error.HTTPError:
        return ""


def time_to_active(api: Api, ns: str, name: str, timeout: float = 120) -> float:
    began = time.monotonic()
    api.call("POST", f"{GROUP}/namespaces/{ns}/apikeys", apikey(name))
    while time.monotonic() - began < timeout:
        if phase(api, ns, name) == "Active":
            return time.monotonic() - began
        time.sleep(0.02)
    raise TimeoutError(f"{ns}/{name} not Active in {timeout}s")


def samples(api: Api, ns: str, prefix: str, n: int) -> list[float]:
    return [time_to_active(api, ns, f"{prefix}-{i}") for i in range(n)]


class Keyward:
    def __init__(self, binary: str, kubeconfig: str, *args: str) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="keyward-bench-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([binary, "run", "--kubeconfig", kubeconfig,
                                      "--namespace", "keyward-system", *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def wait_ready(url: str = "http://127.0.0.1:8080/readyz", timeout: float = 300) -> None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise TimeoutError("keyward not ready")


def create_many(api: Api, ns: str, n: int) -> None:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: api.call("POST", f"{GROUP}/namespaces/{ns}/apikeys",
                                         apikey(f"k-{i:06d}")), range(n)))


def count_active(api: Api, ns: str) -> int:
    active, cont = 0, ""
    while True:
        page = api.call("GET", f"{GROUP}/namespaces/{ns}/apikeys?limit=2000&continue={cont}")
        active += sum(1 for i in page["items"] if i.get("status", {}).get("phase") == "Active")
        cont = page["metadata"].get("continue", "")
        if not cont:
            return active


def describe(label: str, xs: list[float]) -> str:
    each = " ".join(f"{x:.3f}" for x in xs)
    return f"{label}: median {statistics.median(xs):.3f}s, worst {max(xs):.3f}s over {len(xs)} ({each})"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--keyward", required=True)
    p.add_argument("--keys", type=int, default=10000)
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--check-interval", default="60s")
    f = p.parse_args()
    api = Api(f.kubeconfig)
    run = f"bench-{os.getpid()}"
    for ns in (f"{run}-base", f"{run}-many"):
        api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                 "metadata": {"name": ns}})
    api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                             "metadata": {"name": "keyward-system"}})
    steady = ("--secret-check-interval", f.check_interval)

    op = Keyward(f.keyward, f.kubeconfig, *steady)
    wait_ready()
    baseline = samples(api, f"{run}-base", "new", f.samples)
    print(describe("baseline (no other keys)", baseline), flush=True)

    # Mint N keys fast (untimed), then restart with the default budget.
    op.stop()
    op = Keyward(f.keyward, f.kubeconfig, *steady, "--kube-api-qps", "1000", "--kube-api-burst",
                 "2000", "--workers", "8")
    began = time.monotonic()
    create_many(api, f"{run}-many", f.keys)
    while count_active(api, f"{run}-many") < f.keys:
        time.sleep(2)
    print(f"{f.keys} ApiKeys created and Active in {time.monotonic() - began:.0f}s (untimed)",
          flush=True)
    op.stop()
    op = Keyward(f.keyward, f.kubeconfig, *steady)
    # One key created the moment keyward starts: it waits for the list of
    # N, then (in the front lane) for nothing else.
    at_start = time_to_active(api, f"{run}-many", "at-start")
    print(f"created as keyward starts (list of {f.keys} included): {at_start:.3f}s", flush=True)
    wait_ready()
    # Every key's first Secret check is due now: they queue for the budget.
    loaded = samples(api, f"{run}-many", "new", f.samples)
    print(describe(f"with {f.keys} keys, checks due", loaded), flush=True)
    op.stop()
    ratio = statistics.median(loaded) / statistics.median(baseline)
    worst_ok = max(loaded) <= 2.0
    print(f"ratio (median) loaded/baseline: {ratio:.2f}; worst {max(loaded):.3f}s "
          f"(target <= 2 s: {'met' if worst_ok else 'NOT met'})")
    for ns in (f"{run}-base", f"{run}-many"):
        api.call("DELETE", f"/api/v1/namespaces/{ns}")
    return 0 if worst_ok else 1


if __name__ == "__main__":
    sys.exit(main())
