"""A Rollback step that AWS fails for a moment (DynamoDB throttling one of its writes) is tried again by the state
machine like every other step, and the retry neither sends the fix's inverse to the cluster twice nor pages twice:
the inverse is marked on the incident just before it is sent, so a retry after that point does not send it, and it
escalates under the reason the first attempt would have given (the escalation's key). DynamoDB refuses at the AWS
boundary (tests/functional/refusals.py), only inside the Rollback step."""

import pytest

from tests.conftest import auth
from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import (
    DEPLOYMENT,
    execution_status,
    incident,
    memory_limit,
    open_incident,
    timeline_types,
    unfixable_oom,
    wait_for,
    wait_for_status,
)
from tests.functional.workflow.test_aws_unavailable_steps import inside

pytestmark = pytest.mark.functional


@pytest.fixture
def scenario(oom_scenario):
    """The OOM scenario, except the service needs 2Gi: doubling the limit to 512Mi does not fix it."""
    return unfixable_oom(oom_scenario)


def within(*functions: str):
    """A ``when`` for the refusals: the call is made inside every one of ``functions`` (outermost first)."""
    checks = [inside(name) for name in functions]
    return lambda: all(check() for check in checks)


def approved_fix_that_fails(scenario, oncall, pages):
    """An incident whose proposal (a doubled limit, not enough) waits for approval; alice is paged for it."""
    oncall(delays=(60, 60, 60))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    wait_for_status(opened.id, "awaiting_approval", timeout=60)
    return opened


def approve(opened, api, operator_key) -> None:
    approved = api.post(f"/api/incidents/{opened.id}/approve", headers=auth(operator_key), json={"comment": "go"})
    assert approved.status_code == 200, approved.text


def patches(sandbox) -> int:
    """The changes sent to the deployment: the fix, and its inverse if it was sent."""
    return sum(1 for method, path in sandbox.requests() if method == "PATCH" and path.endswith(f"/{DEPLOYMENT}"))


def workflow_pages(opened, pages) -> list[dict]:
    """The escalations the workflow started when it escalated (the opening one is "1"), and their first pages."""
    from pagerless.store.escalations import EscalationRepository

    records = wait_for(
        lambda: [r for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("e")], timeout=60
    )
    for record in records:
        pages.wait_for(f"{record.sk}:0-0")
    return records


def escalation_reason(opened) -> str:
    from pagerless.incidents.timeline import timeline

    [reason] = [t.message for t in timeline(opened.id) if t.type == "escalated"]
    return reason


