"""GET /api/incidents/{id}/diagnosis and POST .../diagnose (re-run) through the real API."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for, wait_for_status

pytestmark = pytest.mark.functional


def _timeline_types(api, key, incident_id):
    return [e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(key)).json()["items"]]


def test_diagnosis_is_readable_and_can_be_rerun_with_fresh_context(sandbox, scenario, api, operator_key, admin_key):
    # Given the OOM incident diagnosed by the workflow
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    # When the diagnosis is read
    diagnosis = api.get(f"/api/incidents/{incident.id}/diagnosis", headers=auth(operator_key))
    # Then it is the analyzers' answer with its evidence and remediations
    assert diagnosis.status_code == 200, diagnosis.text
    body = diagnosis.json()
    assert body["category"] == "oom_killed" and body["engine"] == "analyzers"
    assert body["evidence"] and "increase_memory_limit" in body["remediations"]
    # When an operator asks for a re-run
    queued = api.post(f"/api/incidents/{incident.id}/diagnose", headers=auth(operator_key))
    # Then it is accepted, runs on fresh context, and leaves the status alone
    assert queued.status_code == 202 and queued.json()["queued"] is True
    wait_for(lambda: _timeline_types(api, operator_key, incident.id).count("diagnosed") == 2)
    types = _timeline_types(api, operator_key, incident.id)
    assert {"rediagnosis_requested", "context_refreshed"} <= set(types)
    assert api.get(f"/api/incidents/{incident.id}", headers=auth(operator_key)).json()["status"] == "awaiting_approval"
    # And the audit log names who asked
    actions = [i["action"] for i in api.get("/api/audit-logs", headers=auth(admin_key)).json()["items"]]
    assert "POST /api/incidents/{incident_id}/diagnose" in actions


def test_rediagnosis_guards(runtime, api, operator_key, admin_key):
    viewer = api.post("/api/keys", json={"role": "viewer"}, headers=auth(admin_key)).json()["key"]
    # Unknown incidents are 404 for both routes
    assert api.get("/api/incidents/INC-19990101-0001/diagnosis", headers=auth(viewer)).status_code == 404
    assert api.post("/api/incidents/INC-19990101-0001/diagnose", headers=auth(operator_key)).status_code == 404
    # A viewer may read but not re-run
    sent = api.post(
        "/api/webhooks/generic",
        json={"title": "Disk almost full", "service": "db", "namespace": "data"},
        headers=auth(operator_key),
    ).json()["alerts"][0]
    assert api.post(f"/api/incidents/{sent['incident_id']}/diagnose", headers=auth(viewer)).status_code == 403
    # A resolved incident is not re-diagnosed
    wait_for_status(sent["incident_id"], "diagnosed", "escalated", settled=True)
    api.post(
        f"/api/incidents/{sent['incident_id']}/resolve", json={"note": "fixed by hand"}, headers=auth(operator_key)
    )
    conflict = api.post(f"/api/incidents/{sent['incident_id']}/diagnose", headers=auth(operator_key))
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "CONFLICT"


def test_a_rediagnosis_lambda_retries_writes_its_context_refreshed_and_diagnosed_entries_once(
    sandbox, scenario, api, operator_key, runtime
):
    from pagerless.workflow.rediagnose import _lambda

    # Given the OOM incident diagnosed by the workflow
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    queued: list[bytes] = []

    def keep(params, **_):
        queued.append(params["Payload"])

    events = _lambda().meta.events
    events.register("before-parameter-build.lambda.Invoke", keep)
    try:
        # When an operator asks for a re-run, and it runs
        assert api.post(f"/api/incidents/{incident.id}/diagnose", headers=auth(operator_key)).status_code == 202
        wait_for(lambda: _timeline_types(api, operator_key, incident.id).count("diagnosed") == 2)
    finally:
        events.unregister("before-parameter-build.lambda.Invoke", keep)
    # And Lambda runs the asynchronous invocation again with the same payload (its retry after a failed attempt)
    [payload] = queued
    again = runtime.client("lambda").invoke(FunctionName=_workflow_function(), Payload=payload)
    assert "FunctionError" not in again, again["Payload"].read()
    # Then its context_refreshed entry is on the timeline once, and its diagnosed entry too (the workflow's and its)
    types = _timeline_types(api, operator_key, incident.id)
    assert (types.count("context_refreshed"), types.count("diagnosed")) == (1, 2), types


def _workflow_function() -> str:
    from pagerless import settings

    return settings.workflow().workflow_function_name
