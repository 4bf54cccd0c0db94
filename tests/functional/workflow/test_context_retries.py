"""A GatherContext step that AWS fails for a moment after it wrote its `context_gathered` entry is tried again by the
state machine; the entry is written once per execution, after the status change it follows, and its live event sent
once, by the attempt that succeeds. DynamoDB refuses at the AWS boundary (tests/functional/refusals.py), only inside
the GatherContext step."""

import pytest

from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import execution_status, open_incident, timeline_types, wait_for_status
from tests.functional.workflow.test_rollback_retries import within

pytestmark = pytest.mark.functional


def test_a_gather_context_whose_live_event_was_throttled_writes_its_entry_once_and_sends_its_event(
    fast_workflow, scenario, runtime
):
    from pagerless.store.timeline import stream_events_after

    # Given DynamoDB throttling the GatherContext step's `context_gathered` live event (written after its entry)
    when = within("gather_context", "collect_and_store", "announce_once")
    with refusing("TransactWriteItems", "ThrottlingException", when=when) as refused:
        # When an incident opens (no cluster: the context is the alert alone; the workflow hands it to humans)
        opened = open_incident(scenario)
        assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert refused == ["TransactWriteItems"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the retried step wrote no second entry and sent the event the first attempt lost, once
    types = timeline_types(opened.id)
    assert types.count("context_gathered") == 1
    streamed = [e for e in stream_events_after(opened.workspace, 0, limit=1000) if e.incident_id == opened.id]
    assert [e.type for e in streamed].count("context_gathered") == 1
    # And the entry is said after the status change the step made (to diagnosing), not before it
    [diagnosing] = [i for i, t in enumerate(types) if t == "status_changed"][:1]
    assert diagnosing < types.index("context_gathered") < types.index("diagnosed")
