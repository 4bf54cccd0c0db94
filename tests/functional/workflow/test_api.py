"""The policy API, the action catalog and manual actions, and the workflow trace of a failed step."""

from datetime import datetime, timedelta

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    DEPLOYMENT,
    NS,
    incident,
    memory_limit,
    open_incident,
    store_policy,
    timeline_types,
    wait_for_status,
)

pytestmark = pytest.mark.functional

PATCH = {
    "action": "patch_resources",
    "namespace": NS,
    "deployment": DEPLOYMENT,
    "container": "api",
    "memory_limit": "512Mi",
}


def test_policy_get_put_is_admin_only_validated_stored_and_audited(api, admin_key, operator_key):
    # Given the defaults
    got = api.get("/api/policy", headers=auth(admin_key))
    assert got.status_code == 200
    assert got.json()["policy"]["autonomy"] == "approve" and got.json()["stored"] is False
    # When an admin stores a policy
    body = {**got.json()["policy"], "autonomy": "auto-safe", "denied_namespaces": ["kube-system", "payments"]}
    put = api.put("/api/policy", json=body, headers=auth(admin_key))
    # Then it is returned as stored, and read back
    assert put.status_code == 200, put.text
    assert put.json()["stored"] is True and put.json()["policy"]["autonomy"] == "auto-safe"
    assert api.get("/api/policy", headers=auth(admin_key)).json()["policy"]["denied_namespaces"] == [
        "kube-system",
        "payments",
    ]
    # and an invalid policy is a 422, an operator is refused, and the change is audited with the policy
    assert api.put("/api/policy", json={"autonomy": "yolo"}, headers=auth(admin_key)).status_code == 422
    assert (
        api.put(
            "/api/policy", json={"allowed_namespaces": ["a"], "denied_namespaces": ["a"]}, headers=auth(admin_key)
        ).status_code
        == 422
    )
    assert api.get("/api/policy", headers=auth(operator_key)).status_code == 403
    audit = api.get("/api/audit-logs?action=PUT /api/policy", headers=auth(admin_key)).json()["items"]
    assert audit[-1]["details"]["policy"]["autonomy"] == "auto-safe"


def test_action_catalog_lists_parameters_risk_and_blast_radius(api, viewer_key):
    items = api.get("/api/actions", headers=auth(viewer_key)).json()["items"]
    by_name = {item["name"]: item for item in items}
    assert {"restart_pod", "patch_resources", "scale_deployment", "rollback_deployment"} <= set(by_name)
    assert by_name["patch_resources"]["blast_radius"] == "deployment"
    assert "memory_limit" in by_name["patch_resources"]["parameters"]
    assert by_name["restart_pod"]["reversible"] is False


def test_execute_is_a_dry_run_by_default(sandbox, api, operator_key):
    # When an operator asks for an action without saying dry_run
    response = api.post("/api/actions/execute", json={"action": PATCH}, headers=auth(operator_key))
    # Then the server-side dry run shows the change and nothing changed
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    assert "256Mi → 512Mi" in response.json()["result"]["diff"]
    assert memory_limit(sandbox) == "256Mi"


def test_execute_attached_to_an_incident_runs_and_is_recorded(sandbox, scenario, api, operator_key):
    # Given an incident (handed to humans: the kill switch was on) and the kill switch off again
    store_policy(kill_switch=True)
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    store_policy()
    # When an operator executes the fix for real on the incident
    response = api.post(
        "/api/actions/execute",
        json={"action": PATCH, "dry_run": False, "incident_id": opened.id},
        headers=auth(operator_key),
    )
    # Then it ran and the incident's actions and timeline say so
    assert response.status_code == 200, response.text
    assert response.json()["result"]["status"] == "succeeded"
    assert response.json()["decision"]["rule"] == "autonomy:approve"
    assert memory_limit(sandbox) == "512Mi"
    assert incident(opened.id).actions[-1]["source"] == "api"
    assert "action_executed" in timeline_types(opened.id)


