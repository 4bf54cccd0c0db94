"""A RequestApproval step Step Functions invokes again (Lambda lost its answer) after a person
decided the approval the first attempt asked: the decision went to the first attempt's task token,
which no longer waits, so the retried attempt hands it to its own token and the run goes on as the
person decided. The real `incident-response` and `runbook-run` ASL on the embedded AWS, against the
sandbox cluster; the decision goes through the real API."""

import json

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import incident, memory_limit, open_incident, timeline_types, wait_for_status
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, events, job, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional


@pytest.fixture
def answer_lost(runtime, monkeypatch):
    """``answer_lost(step, meanwhile)``: the first invocation of workflow step ``step`` runs, then
    ``meanwhile(event)`` runs (a person decides), then Lambda answers ``Lambda.ServiceException`` (the
    invocation's response was lost), so Step Functions invokes the step again on a new task token."""
    from pagerless.local.lambdas import FunctionError

    lost: list[str] = []
    real = runtime.lambdas.invoke

    def arm(step: str, meanwhile) -> list[str]:
        def invoke(function_name, event):
            result = real(function_name, event)
            if isinstance(event, dict) and event.get("step") == step and not lost:
                lost.append(event["task_token"])
                meanwhile(event)
                raise FunctionError("Lambda.ServiceException", "Lambda was unable to return the response")
            return result

        monkeypatch.setattr(runtime.lambdas, "invoke", invoke)
        return lost

    return arm


def _decide(api, key, incident_id: str, verb: str) -> None:
    response = api.post(f"/api/incidents/{incident_id}/{verb}", json={"comment": "decided early"}, headers=auth(key))
    assert response.status_code == 200, response.text
    assert response.json()["approval"]["status"] == {"approve": "approved", "reject": "rejected"}[verb]


def test_an_approval_decided_before_step_functions_retried_its_request_runs_the_fix(
    answer_lost, sandbox, scenario, api, operator_key
):
    from pagerless.store.approvals import ApprovalRepository

    # Given the workflow's approval request ran, and its answer to Step Functions is lost
    lost = answer_lost("request_approval", lambda event: _decide(api, operator_key, event["incident_id"], "approve"))
    # When an operator approves before Step Functions asks again
    opened = [open_incident(scenario).id]
    # Then the retried request hands her decision to the workflow: the fix runs once, the incident resolves
    assert wait_for_status(opened[0], "resolved", "escalated", settled=True) == "resolved", timeline_types(opened[0])
    assert len(lost) == 1, "the request was retried"
    assert memory_limit(sandbox) == "512Mi"
    assert [a["status"] for a in incident(opened[0]).actions] == ["succeeded"]
    # and the incident had one approval, hers
    [approval] = ApprovalRepository().for_incident(opened[0])
    assert (approval.status, approval.comment) == ("approved", "decided early")
    assert timeline_types(opened[0]).count("approved") == 1
    # and the audit log holds her request's own record of the decision, and no second one
    [audited] = decision_audit(approval.approval_id)
    assert audited["request_id"] and "delivered_by" not in audited["details"], audited


def test_a_rejection_made_before_step_functions_retried_the_request_rejects_the_proposal(
    answer_lost, sandbox, scenario, api, operator_key
):
    from pagerless.store.approvals import ApprovalRepository

    # Given the workflow's approval request ran, and its answer to Step Functions is lost
    answer_lost("request_approval", lambda event: _decide(api, operator_key, event["incident_id"], "reject"))
    # When an operator rejects before Step Functions asks again
    opened = [open_incident(scenario).id]
    # Then the workflow takes the rejection: nothing runs, the incident is back to diagnosed (not escalated)
    assert wait_for_status(opened[0], "diagnosed", "escalated", "resolved", settled=True) == "diagnosed"
    assert memory_limit(sandbox) == "256Mi"
    assert not incident(opened[0]).actions
    # and its one approval is the rejection
    [approval] = ApprovalRepository().for_incident(opened[0])
    assert approval.status == "rejected"
    assert incident(opened[0]).approval["status"] == "rejected"


