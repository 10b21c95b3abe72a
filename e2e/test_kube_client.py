"""keyward's own Kubernetes client (operator/http_kube_client.cpp) against the
real API server. The GoogleTest cases in tests/http_kube_client_live_test.cpp
(pagination, errors, streaming watch, cancellation) need a cluster, so they
are their own binary, keyward_live_tests, not a CTest test; they run here
with KEYWARD_TEST_KUBECONFIG pointing at the loopback control plane."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Cluster


def test_live_client_suite(cluster: Cluster):
    if not cluster.keyward_bin:
        pytest.fail("KEYWARD_BIN is not set: run the suite through `make e2e`")
    binary = Path(cluster.keyward_bin).parents[1] / "tests" / "keyward_live_tests"
    assert binary.exists(), f"{binary} not built"
    env = cluster.env
    env["KEYWARD_TEST_KUBECONFIG"] = cluster.kubeconfig
    result = subprocess.run([str(binary)], env=env,
                            capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "[  PASSED  ] 4 tests." in out, out[-4000:]
    assert "SKIPPED" not in out, "a live client test skipped against a running cluster"