def test_a_drain_dry_run_tells_what_the_policy_lets_the_drain_do(sandbox, api, operator_key):
    # Given cluster-wide actions allowed and the default deny list (kube-system): coredns runs on the node
    store_policy(max_blast_radius="cluster")
    drain = {"action": "drain_node", "node": "ip-10-0-1-23.ec2.internal"}
    # When an operator dry-runs the drain, then runs it
    dry = api.post("/api/actions/execute", json={"action": drain}, headers=auth(operator_key))
    real = api.post("/api/actions/execute", json={"action": drain, "dry_run": False}, headers=auth(operator_key))
    # Then the dry run says what the real drain does: refused for the kube-system pod, nothing changed
    assert real.json()["result"]["status"] == "refused", real.text
    assert dry.status_code == 200, dry.text
    assert dry.json()["result"]["status"] == "refused", dry.json()["result"]
    assert "policy denied_namespace" in dry.json()["result"]["message"]
    assert not sandbox.node("ip-10-0-1-23.ec2.internal")["spec"].get("unschedulable")


def test_execute_denied_by_policy_is_forbidden_with_the_rule(sandbox, api, operator_key):
    store_policy(denied_namespaces=["payments"])
    response = api.post("/api/actions/execute", json={"action": PATCH, "dry_run": False}, headers=auth(operator_key))
    assert response.status_code == 403
    assert response.json()["error"]["details"][0]["rule"] == "denied_namespace"
    assert memory_limit(sandbox) == "256Mi"


def test_restarting_pods_by_name_counts_against_their_deployment_for_the_rate_limit(sandbox, api, operator_key):
    # Given at most 2 actions per workload an hour
    store_policy(rate_limit={"max_actions": 2, "window_minutes": 60})
    restarted = []

    def restart_a_pod_of_the_deployment():
        # an evicted pod comes back under a new name: restart one not restarted yet, naming no deployment
        pods = [p["metadata"]["name"] for p in sandbox.pods(NS) if p["metadata"]["labels"].get("app") == DEPLOYMENT]
        pod = next(name for name in pods if name not in restarted)
        restarted.append(pod)
        action = {"action": "restart_pod", "namespace": NS, "pod": pod}
        return api.post("/api/actions/execute", json={"action": action, "dry_run": False}, headers=auth(operator_key))

    # When an operator restarts pods of payments-api one by one, each under its own name
    first, second, third = (restart_a_pod_of_the_deployment() for _ in range(3))
    # Then the first two run and the third is refused: the pods count against payments-api, not their names
    assert [first.json()["result"]["status"], second.json()["result"]["status"]] == ["succeeded", "succeeded"]
    assert len(set(restarted)) == 3
    assert third.status_code == 403, third.text
    assert third.json()["error"]["details"][0]["rule"] == "rate_limit"
    assert f"{NS}/{DEPLOYMENT}" in third.json()["error"]["details"][0]["reason"]
    assert sandbox.pod(NS, restarted[2]) is not None
    # and the Deployment itself has no budget left either
    rollout = {"action": "rollout_restart", "namespace": NS, "deployment": DEPLOYMENT}
    refused = api.post("/api/actions/execute", json={"action": rollout, "dry_run": False}, headers=auth(operator_key))
    assert refused.status_code == 403 and refused.json()["error"]["details"][0]["rule"] == "rate_limit"


def test_execute_without_a_cluster_is_service_unavailable(runtime, api, operator_key, viewer_key):
    response = api.post("/api/actions/execute", json={"action": PATCH}, headers=auth(operator_key))
    assert response.status_code == 503
    assert "no cluster configured" in response.json()["error"]["message"]
    assert api.post("/api/actions/execute", json={"action": PATCH}, headers=auth(viewer_key)).status_code == 403
    bad = api.post("/api/actions/execute", json={"action": {"action": "drop_database"}}, headers=auth(operator_key))
    assert bad.status_code in (400, 422)


class AnalyzerCrashedError(Exception):
    pass


