"""Verification resolves on a healthy workload whose alerts cleared (or after the grace period); a
firing alert after the workflow resolved reopens the incident; nothing proposed says why."""

import copy

import pytest

from tests.conftest import ROOT, auth
from tests.functional.workflow.conftest import (
    _SENDER,
    alertmanager_payload,
    memory_limit,
    open_incident,
    timeline_types,
    wait_for,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def _send(scenario: dict, status: str, fingerprint: str | None = None) -> dict:
    payload = alertmanager_payload(scenario["alert"])
    payload["status"] = payload["alerts"][0]["status"] = status
    if fingerprint:
        payload["alerts"][0]["fingerprint"] = fingerprint
    response = _SENDER["client"].post(
        "/api/webhooks/alertmanager", json=payload, headers={"Authorization": f"Bearer {_SENDER['key']}"}
    )
    assert response.status_code == 200, response.text
    return response.json()["alerts"][0]


def _timeline(api, key, incident_id) -> list[dict]:
    return api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(key)).json()["items"]


def _grace(monkeypatch, seconds: int) -> None:
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_WORKFLOW_ALERT_CLEAR_GRACE_SECONDS", str(seconds))
    monkeypatch.setenv("PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS", "1")
    settings.reset()


def test_a_healthy_workload_waits_for_its_alert_to_clear(sandbox, scenario, api, operator_key, monkeypatch):
    # Given a grace period longer than the test, and the OOM fix approved
    _grace(monkeypatch, 3600)
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    api.post(f"/api/incidents/{incident.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    # When the workload is healthy but the alert still fires
    wait_for(
        lambda: any(
            "waiting for 1 alert(s) to clear" in e["message"] for e in _timeline(api, operator_key, incident.id)
        ),
        timeout=60,
    )
    assert memory_limit(sandbox) == "512Mi"
    # Then the incident is not resolved yet
    assert wait_for_status(incident.id, "verifying", "remediating") in ("verifying", "remediating")
    # When Alertmanager sends the resolve
    assert _send(scenario, "resolved")["action"] == "resolved"
    # Then verification resolves it, saying both held
    wait_for_status(incident.id, "resolved", timeout=60)
    messages = [e["message"] for e in _timeline(api, operator_key, incident.id) if e["type"] == "incident_resolved"]
    assert any("every alert has cleared" in m for m in messages), messages


def test_an_alert_firing_after_the_workflow_resolved_reopens_the_incident(
    sandbox, scenario, api, operator_key, monkeypatch
):
    # Given no grace: the workflow resolves on a healthy workload though the alert never cleared
    _grace(monkeypatch, 0)
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    api.post(f"/api/incidents/{incident.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    wait_for_status(incident.id, "resolved", timeout=60)
    resolved = [e["message"] for e in _timeline(api, operator_key, incident.id) if e["type"] == "incident_resolved"]
    assert any("still firing after the 0s grace period" in m for m in resolved), resolved
    # When Alertmanager sends the same alert, still firing
    result = _send(scenario, "firing")
    # Then the incident is reopened, not counted as a duplicate of a resolved incident
    assert (result["action"], result["deduplicated"], result["incident_id"]) == ("reopened", False, incident.id)
    assert "incident_reopened" in timeline_types(incident.id)
    # and the time it sat resolved after the workflow's resolve is in none of its open periods (SLO downtime,
    # postmortems)
    from pagerless.domain.incidents import open_periods
    from pagerless.store.incidents import IncidentRepository
    from pagerless.store.timeline import resolves_and_reopens

    record = IncidentRepository().get(incident.id)
    periods = open_periods(record, resolves_and_reopens(incident.id), record.reopened_at)
    assert len(periods) == 2 and periods[0][1] <= record.reopened_at == periods[1][0], periods
    # and its workflow runs again
    wait_for_status(incident.id, "awaiting_approval", "diagnosed", "escalated", timeout=60)


def test_a_root_the_workflow_resolves_takes_its_children_still_firing_with_it(
    sandbox, scenario, api, operator_key, monkeypatch
):
    from pagerless.store.incidents import IncidentRepository

    # Given a root incident and, correlated under it, another alert of its service that still fires
    _grace(monkeypatch, 0)
    incident = open_incident(scenario)
    sibling = copy.deepcopy(scenario)
    sibling["alert"]["title"] = "KubePodNotReady"
    sibling["alert"]["labels"] = {**sibling["alert"]["labels"], "alertname": "KubePodNotReady"}
    child = _send(sibling, "firing", "1b2c3d4e5f67890a")
    assert (child["action"], IncidentRepository().get(child["incident_id"]).parent_id) == ("correlated", incident.id)
    # When the fix is approved and the workflow resolves the root on a healthy workload
    wait_for_status(incident.id, "awaiting_approval")
    api.post(f"/api/incidents/{incident.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    wait_for_status(incident.id, "resolved", timeout=60)
    # Then the child is not left open under it, where nobody would see it: resolved with its root,
    # which its timeline names
    # (the Resolve step takes its children after the root's own move)
    wait_for_status(child["incident_id"], "resolved", timeout=30)
    stored = IncidentRepository().get(child["incident_id"])
    assert (stored.status, stored.resolved_by) == ("resolved", "workflow")
    [entry] = [e for e in _timeline(api, operator_key, child["incident_id"]) if e["type"] == "incident_resolved"]
    assert incident.id in entry["message"] and entry["data"]["root_id"] == incident.id
    # And its alert is closed, so its next firing is seen: a new incident of its own (a root)
    again = _send(sibling, "firing", "1b2c3d4e5f67890a")
    assert again["action"] == "created" and again["incident_id"] != child["incident_id"]


@pytest.fixture
def no_action_scenario():
    """A scenario whose only remediation is for a human: nothing can be proposed."""
    import json

    data = json.loads((ROOT / "tests" / "scenarios" / "wrong_command_exit127.json").read_text("utf-8"))
    return copy.deepcopy(data)


def test_when_nothing_is_proposed_the_api_and_the_timeline_say_why(
    request, api, operator_key, runtime, monkeypatch, no_action_scenario
):
    from pagerless import settings
    from pagerless.local.sandbox_cluster import SandboxCluster

    # Given the wrong-command scenario in a sandbox
    scenario = no_action_scenario
    cluster = SandboxCluster.from_scenario(scenario)
    cluster.start()
    request.addfinalizer(cluster.stop)
    monkeypatch.setenv("PAGERLESS_KUBECONFIG", cluster.kubeconfig_path())
    settings.reset()
    # When its alert arrives and the workflow has proposed
    incident = open_incident(scenario)
    wait_for_status(incident.id, "diagnosed", "escalated", timeout=60)
    # Then the proposal API says nothing was proposed and why
    proposal = api.get(f"/api/incidents/{incident.id}/proposal", headers=auth(operator_key))
    assert proposal.status_code == 200, proposal.text
    body = proposal.json()
    assert body["status"] == "no_action" and "no action for this category" in body["reason"]
    assert body["not_automated"][0]["remediation"] == "fix_command"
    # And the timeline shows the same reason
    [entry] = [e for e in _timeline(api, operator_key, incident.id) if e["type"] == "proposal"]
    assert "no action for this category" in entry["message"]
    assert entry["data"]["not_automated"] == body["not_automated"]
