"""A restart of the embedded runtime at each workflow state: the reconciler resumes, nothing runs twice.

A restart ends every Step Functions execution (moto cannot keep them); the test does the same by
stopping them, then runs the reconciler as `pagerless dev` does on start.
"""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    _stop_running_executions,
    alertmanager_payload,
    incident,
    memory_limit,
    open_incident,
    timeline_types,
    wait_for,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def restart(runtime, **options) -> list[dict]:
    from pagerless.workflow.reconcile import reconcile

    _stop_running_executions(runtime)
    return reconcile(runtime.client("stepfunctions"), **options)


def _incident_without_workflow(scenario):
    """Intake stored the incident, then the process died before its workflow started."""
    from pagerless.intake.service import IntakeService

    [result] = IntakeService(start_workflow=lambda *a, **k: None).ingest(
        "alertmanager", alertmanager_payload(scenario["alert"]), "default"
    )
    return incident(result.incident_id)


def _approve(api, key, incident_id):
    response = api.post(f"/api/incidents/{incident_id}/approve", json={"comment": "go"}, headers=auth(key))
    assert response.status_code == 200, response.text


def test_restart_before_the_workflow_ran_starts_it(sandbox, scenario, runtime):
    # Given an open incident whose workflow never started
    opened = _incident_without_workflow(scenario)
    assert opened.status == "open"
    # When the runtime restarts
    [done] = restart(runtime)
    # Then its workflow runs from the start, up to the approval
    assert done == {"incident_id": opened.id, "status": "open", "resume": "start"}
    wait_for_status(opened.id, "awaiting_approval")
    assert memory_limit(sandbox) == "256Mi"


def test_restart_while_diagnosing_resumes_at_context(sandbox, scenario, runtime):
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.workflow.incidents import advance

    opened = _incident_without_workflow(scenario)
    advance(opened, IncidentStatus.DIAGNOSING, "the workflow started: gathering context")
    [done] = restart(runtime)
    assert done["resume"] == "gather_context"
    wait_for_status(opened.id, "awaiting_approval")
    assert "diagnosed" in timeline_types(opened.id)


def test_restart_while_awaiting_approval_rearms_the_same_approval(sandbox, scenario, api, operator_key, runtime):
    from pagerless.store.approvals import ApprovalRepository

    # Given an incident waiting for a human's approval
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    before = ApprovalRepository().latest(opened.id)
    # When the runtime restarts
    [done] = restart(runtime)
    assert done["resume"] == "request_approval"
    # Then the same approval waits again on the new execution, and its cards are sent again
    after = wait_for(lambda: (a := ApprovalRepository().latest(opened.id)).execution_arn != before.execution_arn and a)
    assert (after.approval_id, after.status) == (before.approval_id, "pending")
    assert after.expires_at >= before.expires_at
    # (the approval is re-armed just before the timeline entry is written: wait for the entry too)
    assert wait_for(lambda: "approval_resumed" in timeline_types(opened.id))
    # And approving it applies the fix once and resolves the incident
    _approve(api, operator_key, opened.id)
    wait_for_status(opened.id, "resolved")
    assert memory_limit(sandbox) == "512Mi"
    assert [a["status"] for a in incident(opened.id).actions] == ["succeeded"]


def test_restart_after_an_approval_whose_answer_was_lost_runs_the_fix(sandbox, scenario, runtime):
    from pagerless.domain.approvals import APPROVED
    from pagerless.store.approvals import ApprovalRepository

    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    _stop_running_executions(runtime)
    # The decision was stored, but the process died before Step Functions heard it
    repository = ApprovalRepository()
    assert repository.decide(repository.latest(opened.id), APPROVED, actor="alice", role="operator")
    [done] = restart(runtime)
    assert done["resume"] == "remediate"
    wait_for_status(opened.id, "resolved")
    assert memory_limit(sandbox) == "512Mi"
    assert [a["status"] for a in incident(opened.id).actions] == ["succeeded"]


