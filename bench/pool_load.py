#!/usr/bin/env python3
"""Load that waits on the API server, for bench/run-pool-bench.

pool_load.py PORT SECONDS REVEALS ADMISSIONS NAMESPACES

Runs REVEALS threads that each repeat GET /v1/reveal/... with a junk bearer
token (keyward sends a TokenReview per request) and ADMISSIONS threads that
each repeat POST /validate with an AdmissionReview whose ApiKey names
NAMESPACES namespaces (one SubjectAccessReview each, the user being a
cluster admin so every review is allowed and made), for SECONDS. Prints one
line: answers by status.
"""
import http.client
import json
import ssl
import sys
import threading
import time
from collections import Counter


def fat_review(namespaces: int) -> bytes:
    names = [f"bench-ns-{i}" for i in range(namespaces)]
    key = {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
           "metadata": {"name": "fat", "namespace": "bench-team"},
           "spec": {"description": "fat", "access": [{"scope": "namespace", "namespaces": names}]}}
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
              "request": {"uid": "bench", "kind": {"group": "keyward.io", "version": "v1alpha1", "kind": "ApiKey"},
                          "namespace": "bench-team", "operation": "CREATE",
                          "userInfo": {"username": "bench-admin", "groups": ["system:masters"]},
                          "object": key}}
    return json.dumps(review).encode()


def main(argv):
    port, seconds, reveals, admissions, namespaces = (int(a) for a in argv[1:6])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    until = time.monotonic() + seconds
    counts = Counter()
    lock = threading.Lock()
    body = fat_review(namespaces)

    def loop(method, path, payload, headers):
        while time.monotonic() < until:
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120)
                conn.request(method, path, body=payload, headers=headers)
                status = conn.getresponse().status
                conn.close()
            except OSError as e:
                status = type(e).__name__
            with lock:
                counts[f"{path.split('/')[1] if path != '/validate' else 'validate'} {status}"] += 1

    threads = [threading.Thread(target=loop, args=("GET", "/v1/reveal/bench-team/held", None,
                                                   {"Authorization": f"Bearer junk-{i}"}))
               for i in range(reveals)]
    threads += [threading.Thread(target=loop, args=("POST", "/validate", body,
                                                    {"Content-Type": "application/json"}))
                for _ in range(admissions)]
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join(max(0.0, until - time.monotonic()) + 130)
    print("answers while loaded: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main(sys.argv)