def test_a_rollback_throttled_before_it_sent_the_inverse_sends_it_when_tried_again(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an approved fix that will not be enough, and DynamoDB throttling the Rollback step's first new item (the
    # timeline entry of its move to remediating), written before the inverse is sent
    opened = approved_fix_that_fails(scenario, oncall, pages)
    with refusing("PutItem", "ProvisionedThroughputExceededException", when=inside("rollback")) as refused:
        # When the fix fails its verification
        approve(opened, api, operator_key)
        # Then the step is tried again: the inverse is sent once, and the incident escalates saying it was rolled back
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
    assert refused == ["PutItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    assert memory_limit(sandbox) == "256Mi"
    assert patches(sandbox) == 2  # the fix and its inverse
    assert [(a.get("rollback", False), a["status"]) for a in incident(opened.id).actions] == [
        (False, "succeeded"),
        (True, "succeeded"),
    ]
    assert escalation_reason(opened).endswith("; rolled back"), escalation_reason(opened)
    assert len(workflow_pages(opened, pages)) == 1


def test_a_rollback_throttled_as_it_marks_the_inverse_sent_sends_it_when_tried_again(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an approved fix that will not be enough, and DynamoDB throttling the write that marks the inverse as sent
    # (the last write before it is sent; the incident has moved to remediating already)
    opened = approved_fix_that_fails(scenario, oncall, pages)
    with refusing("UpdateItem", "ThrottlingException", when=within("rollback", "set_fields")) as refused:
        # When the fix fails its verification
        approve(opened, api, operator_key)
        # Then the step is tried again and sends the inverse, once
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
    assert refused == ["UpdateItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    assert memory_limit(sandbox) == "256Mi"
    assert patches(sandbox) == 2
    assert escalation_reason(opened).endswith("; rolled back"), escalation_reason(opened)
    assert len(workflow_pages(opened, pages)) == 1


def test_a_rollback_throttled_after_it_sent_the_inverse_does_not_send_it_again(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an approved fix that will not be enough, and DynamoDB throttling the write that records the inverse's
    # outcome on the incident, made after the inverse was sent
    opened = approved_fix_that_fails(scenario, oncall, pages)
    with refusing("UpdateItem", "ThrottlingException", when=within("rollback", "append_action")) as refused:
        # When the fix fails its verification
        approve(opened, api, operator_key)
        # Then the step is tried again and ends the workflow: the inverse was sent once, people are paged once
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
    assert refused == ["UpdateItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    assert memory_limit(sandbox) == "256Mi"
    assert patches(sandbox) == 2
    assert len(workflow_pages(opened, pages)) == 1
    # And the escalation says the inverse may have been sent and was not sent again, its outcome unknown
    reason = escalation_reason(opened)
    assert "may have been sent by an earlier attempt" in reason and "check the workload" in reason, reason
    assert timeline_types(opened.id).count("rollback_not_repeated") == 1


def test_a_rollback_throttled_while_it_escalates_pages_once(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an approved fix that will not be enough, and DynamoDB throttling the escalation's first new item (its
    # move to escalated is stored; its timeline entry is not), written after the inverse's outcome was recorded
    opened = approved_fix_that_fails(scenario, oncall, pages)
    with refusing("PutItem", "ThrottlingException", when=within("rollback", "escalate")) as refused:
        # When the fix fails its verification
        approve(opened, api, operator_key)
        # Then the step is tried again: the inverse is not sent again, and people are paged once, for the rollback
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
        records = workflow_pages(opened, pages)
    assert refused == ["PutItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    assert memory_limit(sandbox) == "256Mi"
    assert patches(sandbox) == 2
    assert [a.get("rollback", False) for a in incident(opened.id).actions] == [False, True]
    [record] = records  # (its reason, cut at 500 characters, is the rollback's, not the failure path's)
    assert record.reason.startswith("the workflow escalated: the fix did not work ("), record.reason
    assert timeline_types(opened.id).count("rolled_back") == 1


def escalated_notices(opened, pages) -> list[dict]:
    """The `incident.escalated` jobs put on the NotifyQueue for the incident (read with the pages)."""
    pages()
    return [j for j in pages.seen if j["event"] == "incident.escalated" and j["incident_id"] == opened.id]


def test_a_rollback_that_died_after_its_move_to_escalated_says_so_once_when_tried_again(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an approved fix that will not be enough, and DynamoDB throttling the escalation's first new item, written
    # after the incident moved to escalated and before its notification was queued (the step dies in that window)
    opened = approved_fix_that_fails(scenario, oncall, pages)
    with refusing("PutItem", "ThrottlingException", when=within("rollback", "escalate", "advance")) as refused:
        # When the fix fails its verification
        approve(opened, api, operator_key)
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
        workflow_pages(opened, pages)
    assert refused == ["PutItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the retried step queued the escalation's notification the first attempt never sent, under the rollback's
    # idempotency key (every job under one generation: the notify function delivers it once)
    notices = wait_for(lambda: escalated_notices(opened, pages))
    assert len({job["generation"] for job in notices}) == 1, notices
    assert notices[0]["data"]["reason"] == escalation_reason(opened)
    assert escalation_reason(opened).endswith("; rolled back")
    # And the timeline says once that it escalated; people are paged once
    assert timeline_types(opened.id).count("escalated") == 1
    assert len(workflow_pages(opened, pages)) == 1
    assert patches(sandbox) == 2
