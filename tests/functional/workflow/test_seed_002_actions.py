"""Seed 002's POST /actions/execute: a flat body (action name, pod_name, deployment_name, replicas)."""

import pytest

from tests.functional.workflow.conftest import DEPLOYMENT, NS, open_incident, store_policy, wait_for_status

pytestmark = pytest.mark.functional


def _pod(sandbox) -> str:
    return next(p["metadata"]["name"] for p in sandbox.pods(NS) if p["metadata"]["labels"].get("app") == DEPLOYMENT)


def test_seed_002_restart_pod_dry_run_and_executed(sandbox, api, operator_key):
    # Given a pod of payments-api, named the way seed 002's client names it
    pod = _pod(sandbox)
    body = {"action": "restart_pod", "namespace": NS, "pod_name": pod}
    headers = {"X-API-Key": operator_key}
    # When the client previews it (dry_run defaults to true) and then runs it with approval
    dry = api.post("/actions/execute", headers=headers, json=body)
    real = api.post("/actions/execute", headers=headers, json={**body, "dry_run": False, "approved": True})
    # Then both answer with the seed's fields, and only the second one restarted the pod
    assert dry.status_code == 200, dry.text
    assert dry.json()["status"] == "dry_run" and dry.json()["dry_run"] is True
    assert dry.json()["namespace"] == NS and dry.json()["pod_name"] == pod
    assert dry.json()["message"]
    assert real.status_code == 200, real.text
    assert real.json()["status"] == "success" and real.json()["result"]["status"] == "succeeded"
    assert real.json()["pod_name"] == pod and real.json()["message"]
    assert sandbox.pod(NS, pod) is None


def test_seed_002_scale_deployment(sandbox, api, operator_key):
    # When seed 002's scale example runs
    response = api.post(
        "/actions/execute",
        headers={"X-API-Key": operator_key},
        json={
            "action": "scale_deployment",
            "namespace": NS,
            "deployment_name": DEPLOYMENT,
            "replicas": 5,
            "dry_run": False,
            "approved": True,
        },
    )
    # Then the Deployment has 5 replicas and the answer names it
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "success"
    assert response.json()["deployment_name"] == DEPLOYMENT
    assert sandbox.deployment(NS, DEPLOYMENT)["spec"]["replicas"] == 5


def test_seed_002_unknown_action_name_is_a_validation_error(sandbox, api, operator_key):
    response = api.post("/actions/execute", headers={"X-API-Key": operator_key}, json={"action": "drop_database"})
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_seed_002_execution_without_approved_does_not_run(sandbox, api, operator_key):
    # Given seed 002's body asking for a real run but not saying approved (its default is false)
    pod = _pod(sandbox)
    body = {"action": "restart_pod", "namespace": NS, "pod_name": pod, "dry_run": False}
    # When it is sent
    response = api.post("/actions/execute", headers={"X-API-Key": operator_key}, json=body)
    # Then it is refused and the pod is still there
    assert response.status_code == 403, response.text
    assert "approved" in response.json()["error"]["message"]
    assert sandbox.pod(NS, pod) is not None


def _handed_to_humans(scenario):
    """An incident whose workflow ran no action (the kill switch was on meanwhile), the kill switch off again."""
    store_policy(kill_switch=True)
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    store_policy()
    return opened


def test_seed_002_an_action_on_an_incident_reads_alike_in_its_actions_and_the_activity(
    sandbox, scenario, api, operator_key
):
    # Given an incident of payments-api
    opened = _handed_to_humans(scenario)
    headers = {"X-API-Key": operator_key}
    # When seed 002's client restarts one of its pods for the incident
    body = {"action": "restart_pod", "namespace": NS, "pod_name": _pod(sandbox), "dry_run": False, "approved": True}
    response = api.post("/actions/execute", headers=headers, json={**body, "incident_id": opened.id})
    assert response.status_code == 200 and response.json()["status"] == "success", response.text
    # Then the incident's actions name the namespace and say success, as the seed shows
    actions = api.get(f"/incidents/{opened.id}/actions", headers=headers).json()["actions"]
    assert [(a["action"], a["namespace"], a["outcome"], a["dry_run"]) for a in actions] == [
        ("restart_pod", NS, "success", False)
    ]
    assert api.get(f"/incidents/{opened.id}", headers=headers).json()["actions"] == actions
    # And the activity says the same outcome of the same action
    activity = [a for a in api.get("/activity", headers=headers).json()["activity"] if a["incident_id"] == opened.id]
    assert [(a["action"], a["outcome"]) for a in activity] == [("restart_pod", "success")]