def test_restart_while_remediating_never_runs_the_action_again(sandbox, scenario, runtime):
    from pagerless.domain.approvals import APPROVED
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.incidents import advance

    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    _stop_running_executions(runtime)
    repository = ApprovalRepository()
    repository.decide(repository.latest(opened.id), APPROVED, actor="alice", role="operator")
    # The process died after Remediate moved the incident, before the outcome was recorded
    advance(incident(opened.id), IncidentStatus.REMEDIATING, "running patch_resources")
    [done] = restart(runtime)
    # Then a person is asked to check; the action is not run (again)
    assert done["outcome"] == "escalate"
    assert incident(opened.id).status == "escalated"
    assert memory_limit(sandbox) == "256Mi"
    assert not incident(opened.id).actions


def test_restart_while_verifying_verifies_without_applying_again(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless import settings

    # Given a fix applied and a verification that waits for the rollout
    monkeypatch.setenv("PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS", "3600")
    settings.reset()
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    _approve(api, operator_key, opened.id)
    wait_for_status(opened.id, "verifying")
    assert memory_limit(sandbox) == "512Mi"
    # When the runtime restarts
    monkeypatch.setenv("PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS", "0")
    settings.reset()
    [done] = restart(runtime)
    # Then verification resumes and resolves; the fix ran exactly once
    assert done["resume"] == "verify"
    wait_for_status(opened.id, "resolved")
    assert [a["status"] for a in incident(opened.id).actions] == ["succeeded"]


def _sent(scenario, *, name: str, fingerprint: str, status: str = "firing", service: str | None = None) -> dict:
    payload = alertmanager_payload(scenario["alert"])
    [alert] = payload["alerts"]
    alert["labels"] = {**alert["labels"], "alertname": name, **({"service": service} if service else {})}
    alert.update(status=status, fingerprint=fingerprint)
    payload["status"] = status
    return payload


def test_restart_leaves_correlated_incidents_without_a_workflow_and_holds_a_flapping_one_back_to_settle(
    sandbox, scenario, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.intake.service import IntakeService

    # Given flaps that settle after 3 seconds of firing
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", "3")
    settings.reset()
    # And, stored before the restart with no workflow running: a root incident, a second alert of
    # its service correlated under it (intake starts none for it), and a flapping incident
    intake = IntakeService(start_workflow=lambda *a, **k: None)
    [root] = intake.ingest("alertmanager", _sent(scenario, name="PodOOMKilled", fingerprint="a1"), "default")
    [child] = intake.ingest("alertmanager", _sent(scenario, name="HighRestartRate", fingerprint="b2"), "default")
    assert incident(child.incident_id).parent_id == root.incident_id
    flapper = _sent(scenario, name="DiskPressure", fingerprint="c3", service="storage-node")
    for minute in range(4):  # each firing a new episode, after the last one's resolve
        flapper["alerts"][0]["startsAt"] = f"2026-03-11T15:0{minute}:00Z"
        [flapping] = intake.ingest("alertmanager", flapper, "default")
        intake.ingest(
            "alertmanager",
            {
                **flapper,
                "status": "resolved",
                "alerts": [{**flapper["alerts"][0], "status": "resolved", "endsAt": f"2026-03-11T15:0{minute}:30Z"}],
            },
            "default",
        )
    flapper["alerts"][0]["startsAt"] = "2026-03-11T15:05:00Z"
    [flapping] = intake.ingest("alertmanager", flapper, "default")
    assert incident(flapping.incident_id).flapping and incident(flapping.incident_id).status == "open"
    # When the runtime restarts
    done = restart(runtime)
    # Then the root's workflow is started; the flapping incident's reopen run waits for its alert to
    # settle first, and the child gets none
    resumed = {d["incident_id"]: d["resume"] for d in done}
    assert resumed == {root.incident_id: "start", flapping.incident_id: "settle"}
    wait_for_status(root.incident_id, "awaiting_approval")
    assert incident(child.incident_id).status == "open" and incident(child.incident_id).execution_arn is None
    assert "incident_opened" not in timeline_types(child.incident_id)
    # And once its alert has held firing for the settle period, the flapping incident's reopen runs
    assert wait_for(lambda: "workflow_started" in timeline_types(flapping.incident_id), timeout=60)
    settled = incident(flapping.incident_id)
    assert settled.flapping is False and f"{flapping.incident_id}-r" in settled.execution_arn
    types = timeline_types(flapping.incident_id)
    assert types.count("flapping_stopped") == 1
    # (its run started only then: its timeline says so once, after the settle, whenever the test looks)
    assert types.count("workflow_started") == 1 and types.index("workflow_started") > types.index("flapping_stopped")
