"""A RequestApproval step Step Functions invokes again (Lambda lost its answer) after a person
decided the approval the first attempt asked: the decision went to the first attempt's task token,
which no longer waits, so the retried attempt hands it to its own token and the run goes on as the
person decided. The real `incident-response` and `runbook-run` ASL on the embedded AWS, against the
sandbox cluster; the decision goes through the real API."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import incident, memory_limit, open_incident, timeline_types, wait_for_status
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, job, runs, wait_job  # noqa: F401

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