def test_a_runbook_step_approved_before_step_functions_retried_its_request_runs(answer_lost, runs, sandbox, api):
    from pagerless.store.approvals import ApprovalRepository

    # Given an OOM recovery run whose memory step's approval request ran, its answer lost
    alice, bob = runs["alice"], runs["bob"]

    def bob_approves(event: dict) -> None:
        parked = job(api, alice, event["job_id"])
        signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
        response = api.post(f"/api/jobs/{event['job_id']}/signal", json=signal, headers=auth(bob))
        assert response.status_code == 200, response.text

    lost = answer_lost("runbook_request_approval", bob_approves)
    # When Bob approves the step before Step Functions asks again
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    # Then the retried request hands Bob's approval to the run: the step runs and the run completes
    assert len(lost) == 1, "the request was retried"
    assert done["status"] == "completed", done
    assert memory_limit(sandbox) == "512Mi"
    mine = ApprovalRepository().for_incident(started["job_id"])
    assert [(a.status, a.decided_by) for a in mine] == [("approved", mine[0].decided_by)] and mine[0].decided_by


def decision_audit(approval_id: str) -> list[dict]:
    """The audit log's records of the decision ``approval_id`` holds (a request that died wrote, here,
    a record of its failed call too, which names no approval: a dead process writes none)."""
    from pagerless.store.audit import AuditRepository

    items, _ = AuditRepository().query("default", limit=500)
    return [i.to_dict() for i in items if (i.details or {}).get("approval_id") == approval_id]


class _Crash(Exception):
    """The decider's process dies."""


@pytest.fixture
def dies_after_deciding():
    """``dies_after_deciding(actor, decide)``: runs ``decide()``, whose process dies right after the
    approvals table took ``actor``'s decision (the write is stored; nothing after it happens)."""
    from pagerless.store.approvals import ApprovalRecord

    def run(actor: str, decide):
        decided: list[bool] = []

        def note_the_decision(params, **_) -> None:
            if actor in json.dumps(params, default=str):
                decided.append(True)

        def die_once_stored(**_) -> None:
            if decided:
                raise _Crash

        from pagerless.store.session import dynamodb_events

        events = dynamodb_events(ApprovalRecord)
        events.register("before-parameter-build.dynamodb.UpdateItem", note_the_decision)
        events.register("after-call.dynamodb.UpdateItem", die_once_stored)
        try:
            return decide()
        finally:
            events.unregister("before-parameter-build.dynamodb.UpdateItem", note_the_decision)
            events.unregister("after-call.dynamodb.UpdateItem", die_once_stored)

    return run


def test_a_runbook_step_whose_decider_died_after_deciding_runs_with_its_approver(
    answer_lost, dies_after_deciding, runs, sandbox, api
):
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRepository

    # Given an OOM recovery run whose memory step's approval request ran, its answer lost
    alice, bob = runs["alice"], runs["bob"]
    bob_id = key_service().authenticate(bob).key_id

    def bob_approves_and_dies(event: dict) -> None:
        parked = job(api, alice, event["job_id"])
        signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
        response = dies_after_deciding(
            bob_id, lambda: api.post(f"/api/jobs/{event['job_id']}/signal", json=signal, headers=auth(bob))
        )
        assert response.status_code == 500, response.text

    # When Bob's approval is stored and his request dies, then Step Functions asks again and the
    # retried request hands Bob's approval over
    lost = answer_lost("runbook_request_approval", bob_approves_and_dies)
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    # Then the step runs, and the job's result and its events name Bob as its approver
    assert len(lost) == 1, "the request was retried"
    [approval] = ApprovalRepository().for_incident(started["job_id"])
    assert (approval.status, approval.decided_by) == ("approved", bob_id)
    assert done["status"] == "completed", (done["error"], done["steps"])
    assert memory_limit(sandbox) == "512Mi"
    assert done["steps"][1]["approved_by"] == bob_id, done["steps"]
    trace = events(api, alice, started["job_id"])
    [ran] = [e for e in trace if e["event"] == "ToolCompleted"]
    assert ran["approved_by"] == bob_id, ran
    [woken] = [e for e in trace if e["event"] == "SignalReceived"]
    assert woken["payload"] == {"approved": True, "by": bob_id, "comment": None}, woken
    # And the audit log records Bob's approval of the step once, as his signal would have, saying the
    # retried request handed it over
    [audited] = decision_audit(approval.approval_id)
    assert (audited["actor"], audited["action"], audited["status"]) == (
        bob_id,
        "POST /api/jobs/{job_id}/signal",
        200,
    ), audited
    assert (audited["details"]["approved"], audited["details"]["delivered_by"]) == (True, "approval-request"), audited
    assert audited["at"] == approval.decided_at.isoformat()


