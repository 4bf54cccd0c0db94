"""A Remediate step that AWS fails for a moment after it sent the fix (the live event of its `action_executed` entry
throttled) is tried again by the state machine: the fix is not sent again, the entry is written once, and what the
first attempt did not say is said by the retry: the `incident.remediated` notice (same generation: the notify
function's delivery ids make a repeat a no-op) and the live event, once. DynamoDB refuses at the AWS boundary
(tests/functional/refusals.py), only inside the Remediate step."""

import sys

import pytest

from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import (
    execution_status,
    incident,
    timeline_types,
    unfixable_oom,
    wait_for_status,
)
from tests.functional.workflow.test_rollback_retries import approve, approved_fix_that_fails, patches
from tests.functional.workflow.test_runbook_retries import lambda_fails_after  # noqa: F401 (a fixture)

pytestmark = pytest.mark.functional


@pytest.fixture
def scenario(oom_scenario):
    """The OOM scenario, except the service needs 2Gi: the approved fix runs, then fails its verification."""
    return unfixable_oom(oom_scenario)


def streaming(event_type: str):
    """A ``when`` for the refusals: the call writes the live (stream) event of a timeline entry of ``event_type`` (a
    PutItem, or with its entry's mark a TransactWriteItems: `announce_once`)."""

    def when() -> bool:
        frame, streams = sys._getframe(1), False
        while frame is not None:
            streams = streams or frame.f_code.co_name in ("append_stream_event", "announce_once")
            if streams and frame.f_locals.get("event_type") == event_type:
                return True
            frame = frame.f_back
        return False

    return when


def test_a_remediate_whose_live_event_was_throttled_says_the_fix_once_and_loses_nothing(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    from pagerless.store.timeline import stream_events_after

    # Given an approved fix, and DynamoDB throttling the live event of its `action_executed` entry (after it ran)
    opened = approved_fix_that_fails(scenario, oncall, pages)
    with refusing("TransactWriteItems", "ThrottlingException", when=streaming("action_executed")) as refused:
        # When the fix is approved (it runs, then fails its verification and is rolled back)
        approve(opened, api, operator_key)
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
    assert refused == ["TransactWriteItems"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the fix was sent once, and said once on the timeline and once live
    assert patches(sandbox) == 2  # the fix and its inverse
    assert [a.get("rollback", False) for a in incident(opened.id).actions] == [False, True]
    assert timeline_types(opened.id).count("action_executed") == 1
    streamed = [e for e in stream_events_after(opened.workspace, 0, limit=1000) if e.incident_id == opened.id]
    assert [e.type for e in streamed].count("action_executed") == 1
    # And the notice that the fix was applied was queued (by the retry), under the fix's generation
    pages()
    assert {j["generation"] for j in pages.seen if j["event"] == "incident.remediated"} == {"0"}


def test_a_remediate_whose_answer_lambda_lost_sends_its_live_event_once(
    lambda_fails_after, sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    from pagerless.store.timeline import stream_events_after

    # Given an approved fix, and Lambda losing the answer of the Remediate step once (the step ran whole: the fix
    # sent, its entry written, its live event sent): Step Functions invokes it again
    steps, failed = lambda_fails_after
    steps.append("remediate")
    opened = approved_fix_that_fails(scenario, oncall, pages)
    # When the fix is approved (it runs, then fails its verification and is rolled back)
    approve(opened, api, operator_key)
    assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
    assert failed == ["remediate"]
    # Then the fix was sent once and said once, on the timeline and live
    assert patches(sandbox) == 2  # the fix and its inverse
    assert timeline_types(opened.id).count("action_executed") == 1
    streamed = [e for e in stream_events_after(opened.workspace, 0, limit=1000) if e.incident_id == opened.id]
    assert [e.type for e in streamed].count("action_executed") == 1
