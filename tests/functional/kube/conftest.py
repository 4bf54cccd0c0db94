"""A fresh sandbox cluster per test, loaded from a scenario, and the official client pointed at it."""

import copy
import json
from pathlib import Path

import pytest

from pagerless.kube.clients import from_kubeconfig
from pagerless.local.sandbox_cluster import SandboxCluster

SCENARIOS = Path(__file__).parents[2] / "fixtures" / "scenarios"
NS, DEPLOYMENT, CONTAINER = "payments", "payments-api", "api"


@pytest.fixture(scope="session")
def oom_scenario() -> dict:
    return json.loads((SCENARIOS / "oom_payments.json").read_text("utf-8"))


@pytest.fixture
def scenario(oom_scenario) -> dict:
    """A copy a test may change before the sandbox loads it."""
    return copy.deepcopy(oom_scenario)


@pytest.fixture
def sandbox(scenario):
    cluster = SandboxCluster.from_scenario(scenario)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def kube(sandbox):
    clients = from_kubeconfig(sandbox.kubeconfig_path())
    yield clients
    clients.close()


def workload_pods(sandbox) -> list[dict]:
    return [p for p in sandbox.pods(NS) if p["metadata"]["labels"].get("app") == DEPLOYMENT]
