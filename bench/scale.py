#!/usr/bin/env python3
"""keyward at scale (issue 15): memory per key, start to ready against a
plain paged list of the same objects, and a new key's time to Active.

Against the loopback control plane (bench/scale starts it). For each count
in --counts (ascending, default 0,10000), in one namespace:
  1. ApiKeys are added up to the count by server-side apply (fieldManager
     kubectl: the managedFields a `kubectl apply --server-side` leaves) and
     minted by keyward with a high API budget (untimed);
  2. --rounds times, alternating:
     - list: GET .../apikeys?limit=500 page after page, as keyward's watcher
       pages them, every byte read, the continue token taken from the page's
       head (no JSON decoding: the API server's own speed);
     - start: `keyward run` from exec to /readyz answering 200 (caches
       synced, every Active key indexed, serving); its resident memory
       (VmRSS) read then;
  3. in the last round keyward keeps running: --samples new ApiKeys, one
     after another, each timed to Active; RSS read again after them.
Prints a row per count, the RSS per key above the empty baseline, and the
targets: <= 1 KiB per key over a baseline <= 40 MiB, start/list <= 1.2, a
new key Active within 2 s.
With --baseline BIN a second build is started in the same rounds, so the
two are compared on the same objects and the same machine state.
Usage: scale.py --kubeconfig F --keyward BIN [--baseline BIN]
                [--counts 0,10000,100000] [--rounds 3] [--samples 5]
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from new_key_latency import GROUP, Api, time_to_active

CONTINUE = re.compile(rb'"continue":"([^"]*)"')
NS = "bench-scale"  # --namespace


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
        # A custom resource list is written with sorted keys: metadata (and
        # its continue token) comes after the items.
        found = CONTINUE.search(body[-4096:])
        token = found.group(1).decode() if found else ""
        if not token:
            return time.monotonic() - began, pages, size


def server_side_apply(api: Api, name: str) -> None:
    """What `kubectl apply --server-side` sends for one bench ApiKey."""
    body = {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
            "metadata": {"name": name, "namespace": NS,
                         "labels": {"team": "bench", "app.kubernetes.io/part-of": "scale"}},
            "spec": {"description": "bench key for the scale benchmark", "type": "permanent",
                     "access": [{"scope": "namespace", "namespaces": ["production", "staging"],
                                 "actions": ["log"]}],
                     "limits": {"perSecond": 10, "perDay": 10000}, "ttl": "365d"}}
    request = urllib.request.Request(
        f"{api.server}{GROUP}/namespaces/{NS}/apikeys/{name}?fieldManager=kubectl&force=true",
        data=json.dumps(body).encode(), method="PATCH",
        headers={"Content-Type": "application/apply-patch+yaml"})
    with urllib.request.urlopen(request, context=api.tls, timeout=60) as response:
        response.read()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class Run:
    """One `keyward run` with the plain port on |port|."""

    def __init__(self, binary: str, kubeconfig: str, port: int, *extra: str) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="keyward-scale-", suffix=".log",
                                               delete=False)
        self.began = time.monotonic()
        self.port = port
        self.proc = subprocess.Popen(
            [binary, "run", "--kubeconfig", kubeconfig, "--namespace", "keyward-system",
             "--metrics-bind-address", f"127.0.0.1:{port}", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 1200) -> float:
        while time.monotonic() - self.began < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz",
                                            timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - self.began
            except (urllib.error.URLError, OSError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"keyward exited {self.proc.returncode}; log {self.log.name}")
            time.sleep(0.01)
        raise TimeoutError(f"keyward not ready in {timeout} s; log {self.log.name}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)


def count_bench_keys(api: Api, active: bool = False) -> int:
    """ApiKeys named k-NNNNNN in the namespace (the new-key samples are not),
    or only the Active ones."""
    n, cont = 0, ""
    while True:
        page = api.call("GET", f"{GROUP}/namespaces/{NS}/apikeys?limit=2000&continue={cont}")
        n += sum(1 for i in page["items"] if i["metadata"]["name"].startswith("k-") and
                 (not active or i.get("status", {}).get("phase") == "Active"))
        cont = page["metadata"].get("continue", "")
        if not cont:
            return n


def grow_to(api: Api, f: argparse.Namespace, count: int) -> None:
    have = count_bench_keys(api)  # k-000000 .. k-<have - 1>
    if count <= have:
        return
    minting = Run(f.keyward, f.kubeconfig, f.port, "--kube-api-qps", "1000",
                  "--kube-api-burst", "2000", "--workers", "8")
    began = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: server_side_apply(api, f"k-{i:06d}"), range(have, count)))
    applied = time.monotonic() - began
    while count_bench_keys(api, active=True) < count:
        time.sleep(2)
    minting.stop()
    print(f"{count - have} ApiKeys applied in {applied:.0f}s and all {count} Active after "
          f"{time.monotonic() - began:.0f}s (untimed)", flush=True)


def measure(api: Api, f: argparse.Namespace, count: int, binaries: dict[str, str]) -> list[dict]:
    """One row per binary; every round lists once and starts each binary."""
    lists = []
    starts: dict[str, list[float]] = {name: [] for name in binaries}
    rss: dict[str, list[int]] = {name: [] for name in binaries}
    news: dict[str, list[float]] = {}
    after: dict[str, int] = {}
    for round_ in range(f.rounds):
        took, pages, size = paged_list(api)
        lists.append(took)
        print(f"  {count} keys: list {took:.3f}s ({pages} pages, {size / 2**20:.1f} MiB)", flush=True)
        for name, binary in binaries.items():
            run = Run(binary, f.kubeconfig, f.port)
            try:
                starts[name].append(run.wait_ready())
                rss[name].append(rss_kib(run.proc.pid))
                print(f"    {name}: start to ready {starts[name][-1]:.3f}s, "
                      f"RSS {rss[name][-1] / 1024:.1f} MiB", flush=True)
                if round_ + 1 == f.rounds:
                    news[name] = [time_to_active(api, NS, f"new-{name}-{count}-{i}")
                                  for i in range(f.samples)]
                    after[name] = rss_kib(run.proc.pid)
            finally:
                run.stop()
    return [{"binary": name, "count": count, "list": statistics.median(lists),
             "start": statistics.median(starts[name]), "rss": statistics.median(rss[name]),
             "rss_after": after[name], "new_median": statistics.median(news[name]),
             "new_worst": max(news[name])} for name in binaries]


def main() -> int:
    global NS
    p = argparse.ArgumentParser()
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--keyward", required=True)
    p.add_argument("--counts", default="0,10000")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--samples", type=int, default=5)
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--baseline", help="another keyward binary, measured in the same rounds")
    p.add_argument("--namespace", default="bench-scale")
    p.add_argument("--keep", action="store_true",
                   help="keep the namespace and its ApiKeys for the next run (which reuses them)")
    f = p.parse_args()
    NS = f.namespace
    binaries = {"keyward": f.keyward}
    if f.baseline:
        binaries["baseline"] = f.baseline
    counts = sorted(int(c) for c in f.counts.split(","))
    api = Api(f.kubeconfig)
    for name in (NS, "keyward-system"):
        api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                 "metadata": {"name": name}})
    rows = []
    try:
        for count in counts:
            grow_to(api, f, count)
            rows.extend(measure(api, f, count, binaries))
    finally:
        if not f.keep:
            api.call("DELETE", f"/api/v1/namespaces/{NS}")
    print("\nbinary | keys | list s | start s | start/list | RSS MiB | RSS after new keys MiB | "
          "KiB/key over its first row | new key median / worst s")
    for r in rows:
        base = next(b for b in rows if b["binary"] == r["binary"])
        per_key = ((r["rss"] - base["rss"]) / (r["count"] - base["count"])
                   if r["count"] > base["count"] else 0)
        ratio = r["start"] / r["list"] if r["list"] > 0 else 0
        print(f"{r['binary']} | {r['count']} | {r['list']:.3f} | {r['start']:.3f} | {ratio:.2f} | "
              f"{r['rss'] / 1024:.1f} | {r['rss_after'] / 1024:.1f} | {per_key:.2f} | "
              f"{r['new_median']:.3f} / {r['new_worst']:.3f}")
    print("targets: baseline <= 40 MiB, <= 1 KiB per key, start/list <= 1.2 "
          "(meaningful with keys), a new key Active within 2 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
