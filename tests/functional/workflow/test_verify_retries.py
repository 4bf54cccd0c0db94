"""A Verify step that AWS fails for a moment is tried again by the state machine; its check is stored once, its
`verification_check` entry written once and its live event sent once, by the attempt that succeeds: the entry is
keyed by the execution and the attempt, and its event sent last (as Diagnose does). DynamoDB refuses at the AWS
boundary (tests/functional/refusals.py), only inside the Verify step."""

import pytest

from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import (
    execution_status,
    incident,
    open_incident,
    store_policy,
    timeline_types,
    wait_for_status,
)
from tests.functional.workflow.test_rollback_retries import within

pytestmark = pytest.mark.functional


def streamed_checks(opened) -> list:
    from pagerless.store.timeline import stream_events_after

    events = stream_events_after(opened.workspace, 0, limit=1000)
    return [e for e in events if e.incident_id == opened.id and e.type == "verification_check"]


def test_a_verify_whose_live_event_was_throttled_sends_it_once_when_tried_again(sandbox, scenario, runtime):
    from pagerless.incidents.timeline import timeline

    # Given a workflow that fixes the OOM on its own, and DynamoDB throttling the Verify step's first stream event
    # (its check's live event), written after the step stored its check and its timeline entry
    store_policy(autonomy="auto")
    with refusing("TransactWriteItems", "ThrottlingException", when=within("verify", "announce_once")) as refused:
        # When the incident opens and the fix works
        opened = open_incident(scenario)
        assert wait_for_status(opened.id, "resolved", settled=True) == "resolved"
    assert refused == ["TransactWriteItems"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the retried step kept the check the first attempt stored, wrote its entry once and sent its event once
    [check] = incident(opened.id).verification["checks"]
    assert check["attempt"] == 1
    assert timeline_types(opened.id).count("verification_check") == 1
    [entry] = [t for t in timeline(opened.id) if t.type == "verification_check"]
    assert entry.at.isoformat() == check["at"]
    [event] = streamed_checks(opened)
    assert event.data["attempt"] == 1 and event.data["next"] == "resolve", event.data


def test_a_verify_throttled_before_it_stored_its_entry_says_its_check_once(sandbox, scenario, runtime):
    # Given a workflow that fixes the OOM on its own, and DynamoDB throttling the Verify step's first new item (its
    # check's timeline entry), written after the step stored its check on the incident
    store_policy(autonomy="auto")
    with refusing("PutItem", "ThrottlingException", when=inside_verify_entry) as refused:
        # When the incident opens and the fix works
        opened = open_incident(scenario)
        assert wait_for_status(opened.id, "resolved", settled=True) == "resolved"
    assert refused == ["PutItem"]
    # Then the retried step wrote the entry and sent its event, each once, for the one check
    assert [check["attempt"] for check in incident(opened.id).verification["checks"]] == [1]
    assert timeline_types(opened.id).count("verification_check") == 1
    assert len(streamed_checks(opened)) == 1


def inside_verify_entry() -> bool:
    return within("verify", "save")() and not within("verify", "announce_once")()
