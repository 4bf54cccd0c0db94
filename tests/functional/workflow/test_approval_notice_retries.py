"""What an approval says when AWS fails part of it (DynamoDB throttling an entry's live event, at the AWS boundary:
tests/functional/refusals.py): a RequestApproval step tried again writes its `approval_requested` entry once and
sends the live event and the cards the first attempt did not; a decision whose live event failed has updated its
cards first (`approval.decided`), so that a person's click does not leave the cards with their buttons, and answers
success: the decision is stored, its live event is best-effort."""

import pytest

from tests.conftest import auth
from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import open_incident, timeline_types, wait_for, wait_for_status
from tests.functional.workflow.test_remediate_retries import streaming

pytestmark = pytest.mark.functional


def _streamed(opened, event_type: str) -> int:
    from pagerless.store.timeline import stream_events_after

    streamed = stream_events_after(opened.workspace, 0, limit=1000)
    return [e.type for e in streamed if e.incident_id == opened.id].count(event_type)


def _notices(pages, event: str) -> list[dict]:
    pages()
    return [j for j in pages.seen if j["event"] == event]


def test_a_request_whose_live_event_was_throttled_says_it_once_and_sends_its_cards(
    sandbox, scenario, oncall, pages, runtime
):
    # Given DynamoDB throttling the live event of the RequestApproval step's `approval_requested` entry
    oncall(delays=(60, 60, 60))
    with refusing("TransactWriteItems", "ThrottlingException", when=streaming("approval_requested")) as refused:
        # When an incident opens whose fix needs an approval
        opened = open_incident(scenario)
        wait_for_status(opened.id, "awaiting_approval", timeout=60)
        wait_for(lambda: _streamed(opened, "approval_requested"), timeout=30)
    assert refused == ["TransactWriteItems"]
    # Then the retried step wrote no second entry and sent the live event the first attempt lost, and the cards
    assert timeline_types(opened.id).count("approval_requested") == 1
    assert _streamed(opened, "approval_requested") == 1
    assert len({j["generation"] for j in _notices(pages, "approval.requested")}) == 1


def test_a_decision_whose_live_event_was_throttled_still_updates_its_cards(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    from pagerless.store.approvals import ApprovalRepository

    # Given an incident waiting for an approval
    oncall(delays=(60, 60, 60))
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval", timeout=60)
    approval = ApprovalRepository().latest(opened.id)
    # And DynamoDB throttling the live event of the `approved` entry
    with refusing("PutItem", "ThrottlingException", when=streaming("approved")) as refused:
        # When a person approves (the decision reaches the workflow; the live event fails)
        answer = api.post(f"/api/incidents/{opened.id}/approve", headers=auth(operator_key), json={"comment": "go"})
    assert refused == ["PutItem"]
    # Then the stored decision answers success (its live event is best-effort), not a 503 whose retry would only
    # hear that it was already approved
    assert answer.status_code == 200, answer.text
    assert (answer.json()["changed"], answer.json()["approval"]["status"]) == (True, "approved")
    # And the decision is on the timeline once and the approval's cards were told who decided
    assert timeline_types(opened.id).count("approved") == 1
    decided = wait_for(lambda: _notices(pages, "approval.decided"), timeout=30)
    assert {j["generation"] for j in decided} == {approval.approval_id}


def test_a_repeated_click_writes_the_entry_the_first_click_failed_to_write(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    from pagerless.store.approvals import ApprovalRepository
    from tests.functional.workflow.test_aws_unavailable_steps import inside

    # Given an incident waiting for an approval
    oncall(delays=(60, 60, 60))
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval", timeout=60)
    approval = ApprovalRepository().latest(opened.id)
    # And DynamoDB throttling the write of the decision's own `approved` entry (after the decision reached the
    # workflow)
    with refusing("PutItem", "ThrottlingException", when=inside("put_new")) as refused:
        # When a person approves: the decision stands, its entry is not written
        first = api.post(f"/api/incidents/{opened.id}/approve", headers=auth(operator_key), json={"comment": "go"})
    assert refused == ["PutItem"]
    assert first.status_code == 503, first.text
    assert timeline_types(opened.id).count("approved") == 0
    # And clicks again
    again = api.post(f"/api/incidents/{opened.id}/approve", headers=auth(operator_key), json={"comment": "go"})
    # Then the click hears the decision stands, and the entry is written, its cards told and its live event sent
    assert again.status_code == 200, again.text
    assert (again.json()["changed"], again.json()["approval"]["status"]) == (False, "approved")
    assert timeline_types(opened.id).count("approved") == 1
    assert _streamed(opened, "approved") == 1
    decided = wait_for(lambda: _notices(pages, "approval.decided"), timeout=30)
    assert {j["generation"] for j in decided} == {approval.approval_id}
    # And a third click writes nothing more
    third = api.post(f"/api/incidents/{opened.id}/approve", headers=auth(operator_key), json={"comment": "go"})
    assert third.json()["changed"] is False
    assert timeline_types(opened.id).count("approved") == 1
    assert _streamed(opened, "approved") == 1
