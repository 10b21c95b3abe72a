#!/usr/bin/env python3
"""Replicas that agree (issue 14): checks per second across three replicas
against one, same client, same run; and what replication costs the leader.

Against the loopback control plane (bench/run-replica-bench starts it).
Three `keyward run` processes with --leader-elect and --peer-port, one
permanent ApiKey with a perDay limit (so every check takes the quota and
usage path that replication feeds). wrk, keep-alive HTTPS, POST /v1/check:
  one    -- wrk -t2 -c48 against the leader alone;
  three  -- three wrk -t1 -c16, one per replica, at the same time (sum);
  idle   -- nobody checks: the leader's CPU while two followers sync;
  fed    -- wrk on the two followers only: the leader serves no check, so
            its CPU is what absorbing their counts and answering syncs costs.
Then the leader's status.usage.total must equal every check wrk made.
On 2 cores three replicas and wrk share the same two cores: the ratio says
what running three costs, not what three machines would give.
Usage: replica_bench.py --kubeconfig F --keyward BIN [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

NS = "bench-replicas"
LEASE = "bench-replicas"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubectl(kubeconfig: str, *args: str, input: str | None = None) -> str:
    return subprocess.run(["kubectl", "--kubeconfig", kubeconfig, *args], input=input, text=True,
                          capture_output=True, check=True).stdout


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            got = predicate()
            if got:
                return got
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.1)
    sys.exit(f"timed out waiting for {what}")


class Replica:
    def __init__(self, args, name: str, workdir: str):
        self.name, self.port, self.metrics, self.peer = name, free_port(), free_port(), free_port()
        self.log = open(f"{workdir}/{name}.log", "wb")
        self.proc = subprocess.Popen([
            args.keyward, "run", "--kubeconfig", args.kubeconfig, "--namespace", "keyward-system",
            "--identity", name, "--leader-elect", "--leader-elect-lease-name", LEASE,
            "--tls-cert-file", f"{workdir}/tls.crt", "--tls-private-key-file", f"{workdir}/tls.key",
            "--bind-address", "127.0.0.1", "--secure-port", str(self.port),
            "--metrics-bind-address", f"127.0.0.1:{self.metrics}",
            "--peer-port", str(self.peer), "--peer-address", f"127.0.0.1:{self.peer}",
            "--peer-cert-dir", f"{workdir}/{name}-peer", "--usage-flush-interval", "1s",
            "--log-level", "warn"], stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def ready(self) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/readyz", timeout=2) as r:
            return r.status == 200


def wrk(port: int, threads: int, conns: int, seconds: int, script: str) -> subprocess.Popen:
    return subprocess.Popen(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", script,
                             f"https://127.0.0.1:{port}/v1/check"], stdout=subprocess.PIPE, text=True)


def requests_of(out: str) -> tuple[int, float]:
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if "Non-2xx" in out:
        sys.exit("wrk saw non-2xx answers:\n" + out)
    return total, rate


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--keyward", required=True)
    p.add_argument("--seconds", type=int, default=10)
    args = p.parse_args()
    workdir = tempfile.mkdtemp(prefix="keyward-replica-bench.")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", f"{workdir}/tls.key", "-out", f"{workdir}/tls.crt"], check=True, capture_output=True)
    kc = args.kubeconfig
    # A namespace left by an earlier run may still be going away.
    subprocess.run(["kubectl", "--kubeconfig", kc, "delete", "namespace", NS, "--ignore-not-found",
                    "--timeout=120s"], capture_output=True)
    subprocess.run(["kubectl", "--kubeconfig", kc, "create", "namespace", NS], capture_output=True)
    subprocess.run(["kubectl", "--kubeconfig", kc, "create", "namespace", "keyward-system"], capture_output=True)
    replicas = [Replica(args, f"bench-{i}", workdir) for i in (1, 2, 3)]
    try:
        for r in replicas:
            wait(r.ready, 60, f"{r.name} /readyz")
        kubectl(kc, "apply", "-n", NS, "-f", "-", input=json.dumps({
            "apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey", "metadata": {"name": "bench"},
            "spec": {"description": "replica bench", "limits": {"perDay": 1000000000},
                     "access": [{"scope": "namespace", "namespaces": [NS]}]}}))
        wait(lambda: json.loads(kubectl(kc, "get", "apikey", "bench", "-n", NS, "-o", "json"))
             .get("status", {}).get("phase") == "Active", 60, "ApiKey Active")
        secret = json.loads(kubectl(kc, "get", "secret", "bench-apikey", "-n", NS, "-o", "json"))
        import base64
        key = base64.b64decode(secret["data"]["key"]).decode()
        holder = wait(lambda: json.loads(kubectl(kc, "get", "lease", LEASE, "-n", "keyward-system", "-o", "json"))
                      ["spec"].get("holderIdentity"), 30, "a leader")
        leader = next(r for r in replicas if r.name == holder)
        followers = [r for r in replicas if r is not leader]
        script = f"{workdir}/check.lua"
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\n'
                    f'wrk.body = \'{{"namespace":"{NS}"}}\'\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.headers["Authorization"] = "Bearer {key}"\n')
        for r in replicas:  # every replica has indexed the key before the clock starts
            wait(lambda: subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                         "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
                                         "-d", f'{{"namespace":"{NS}"}}',
                                         f"https://127.0.0.1:{r.port}/v1/check"],
                                        capture_output=True, text=True).stdout == "200", 10, f"{r.name} indexed")
        made = len(replicas)  # the curls above
        T = args.seconds

        one = wrk(leader.port, 2, 48, T, script)
        n, one_rate = requests_of(one.communicate()[0])
        made += n

        procs = [wrk(r.port, 1, 16, T, script) for r in replicas]
        three_rate = 0.0
        for w in procs:
            n, rate = requests_of(w.communicate()[0])
            made += n
            three_rate += rate

        c0, t0 = cpu_seconds(leader.proc.pid), time.monotonic()
        time.sleep(T)  # the measurement window of the idle leader (nothing to wait for)
        idle_ms = (cpu_seconds(leader.proc.pid) - c0) / (time.monotonic() - t0) * 1000

        c0, t0 = cpu_seconds(leader.proc.pid), time.monotonic()
        procs = [wrk(r.port, 1, 24, T, script) for r in followers]
        fed_checks, fed_rate = 0, 0.0
        for w in procs:
            n, rate = requests_of(w.communicate()[0])
            fed_checks += n
            fed_rate += rate
        fed_ms = (cpu_seconds(leader.proc.pid) - c0) / (time.monotonic() - t0) * 1000
        made += fed_checks

        # wrk counts the answers it read; a request in flight when it stops
        # was counted by keyward but not by wrk: at most one per connection.
        in_flight = 48 + 3 * 16 + 2 * 24
        status_total = lambda: json.loads(kubectl(kc, "get", "apikey", "bench", "-n", NS, "-o", "json"))[
            "status"].get("usage", {}).get("total", 0)
        wait(lambda: status_total() >= made, 15, f"status.usage.total >= {made}")
        time.sleep(2)  # two more flush intervals: nothing late may arrive (a bench, not a test)
        total = status_total()
        print(f"checks/s, one replica (the leader, wrk -t2 -c48):    {one_rate:10.0f}")
        print(f"checks/s, three replicas (3 x wrk -t1 -c16, summed): {three_rate:10.0f}")
        print(f"ratio three/one:                                     {three_rate / one_rate:10.2f}")
        print(f"leader CPU, idle, two followers syncing every 250 ms: {idle_ms:8.1f} ms/s")
        print(f"leader CPU, followers serving {fed_rate:.0f} checks/s (leader serves none): {fed_ms:8.1f} ms/s"
              f" = {fed_ms / max(fed_rate, 1) * 1000:.1f} us per follower check")
        print(f"status.usage.total {total}, checks wrk saw answered {made} (+ at most {in_flight} in flight)")
        if not made <= total <= made + in_flight:
            sys.exit("usage in status does not match the checks made")
    finally:
        for r in replicas:
            r.proc.terminate()
        for r in replicas:
            try:
                r.proc.wait(20)
            except subprocess.TimeoutExpired:
                r.proc.kill()
        subprocess.run(["kubectl", "--kubeconfig", kc, "delete", "namespace", NS, "--wait=false"],
                       capture_output=True)


if __name__ == "__main__":
    main()