def test_seed_002_a_dry_run_is_not_held_back_by_the_rate_limit_and_says_a_real_run_would_be(sandbox, api, operator_key):
    # Given at most 2 actions per workload an hour, both spent restarting pods of payments-api
    store_policy(rate_limit={"max_actions": 2, "window_minutes": 60})
    headers = {"X-API-Key": operator_key}
    for _ in range(2):
        body = {"action": "restart_pod", "namespace": NS, "pod_name": _pod(sandbox), "dry_run": False, "approved": True}
        assert api.post("/actions/execute", headers=headers, json=body).json()["status"] == "success"
    pod = _pod(sandbox)
    # When seed 002's client previews a third restart
    dry = api.post(
        "/actions/execute", headers=headers, json={"action": "restart_pod", "namespace": NS, "pod_name": pod}
    )
    # Then the preview is made, changes nothing, and says that a real run would be blocked now, and by which rule
    assert dry.status_code == 200, dry.text
    assert dry.json()["status"] == "dry_run" and dry.json()["result"]["status"] == "would_change"
    assert dry.json()["decision"]["allowed"] is False and dry.json()["decision"]["rule"] == "rate_limit"
    assert "a real run now would be blocked by policy rule rate_limit" in dry.json()["message"], dry.json()
    assert sandbox.pod(NS, pod) is not None
    # And the real run is refused as before
    real = api.post(
        "/actions/execute",
        headers=headers,
        json={"action": "restart_pod", "namespace": NS, "pod_name": pod, "dry_run": False, "approved": True},
    )
    assert real.status_code == 403 and real.json()["error"]["details"][0]["rule"] == "rate_limit", real.text
    assert sandbox.pod(NS, pod) is not None


def test_seed_002_a_dry_run_the_policy_forbids_outright_is_refused_naming_the_rule(sandbox, api, operator_key):
    # Given payments denied (a rule about the action itself, not about how many ran)
    store_policy(denied_namespaces=[NS])
    pod = _pod(sandbox)
    # When seed 002's client previews a restart there
    body = {"action": "restart_pod", "namespace": NS, "pod_name": pod, "dry_run": True}
    response = api.post("/actions/execute", headers={"X-API-Key": operator_key}, json=body)
    # Then it is refused with the rule, as the real run is
    assert response.status_code == 403, response.text
    assert response.json()["error"]["details"][0]["rule"] == "denied_namespace"


def test_seed_002_an_action_on_something_that_does_not_exist_is_a_404_naming_it(sandbox, scenario, api, operator_key):
    # Given an incident of payments-api
    opened = _handed_to_humans(scenario)
    headers = {"X-API-Key": operator_key}
    # When seed 002's client restarts a pod that does not exist for it, for real and as a dry run
    body = {"action": "restart_pod", "namespace": NS, "pod_name": "nope-pod", "incident_id": opened.id}
    real = api.post("/actions/execute", headers=headers, json={**body, "dry_run": False, "approved": True})
    dry = api.post("/actions/execute", headers=headers, json=body)
    # Then each is a 404 in the error format, naming the pod and its namespace
    for response in (real, dry):
        assert response.status_code == 404, response.text
        error = response.json()["error"]
        assert error["code"] == "NOT_FOUND" and error["message"].startswith(f"pod {NS}/nope-pod not found"), error
        assert error["details"][0]["status"] == "not_found"
    # And both attempts are on the incident's actions, as any outcome of a request is
    actions = api.get(f"/incidents/{opened.id}/actions", headers=headers).json()["actions"]
    assert [(a["action"], a["outcome"], a["dry_run"], a["namespace"]) for a in actions] == [
        ("restart_pod", "not_found", False, NS),
        ("restart_pod", "not_found", True, NS),
    ]
    # And scaling a Deployment that does not exist is a 404 naming it too
    scale = {"action": "scale_deployment", "namespace": NS, "deployment_name": "ghost", "replicas": 2}
    missing = api.post("/actions/execute", headers=headers, json={**scale, "dry_run": False, "approved": True})
    assert missing.status_code == 404, missing.text
    assert missing.json()["error"]["message"].startswith(f"deployment {NS}/ghost not found")
