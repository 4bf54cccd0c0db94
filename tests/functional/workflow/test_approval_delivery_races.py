"""Two senders of one decision, the decider and the approval sweep, and Step Functions refusing the
second send near the approval's deadline: it refuses a token a decision used as it refuses one
whose wait timed out (``TaskTimedOut``), so a decision that reached the workflow must not be
recorded expired by whichever sender came second. The real `incident-response` ASL on the embedded
AWS (which refuses a used token as AWS does), against the sandbox cluster; the interleaving is made
at the AWS boundary (botocore's event hooks), as in test_approval_delivery.py."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import incident, open_incident, timeline_types, wait_for_status
from tests.functional.workflow.test_approval_delivery import (
    _approve_and_die_before_the_clear,
    _cards,
    _grace,
    _sweep,
    _undelivered_index,
)
from tests.functional.workflow.test_approval_retries import _Crash

pytestmark = pytest.mark.functional


def test_a_decision_the_sweep_sent_is_not_marked_expired_by_its_late_decider(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless import settings, step_functions
    from pagerless.store.approvals import ApprovalRecord, ApprovalRepository
    from pagerless.store.session import dynamodb_events

    # Given an incident whose approval's deadline is near from the start (every refusal reads as a timeout)
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "20")
    settings.reset()
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    _cards(runtime, "approval.decided")
    _grace(monkeypatch, 0)
    # And an operator's approval stored by a slow request: before it sends, the sweep sends the decision
    # (Step Functions takes it) and ends before it clears the mark; her own send then goes to a used token
    swept: list = []
    answered: list[str] = []  # what Step Functions answered each send, in order ('' when it took it)

    def the_sweep_sends_first(**_):
        if not swept:
            swept.append(None)
            swept[0] = _sweep(runtime)

    def step_functions_answered(parsed, **_) -> None:
        answered.append(parsed.get("Error", {}).get("Code", ""))

    def the_sweep_ends_before_its_clear(params, **_) -> None:
        if swept and swept[0] is None and str(params.get("UpdateExpression", "")).startswith("REMOVE"):
            raise _Crash

    sfn_events = step_functions.client().meta.events
    db_events = dynamodb_events(ApprovalRecord)
    sfn_events.register("before-call.states.SendTaskSuccess", the_sweep_sends_first)
    sfn_events.register("after-call.states.SendTaskSuccess", step_functions_answered)
    db_events.register("before-parameter-build.dynamodb.UpdateItem", the_sweep_ends_before_its_clear)
    try:
        # When her request goes on
        response = api.post(f"/api/incidents/{opened}/approve", json={"comment": "go"}, headers=auth(operator_key))
    finally:
        sfn_events.unregister("before-call.states.SendTaskSuccess", the_sweep_sends_first)
        sfn_events.unregister("after-call.states.SendTaskSuccess", step_functions_answered)
        db_events.unregister("before-parameter-build.dynamodb.UpdateItem", the_sweep_ends_before_its_clear)
    assert [s["delivered"] for s in swept[0]] == ["failed"], swept  # it sent, then ended before its clear
    assert answered == ["", "TaskTimedOut"]  # the sweep's send was taken; hers, to the used token, refused
    # Then the workflow goes on with her approval, and everything says so: her answer, the record, the
    # incident's copy, the timeline and the cards; nothing says expired
    assert response.status_code == 200, response.text
    assert response.json()["approval"]["status"] == "approved"
    assert wait_for_status(opened, "resolved", "escalated", settled=True) == "resolved", timeline_types(opened)
    assert [a["status"] for a in incident(opened).actions] == ["succeeded"]
    [approval] = ApprovalRepository().for_incident(opened, consistent=True)
    assert approval.status == "approved", approval.note
    assert incident(opened).approval["status"] == "approved"
    assert timeline_types(opened).count("approved") == 1 and "approval_expired" not in timeline_types(opened)
    assert [d["data"]["decision"] for d in _cards(runtime, "approval.decided")] == ["approved"]


def test_a_decision_its_dead_decider_sent_is_not_marked_expired_by_the_sweep_near_the_deadline(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.store.approvals import ApprovalRepository

    # Given an incident whose approval's deadline is near from the start (every refusal reads as a timeout)
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "20")
    settings.reset()
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    _cards(runtime, "approval.decided")

    # And an approval Step Functions took, whose decider died before the write that clears its mark
    _approve_and_die_before_the_clear(api, operator_key, opened)
    # When the approval sweep sends it and Step Functions refuses the used token, near the deadline
    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    # Then the decision stands, told once; nothing says expired
    assert (swept["decision"], swept["delivered"]) == ("approved", "refused")
    [approval] = ApprovalRepository().for_incident(opened, consistent=True)
    assert approval.status == "approved", approval.note
    assert incident(opened).approval["status"] == "approved"
    assert timeline_types(opened).count("approved") == 1 and "approval_expired" not in timeline_types(opened)
    assert [d["data"]["decision"] for d in _cards(runtime, "approval.decided")] == ["approved"]
    assert _undelivered_index() == [] and _sweep(runtime) == []
