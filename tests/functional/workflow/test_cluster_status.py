"""An operator sees in /api/status when Pagerless cannot reach the Kubernetes cluster: the incidents are then
diagnosed from their alerts alone, which the status said nothing of (`kubernetes.configured` stayed true)."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for

pytestmark = pytest.mark.functional


def _kube(api, admin_key) -> dict:
    return api.get("/api/status", headers=auth(admin_key)).json()


def test_an_unreachable_cluster_shows_in_the_status(sandbox, scenario, api, admin_key, monkeypatch, tmp_path):
    from pagerless import settings

    # Given the cluster's API server stops answering (its kubeconfig kept: the sandbox deletes its own on stop)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(open(sandbox.kubeconfig_path()).read())
    sandbox.stop()
    monkeypatch.setenv("PAGERLESS_KUBECONFIG", str(kubeconfig))
    settings.reset()
    # When the workflow gathers an incident's context
    open_incident(scenario)
    # Then /api/status says the last gathering did not reach the cluster, and why
    wait_for(lambda: _kube(api, admin_key)["kubernetes"]["last_call"], 30)
    status = _kube(api, admin_key)
    last = status["kubernetes"]["last_call"]
    assert status["kubernetes"]["configured"] is True and last["ok"] is False, status["kubernetes"]
    assert "unreachable" in last["error"] or "timed out" in last["error"], last
    assert "token" not in str(status["kubernetes"]).lower()
    assert status["status"] == "degraded"
    assert any("Kubernetes cluster" in reason for reason in status["reasons"]), status["reasons"]


def test_a_broken_kubeconfig_shows_in_the_status(sandbox, scenario, api, admin_key, monkeypatch, tmp_path):
    from pagerless import settings

    # Given the kubeconfig is gone (a deleted mount, a mistyped path)
    monkeypatch.setenv("PAGERLESS_KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    settings.reset()
    # When the workflow gathers an incident's context
    open_incident(scenario)
    # Then /api/status says why the cluster was not reached
    wait_for(lambda: _kube(api, admin_key)["kubernetes"]["last_call"], 30)
    last = _kube(api, admin_key)["kubernetes"]["last_call"]
    assert last["ok"] is False and "cluster configuration is unusable" in last["error"], last


def test_a_reached_cluster_says_so(sandbox, scenario, api, admin_key):
    # When the workflow gathers an incident's context from the running cluster
    open_incident(scenario)
    # Then /api/status says the last gathering reached it, and is not degraded for it
    wait_for(lambda: _kube(api, admin_key)["kubernetes"]["last_call"], 30)
    status = _kube(api, admin_key)
    assert status["kubernetes"]["last_call"]["ok"] is True, status["kubernetes"]
    assert not any("Kubernetes cluster" in reason for reason in status["reasons"]), status["reasons"]
