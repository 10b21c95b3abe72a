#!/usr/bin/env python3
"""keyward's start to ready against a plain paged list of the same ApiKeys
(scale issue): "ready as fast as the API server can list them".

Against the loopback control plane (bench/run-start-bench starts it):
  1. N permanent ApiKeys are created and minted (keyward with a high API
     budget, untimed);
  2. then, alternating, --rounds times each:
     - list: GET .../apikeys?limit=500 page after page, as keyward's watcher
       pages them, reading every byte and taking the continue token from the
       page's head (no JSON decoding: the API server's own speed);
     - start: `keyward run` from exec to /readyz answering 200 (caches
       synced, every key indexed, serving).
Prints both medians and start/list; the issue's target is <= 1.2.
Usage: start_to_ready.py --kubeconfig F --keyward BIN [--keys 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from new_key_latency import GROUP, Api, count_active, create_many

CONTINUE = re.compile(rb'"continue":"([^"]*)"')


def paged_list(api: Api, limit: int = 500) -> tuple[float, int, int]:
    """Seconds, pages and bytes of one full paged list of every ApiKey."""
    began, pages, size, token = time.monotonic(), 0, 0, ""
    while True:
        url = f"{api.server}{GROUP}/apikeys?limit={limit}"
        if token:
            url += "&continue=" + urllib.request.quote(token, safe="")
        with urllib.request.urlopen(url, context=api.tls, timeout=120) as response:
            body = response.read()
        pages += 1
        size += len(body)
        found = CONTINUE.search(body[:4096])  # metadata comes before items
        token = found.group(1).decode() if found else ""
        if not token:
            return time.monotonic() - began, pages, size


def start_to_ready(binary: str, kubeconfig: str, port: int) -> float:
    log = tempfile.NamedTemporaryFile(prefix="keyward-start-", suffix=".log", delete=False)
    began = time.monotonic()
    proc = subprocess.Popen([binary, "run", "--kubeconfig", kubeconfig, "--namespace",
                             "keyward-system", "--metrics-bind-address", f"127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        while time.monotonic() - began < 600:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - began
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"keyward exited {proc.returncode}; log {log.name}")
            time.sleep(0.01)
        raise TimeoutError(f"keyward not ready in 600 s; log {log.name}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--keyward", required=True)
    p.add_argument("--keys", type=int, default=10000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--port", type=int, default=18080)
    f = p.parse_args()
    api = Api(f.kubeconfig)
    ns = f"bench-start-{os.getpid()}"
    for name in (ns, "keyward-system"):
        api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                 "metadata": {"name": name}})
    minting = subprocess.Popen([f.keyward, "run", "--kubeconfig", f.kubeconfig, "--namespace",
                                "keyward-system", "--metrics-bind-address", "0", "--kube-api-qps",
                                "1000", "--kube-api-burst", "2000", "--workers", "8"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    began = time.monotonic()
    create_many(api, ns, f.keys)
    while count_active(api, ns) < f.keys:
        time.sleep(2)
    minting.send_signal(signal.SIGTERM)
    minting.wait(60)
    print(f"{f.keys} ApiKeys created and Active in {time.monotonic() - began:.0f}s (untimed)",
          flush=True)

    lists, starts = [], []
    for _ in range(f.rounds):
        took, pages, size = paged_list(api)
        lists.append(took)
        starts.append(start_to_ready(f.keyward, f.kubeconfig, f.port))
        print(f"list {took:.3f}s ({pages} pages, {size / 2**20:.1f} MiB); "
              f"start to ready {starts[-1]:.3f}s", flush=True)
    ratio = statistics.median(starts) / statistics.median(lists)
    print(f"median list {statistics.median(lists):.3f}s, start to ready "
          f"{statistics.median(starts):.3f}s: start/list {ratio:.2f} (target <= 1.2)")
    api.call("DELETE", f"/api/v1/namespaces/{ns}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
