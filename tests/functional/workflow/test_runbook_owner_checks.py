"""A runbook check of a pod judges the pod's owner, as verification does: after a step restarts a DaemonSet's pod the
DaemonSet replaces it under a new name, and ``workload_healthy`` on the pod reads the DaemonSet, not the old name."""

import pytest

from tests.conftest import auth
from tests.functional.kube.owned_workloads import SHIPPER_PODS, owned_scenario
from tests.functional.workflow.test_runbook_runs import FAST, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional

_POD = {"namespace": "{namespace}", "pod": "{pod}"}


@pytest.fixture
def scenario():
    """The OOM scenario's cluster with log-shipper, a DaemonSet in payments, and its two pods."""
    return owned_scenario()


def test_a_check_after_a_daemonset_pods_restart_judges_the_daemonset(runs, sandbox, api):
    # Given a runbook that restarts one of log-shipper's pods, then checks the pod's workload is healthy
    key = runs["alice"]
    body = {
        "name": "shipper restart",
        "steps": [
            {"name": "Restart", "action": "restart_pod", "params": _POD},
            {"name": "Healthy?", "check": {"check": "workload_healthy", "params": _POD}},
        ],
    }
    created = api.post("/api/custom-runbooks", json=body, headers=auth(key))
    assert created.status_code == 201, created.text
    # When it runs on the pod
    context = {"namespace": "payments", "pod": SHIPPER_PODS[0]}
    started = api.post(
        f"/api/workflows/{created.json()['id']}/execute",
        json={"context": context, "auto_approve": True, "options": FAST},
        headers=auth(key),
    )
    assert started.status_code == 202, started.text
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    # Then the pod was replaced under a new name, and the check judged the DaemonSet with its pods: it passes
    assert sandbox.pod("payments", SHIPPER_PODS[0]) is None
    assert done["status"] == "completed", done
    restart, check = done["steps"]
    assert restart["status"] == "succeeded" and check["status"] == "ok", check
    assert check["details"]["workload"] == "DaemonSet/payments/log-shipper"
    shippers = [p["metadata"]["name"] for p in sandbox.pods("payments") if p["metadata"]["name"].startswith("log-")]
    assert sorted(check["details"]["pods"]) == sorted(shippers) and SHIPPER_PODS[0] not in shippers


@pytest.mark.parametrize(
    "params",
    [_POD, {"namespace": "{namespace}", "owner": "DaemonSet/log-shipper"}],
    ids=["its pod", "named as owner"],
)
def test_a_check_naming_a_daemonsets_pod_or_the_daemonset_judges_the_daemonset(runs, sandbox, api, params):
    key = runs["alice"]
    body = {
        "name": "shipper check",
        "steps": [{"name": "Healthy?", "check": {"check": "workload_healthy", "params": params}}],
    }
    created = api.post("/api/custom-runbooks", json=body, headers=auth(key))
    assert created.status_code == 201, created.text
    started = api.post(
        f"/api/workflows/{created.json()['id']}/execute",
        json={"context": {"namespace": "payments", "pod": SHIPPER_PODS[1]}, "options": FAST},
        headers=auth(key),
    )
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    assert done["status"] == "completed", done
    [check] = done["steps"]
    assert check["status"] == "ok" and check["details"]["workload"] == "DaemonSet/payments/log-shipper", check


def test_a_check_naming_a_deployment_as_owner_judges_that_deployment(runs, api):
    # Given a check whose owner names a Deployment ("Deployment/x", as the catalog writes a service's workloads)
    key = runs["alice"]
    owner = {"namespace": "{namespace}", "owner": "Deployment/ledger-worker"}
    body = {
        "name": "ledger check",
        "steps": [{"name": "Healthy?", "check": {"check": "workload_healthy", "params": owner}}],
    }
    created = api.post("/api/custom-runbooks", json=body, headers=auth(key))
    assert created.status_code == 201, created.text
    # When it runs
    started = api.post(
        f"/api/workflows/{created.json()['id']}/execute",
        json={"context": {"namespace": "payments"}, "options": FAST},
        headers=auth(key),
    )
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    # Then it judged that Deployment (healthy: 1 of 1 Ready), not a pod the params never named
    assert done["status"] == "completed", done
    [check] = done["steps"]
    assert check["status"] == "ok" and check["details"]["deployment"] == "payments/ledger-worker", check


@pytest.mark.parametrize("owner", ["CronJob/payments-report", "ledger-worker", "Deployment/"])
def test_a_check_naming_an_owner_it_cannot_judge_is_refused_when_saved(runs, api, owner):
    step = {"name": "Healthy?", "check": {"check": "workload_healthy", "params": {"owner": owner}}}
    created = api.post("/api/custom-runbooks", json={"name": "bad owner", "steps": [step]}, headers=auth(runs["alice"]))
    assert created.status_code == 400, created.text  # the runbook API's answer to a runbook that is not valid
    assert "owner" in created.text and "Kind/name" in created.text, created.text
