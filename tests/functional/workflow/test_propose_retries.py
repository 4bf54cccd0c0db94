"""A Propose step that AWS fails for a moment after it wrote its `proposal` entry is tried again by the state machine;
the entry is written once per execution (at the time the step's state was entered, the same for every retry) and its
live event sent once, last, by the attempt that succeeds. DynamoDB refuses at the AWS boundary
(tests/functional/refusals.py), only inside the Propose step."""

import pytest

from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import execution_status, open_incident, timeline_types, wait_for_status
from tests.functional.workflow.test_rollback_retries import within
from tests.functional.workflow.test_runbook_retries import lambda_fails_after  # noqa: F401 (a fixture)

pytestmark = pytest.mark.functional


def test_a_propose_whose_live_event_was_throttled_writes_its_entry_once_and_sends_its_event(
    fast_workflow, scenario, runtime
):
    from pagerless.store.timeline import stream_events_after

    # Given DynamoDB throttling the Propose step's first stream event (its `proposal` entry's), written after the
    # step stored its proposal and its entry
    with refusing("TransactWriteItems", "ThrottlingException", when=within("propose", "announce_once")) as refused:
        # When an incident opens (no cluster: the workflow proposes nothing and hands it to humans)
        opened = open_incident(scenario)
        assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert refused == ["TransactWriteItems"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the retried step wrote no second entry and sent the event the first attempt lost, once
    assert timeline_types(opened.id).count("proposal") == 1
    streamed = [e for e in stream_events_after(opened.workspace, 0, limit=1000) if e.incident_id == opened.id]
    assert [e.type for e in streamed].count("proposal") == 1
    assert timeline_types(opened.id).index("proposal") > timeline_types(opened.id).index("diagnosed")


def test_a_propose_whose_answer_lambda_lost_sends_its_live_event_once(
    lambda_fails_after, fast_workflow, scenario, runtime
):
    from pagerless.store.timeline import stream_events_after

    # Given Lambda losing the answer of the Propose step once (the step ran whole: its proposal, its entry and its
    # live event written): Step Functions invokes it again
    steps, failed = lambda_fails_after
    steps.append("propose")
    # When an incident opens (no cluster: the workflow proposes nothing and hands it to humans)
    opened = open_incident(scenario)
    assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert failed == ["propose"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then its entry is written once and its live event sent once
    assert timeline_types(opened.id).count("proposal") == 1
    streamed = [e for e in stream_events_after(opened.workspace, 0, limit=1000) if e.incident_id == opened.id]
    assert [e.type for e in streamed].count("proposal") == 1