def test_a_runbook_step_whose_rejecter_died_after_deciding_names_the_rejecter(
    answer_lost, dies_after_deciding, runs, sandbox, api
):
    from pagerless.api.security import key_service

    # Given an OOM recovery run whose memory step's approval request ran, its answer lost
    alice, bob = runs["alice"], runs["bob"]
    bob_id = key_service().authenticate(bob).key_id

    def bob_rejects_and_dies(event: dict) -> None:
        parked = job(api, alice, event["job_id"])
        signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": False, "reason": "not now"}}
        response = dies_after_deciding(
            bob_id, lambda: api.post(f"/api/jobs/{event['job_id']}/signal", json=signal, headers=auth(bob))
        )
        assert response.status_code == 500, response.text

    # When Bob's rejection is stored and his request dies, then the retried request hands it over
    answer_lost("runbook_request_approval", bob_rejects_and_dies)
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    # Then nothing runs, and the run says who rejected the step and why
    assert memory_limit(sandbox) == "256Mi"
    assert done["status"] == "failed" and done["result"]["outcome"] == "rejected", done
    assert done["error"] == f"Raise the memory limit rejected by {bob_id}: not now", done["error"]
    [woken] = [e for e in events(api, alice, started["job_id"]) if e["event"] == "SignalReceived"]
    assert woken["payload"] == {"approved": False, "by": bob_id, "comment": "not now"}, woken


def test_an_approval_whose_decider_died_after_deciding_runs_the_fix_naming_the_approver(
    answer_lost, dies_after_deciding, sandbox, scenario, api, operator_key
):
    from pagerless.api.security import key_service
    from pagerless.incidents.timeline import timeline

    # Given the workflow's approval request ran, and its answer to Step Functions is lost
    operator = key_service().authenticate(operator_key).key_id

    def approves_and_dies(event: dict) -> None:
        response = dies_after_deciding(
            operator,
            lambda: api.post(
                f"/api/incidents/{event['incident_id']}/approve", json={"comment": "go"}, headers=auth(operator_key)
            ),
        )
        assert response.status_code == 500, response.text

    # When an operator's approval is stored and her request dies, then the retried request hands it over
    lost = answer_lost("request_approval", approves_and_dies)
    opened = open_incident(scenario).id
    # Then the fix runs once, its action and the timeline name her as its approver, once
    assert wait_for_status(opened, "resolved", "escalated", settled=True) == "resolved", timeline_types(opened)
    assert len(lost) == 1, "the request was retried"
    [action] = incident(opened).actions
    assert (action["status"], action["approved_by"]) == ("succeeded", operator)
    assert incident(opened).approval["decided_by"] == operator
    [approved] = [item for item in timeline(opened) if item.type == "approved"]
    assert approved.actor == operator and approved.message.endswith(": go"), approved.message
    # And the audit log records her decision once, as her request would have, saying the retried request
    # handed it over
    [audited] = decision_audit(incident(opened).approval["approval_id"])
    assert (audited["actor"], audited["role"], audited["status"]) == (operator, "operator", 200), audited
    assert (audited["action"], audited["target"]) == (
        "POST /api/incidents/{incident_id}/approve",
        f"incident_id={opened}",
    ), audited
    assert (audited["details"]["decision"], audited["details"]["comment"]) == ("approve", "go"), audited
    assert audited["details"]["delivered_by"] == "approval-request", audited