def test_a_failing_step_escalates_and_the_trace_shows_the_error(
    sandbox, scenario, api, viewer_key, monkeypatch, runtime
):
    from pagerless.workflow import diagnose

    # Given the diagnosis step crashes
    def crash(incident_id, workspace, **_run):
        raise AnalyzerCrashedError("the analyzers crashed on this snapshot")

    monkeypatch.setattr(diagnose, "diagnose_incident", crash)
    opened = open_incident(scenario)
    # When the workflow runs
    wait_for_status(opened.id, "escalated", settled=True)
    # Then the incident is escalated with the error, and the trace shows which step failed and why
    from pagerless import step_functions

    sfn = step_functions.client()
    calls: list[tuple[str, dict]] = []
    sfn.meta.events.register(
        "provide-client-params.states.*", lambda params, model, **_: calls.append((model.name, dict(params))), "calls"
    )
    try:
        trace = api.get(f"/api/incidents/{opened.id}/workflow", headers=auth(viewer_key)).json()
    finally:
        sfn.meta.events.unregister("provide-client-params.states.*", unique_id="calls")
    assert trace["status"] == "FAILED" and trace["error"] == "IncidentWorkflowFailed"
    # read from the history alone, asked for without the steps' inputs and outputs (they carry the
    # task token), and saying what DescribeExecution says of the execution
    assert [(name, params.get("includeExecutionData")) for name, params in calls] == [("GetExecutionHistory", False)]
    described = sfn.describe_execution(executionArn=trace["execution_arn"])
    assert (trace["status"], trace["error"]) == (described["status"], described["error"])
    assert trace["cause"] == described["cause"][:1000]
    # its start and stop are the history's ExecutionStarted and ExecutionFailed events' times: the
    # moment the execution began its first state (the embedded Step Functions stamps its startDate a
    # few milliseconds before that), so no step starts before the execution
    started, stopped = datetime.fromisoformat(trace["started_at"]), datetime.fromisoformat(trace["stopped_at"])
    assert (
        abs(started - described["startDate"]) < timedelta(seconds=1)
        and trace["started_at"] <= trace["steps"][0]["entered_at"]
    )
    assert (
        abs(stopped - described["stopDate"]) < timedelta(seconds=1)
        and trace["stopped_at"] >= trace["steps"][-1]["entered_at"]
    )
    failed = next(s for s in trace["steps"] if s["name"] == "Diagnose")
    assert failed["status"] == "failed" and failed["error"] == "AnalyzerCrashedError"
    assert "the analyzers crashed" in failed["cause"]
    assert [s["name"] for s in trace["steps"]][-2:] == ["HandleFailure", "Failed"]
    from pagerless.incidents.timeline import timeline

    [escalation] = [t for t in timeline(opened.id) if t.type == "escalated"]
    assert "AnalyzerCrashedError" in escalation.message
    assert api.get("/api/incidents/INC-20000101-0001/workflow", headers=auth(viewer_key)).status_code == 404


def test_a_manual_action_past_the_policys_action_limits_is_refused_naming_the_bound(
    sandbox, api, operator_key, admin_key
):
    # Given full autonomy and the default action limits (at most 20 replicas, 8Gi of memory)
    store_policy(autonomy="auto")
    replicas = sandbox.deployment(NS, DEPLOYMENT)["spec"]["replicas"]
    scale = {"action": "scale_deployment", "namespace": NS, "deployment": DEPLOYMENT, "replicas": 1000}
    memory = {**PATCH, "memory_limit": "64Gi"}
    # When an operator executes a scale to 1000 replicas and a 64Gi memory limit, and dry-runs the scale
    responses = [
        api.post("/api/actions/execute", json={"action": action, "dry_run": dry}, headers=auth(operator_key))
        for action, dry in ((scale, False), (memory, False), (scale, True))
    ]
    # Then each is refused by the action_limits rule naming the bound, and nothing changed
    assert [r.status_code for r in responses] == [403, 403, 403], [r.text for r in responses]
    details = [r.json()["error"]["details"][0] for r in responses]
    assert {d["rule"] for d in details} == {"action_limits"}
    assert "exceeds action_limits.max_replicas 20" in details[0]["reason"]
    assert "exceeds action_limits.max_memory_limit 8Gi" in details[1]["reason"]
    assert sandbox.deployment(NS, DEPLOYMENT)["spec"]["replicas"] == replicas
    assert memory_limit(sandbox) == "256Mi"
    # And an admin sets other bounds in the policy document (PUT /api/policy): the dry run is then allowed
    body = {**api.get("/api/policy", headers=auth(admin_key)).json()["policy"]}
    assert body["action_limits"] == {"max_replicas": 20, "max_memory_limit": "8Gi", "max_cpu_limit": "8"}
    body["action_limits"] = {**body["action_limits"], "max_replicas": 1000}
    put = api.put("/api/policy", json=body, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    assert put.json()["policy"]["action_limits"]["max_replicas"] == 1000
    allowed = api.post("/api/actions/execute", json={"action": scale}, headers=auth(operator_key))
    assert allowed.status_code == 200, allowed.text
    assert sandbox.deployment(NS, DEPLOYMENT)["spec"]["replicas"] == replicas
