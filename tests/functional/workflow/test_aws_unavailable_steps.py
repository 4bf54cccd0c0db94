"""A workflow step that AWS fails for a moment (DynamoDB throttling it, a server error, a connection lost past
botocore's retries) is tried again a moment later by the state machine (its `AwsUnavailableError` Retry) and the
incident's workflow goes on; any other error still ends at HandleFailure. DynamoDB refuses at the AWS boundary
(tests/functional/refusals.py), only inside the step named, so the intake before it is not touched."""

import sys

import pytest
from botocore.exceptions import EndpointConnectionError

from tests.functional.refusals import failing, refusing
from tests.functional.workflow.conftest import (
    execution_status,
    incident,
    memory_limit,
    open_incident,
    store_policy,
    timeline_types,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def inside(function: str):
    """A ``when`` for the refusals: the call is made inside ``function`` (a workflow step's service) on this thread."""

    def when() -> bool:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == function:
                return True
            frame = frame.f_back
        return False

    return when


def test_a_step_throttled_once_is_tried_again_and_the_workflow_completes(fast_workflow, scenario, runtime):
    # Given DynamoDB throttling the first read the Diagnose step makes
    with refusing("GetItem", "ProvisionedThroughputExceededException", when=inside("diagnose_incident")) as refused:
        # When an incident opens (no cluster: the workflow diagnoses it and hands it to humans)
        opened = open_incident(scenario)
        # Then the step is tried again, and the workflow goes on to the end
        assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert refused == ["GetItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    assert incident(opened.id).diagnosis
    assert "handed_to_humans" in timeline_types(opened.id)
    assert "escalated" not in timeline_types(opened.id)


def test_a_step_whose_connection_is_lost_once_is_tried_again(fast_workflow, scenario, runtime):
    # Given DynamoDB out of reach for the first read the Propose step makes
    def lost(_operation: str) -> Exception:
        return EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    with failing("GetItem", lost, when=inside("propose")) as failed:
        # When an incident opens
        opened = open_incident(scenario)
        # Then the step is tried again, and the workflow completes
        assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert failed == ["GetItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"


def test_an_error_that_is_not_aws_unavailable_still_ends_at_the_failure_path(fast_workflow, scenario, runtime):
    from pagerless.incidents.timeline import timeline

    # Given DynamoDB refusing the Diagnose step's read as a bad request (the caller's fault: trying again is no use)
    with refusing("GetItem", "ValidationException", when=inside("diagnose_incident")) as refused:
        # When an incident opens
        opened = open_incident(scenario)
        # Then the step is not tried again: HandleFailure escalates the incident and the execution fails
        assert wait_for_status(opened.id, "escalated", settled=True) == "escalated"
    assert refused == ["GetItem"]
    assert execution_status(runtime, opened) == "FAILED"
    [reason] = [t.message for t in timeline(opened.id) if t.type == "escalated"]
    assert reason.startswith("workflow step failed: ") and "AwsUnavailableError" not in reason, reason


def test_a_resolve_throttled_after_it_resolved_the_incident_closes_its_alerts_when_tried_again(
    sandbox, scenario, runtime
):
    from pagerless.store.alerts import AlertRepository

    # Given a workflow that fixes the OOM on its own, and DynamoDB throttling the Resolve step's first write to an
    # alert, made after the incident was resolved
    store_policy(autonomy="auto")
    with refusing("UpdateItem", "ThrottlingException", when=inside("resolve_for_incident")) as refused:
        # When the incident opens and the fix works
        opened = open_incident(scenario)
        # Then the step is tried again: the incident stays resolved, by the workflow, and its alert is closed too
        assert wait_for_status(opened.id, "resolved", settled=True) == "resolved"
    assert refused == ["UpdateItem"]
    assert memory_limit(sandbox) == "512Mi"
    assert execution_status(runtime, opened) == "SUCCEEDED"
    assert incident(opened.id).resolved_by == "workflow"
    assert [a.state for a in AlertRepository().for_incident(opened.id)] == ["resolved"]
    assert timeline_types(opened.id).count("incident_resolved") == 1


def test_a_verify_throttled_after_it_stored_its_check_counts_that_check_once(sandbox, scenario, runtime):
    # Given a workflow that fixes the OOM on its own, and DynamoDB throttling the Verify step's first new item (its
    # timeline entry), written after the step stored its check on the incident
    store_policy(autonomy="auto")
    with refusing("PutItem", "ThrottlingException", when=inside("verify")) as refused:
        # When the incident opens and the fix works
        opened = open_incident(scenario)
        # Then the step is tried again and resolves the incident, its first check stored once
        assert wait_for_status(opened.id, "resolved", settled=True) == "resolved"
    assert refused == ["PutItem"]
    assert [check["attempt"] for check in incident(opened.id).verification["checks"]] == [1]
    assert timeline_types(opened.id).count("verification_check") == 1


def test_a_diagnose_throttled_after_it_stored_its_diagnosis_does_not_diagnose_again(
    fast_workflow, scenario, runtime, claude
):
    from tests.fakes.anthropic_api import message, tool_use_block
    from tests.functional.workflow.test_claude_diagnosis import OOM_SUBMISSION
    from tests.functional.workflow.test_rollback_retries import within

    # Given Claude answering every investigation, and DynamoDB throttling the Diagnose step's first stream event (the
    # `diagnosed` entry's), written after the step stored its diagnosis and its timeline entry
    claude.respond_with(lambda _request: message(tool_use_block("submit_diagnosis", OOM_SUBMISSION)))
    when = within("diagnose_incident", "announce_once")
    with refusing("TransactWriteItems", "ThrottlingException", when=when) as refused:
        # When an incident opens (no cluster: the workflow diagnoses it and hands it to humans)
        opened = open_incident(scenario)
        # Then the step is tried again and the workflow completes, on the diagnosis the first attempt made
        assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert refused == ["TransactWriteItems"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    assert len(claude.message_requests) == 1
    assert incident(opened.id).diagnosis["engine"] == "claude"
    assert timeline_types(opened.id).count("diagnosed") == 1
    assert "handed_to_humans" in timeline_types(opened.id)


def test_a_diagnose_whose_live_event_was_throttled_sends_it_when_tried_again(fast_workflow, scenario, runtime):
    from pagerless.store.timeline import stream_events_after
    from tests.functional.workflow.test_rollback_retries import within

    # Given DynamoDB throttling the Diagnose step's first stream event (its `diagnosed` entry's live event), written
    # after the step stored its diagnosis and its timeline entry
    when = within("diagnose_incident", "announce_once")
    with refusing("TransactWriteItems", "ThrottlingException", when=when) as refused:
        # When an incident opens (no cluster: the workflow diagnoses it and hands it to humans)
        opened = open_incident(scenario)
        assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert refused == ["TransactWriteItems"]
    # Then the retried step sent the live event the first attempt lost, once, beside its one timeline entry
    streamed = [e for e in stream_events_after(opened.workspace, 0, limit=1000) if e.incident_id == opened.id]
    assert [e.type for e in streamed].count("diagnosed") == 1
    assert timeline_types(opened.id).count("diagnosed") == 1
    [event] = [e for e in streamed if e.type == "diagnosed"]
    assert event.data["category"] == incident(opened.id).diagnosis["category"]
