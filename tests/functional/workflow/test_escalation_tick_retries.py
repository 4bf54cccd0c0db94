"""The escalation's Tick retries only what is transient (AWS's guidance for Retry/Catch): the Lambda service's own
errors and AWS failing the step for a moment (AwsUnavailableError). A validation error of ours fails the execution at
once: trying again would read the same input. Driven on the embedded Step Functions with the real ASL."""

import json
import sys

import pytest

from tests.functional.refusals import failing, refusing
from tests.functional.workflow.conftest import open_incident, wait_for
from tests.functional.workflow.escalations import escalation
from tests.functional.workflow.test_aws_unavailable_steps import inside

pytestmark = pytest.mark.functional


def _tick_execution(runtime, incident, cursor: dict, name: str, failures: int = 0) -> str:
    """A second execution of the incident's running escalation, whose first Tick reads ``cursor``: the escalation is
    handed over to it and the first one stopped, as a skip ahead does (a tick of an execution the escalation is not
    handed to pages nothing)."""
    from pagerless import step_functions
    from pagerless.store.escalations import EscalationRepository

    machine = runtime.provisioned.state_machines["EscalationStateMachine"]
    record = escalation(incident.id)
    waiting = record.execution_arn
    assert EscalationRepository().hand_over(record, name, step_functions.execution_arn(machine, name))
    _stop(runtime, waiting)
    payload = {
        "incident_id": incident.id,
        "workspace": "default",
        "generation": "1",
        "cursor": cursor,
        "failures": failures,
    }
    sfn = runtime.client("stepfunctions")
    return sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))["executionArn"]


def _ended(runtime, arn: str) -> dict:
    sfn = runtime.client("stepfunctions")
    return wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=30)


def _tick_attempts(runtime, arn: str) -> int:
    history = runtime.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return sum(1 for e in history if e["type"] == "TaskScheduled")


def _stop(runtime, *arns: str) -> None:
    sfn = runtime.client("stepfunctions")
    for arn in arns:
        if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=arn)


def test_a_tick_refusing_its_input_fails_at_once_without_retries(fast_workflow, scenario, oncall, pages, runtime):
    # Given a running escalation (alice paged for a payments-api incident)
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When an execution of it ticks with a cursor that is no step number (our own validation error)
    arn = _tick_execution(runtime, opened, {"step": "first", "repeat": 0}, f"bad-{opened.id}")
    try:
        # Then it fails at once, on that error, after one attempt: no retries, no tick a minute later
        ended = _ended(runtime, arn)
        assert ended["status"] == "FAILED"
        assert ended.get("error") == "ValueError", ended
        assert _tick_attempts(runtime, arn) == 1
    finally:
        _stop(runtime, arn, escalation(opened.id).execution_arn)
    # And nobody was paged again
    assert pages.generations() == ["0-0"]


def test_a_tick_throttled_once_is_tried_again(fast_workflow, scenario, oncall, pages, runtime):
    # Given a running escalation, and DynamoDB throttling the next tick's first read of the escalation record
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    with refusing("GetItem", "ThrottlingException", when=inside("tick")) as refused:
        # When an execution of it ticks at the policy's second step
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"retry-{opened.id}")
        try:
            # Then the tick is tried again (AwsUnavailableError is transient) and pages that step
            pages.wait_for("1-0")
            assert _tick_attempts(runtime, arn) == 2
        finally:
            _stop(runtime, arn, escalation(opened.id).execution_arn)
    assert refused == ["GetItem"]


def _release_execution(runtime, incident, release: dict, name: str) -> str:
    """An execution of the escalation machine that releases a page held back by quiet hours at once."""
    machine = runtime.provisioned.state_machines["EscalationStateMachine"]
    payload = {"incident_id": incident.id, "workspace": "default", "generation": "1", "release": release}
    sfn = runtime.client("stepfunctions")
    return sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({**payload, "wait_seconds": 0}))[
        "executionArn"
    ]


def test_a_held_page_release_refusing_its_input_fails_at_once_without_retries(
    fast_workflow, scenario, oncall, pages, runtime
):
    # Given a running escalation (alice paged for a payments-api incident)
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When a release of a held page comes without the page it holds (a KeyError of ours, not a transient failure)
    arn = _release_execution(
        runtime, opened, {"person": "p-1", "until": "2026-12-07T08:00:00+00:00"}, f"bad-{opened.id}"
    )
    try:
        # Then it fails at once, on that error, after one attempt: trying again would read the same input
        ended = _ended(runtime, arn)
        assert ended["status"] == "FAILED"
        assert ended.get("error") == "KeyError", ended
        assert _tick_attempts(runtime, arn) == 1
    finally:
        _stop(runtime, arn, escalation(opened.id).execution_arn)
    assert pages.generations() == ["0-0"]


def test_a_held_page_release_throttled_once_is_tried_again(fast_workflow, scenario, oncall, pages, runtime):
    # Given a running escalation, and DynamoDB throttling the release's first read of the escalation record
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    release = {"person": "p-1", "until": "2026-12-07T08:00:00+00:00", "page": {"step": 0}}
    with refusing("GetItem", "ThrottlingException", when=inside("release")) as refused:
        # When a release of a page held back for that escalation runs
        arn = _release_execution(runtime, opened, release, f"retry-{opened.id}")
        try:
            # Then it is tried again (AwsUnavailableError is transient) and ends
            assert _ended(runtime, arn)["status"] == "SUCCEEDED"
            assert _tick_attempts(runtime, arn) == 2
        finally:
            _stop(runtime, arn, escalation(opened.id).execution_arn)
    assert refused == ["GetItem"]


def _ticking_at(step: int):
    """A ``when`` for the refusals: the call is made inside a tick whose cursor is at ``step``."""

    def when() -> bool:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "tick" and (frame.f_locals.get("cursor") or {}).get("step") == step:
                return True
            frame = frame.f_back
        return False

    return when


def _entered(runtime, arn: str) -> list[str]:
    history = runtime.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def test_a_tick_that_succeeds_starts_the_count_of_failed_ticks_again(fast_workflow, scenario, oncall, pages, runtime):
    from botocore.exceptions import ClientError

    # Given a running escalation whose execution has seen 9 ticks fail (one more ends it), and DynamoDB refusing the
    # tick at the policy's third step with an error that is neither transient nor a validation error of ours (access
    # denied: a policy changed under it)
    oncall(delays=(300, 1, 1))
    opened = open_incident(scenario)
    pages.wait_for("0-0")

    def refused(operation: str) -> Exception:
        return ClientError({"Error": {"Code": "AccessDeniedException", "Message": "injected"}}, operation)

    with failing("GetItem", refused, when=_ticking_at(2)) as failed:
        # When an execution of it ticks at the second step (which pages), then at the third (which fails)
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"count-{opened.id}", failures=9)
        try:
            pages.wait_for("1-0")
            # Then the tick that succeeded started the count again: the failure waits a minute to tick again
            sfn = runtime.client("stepfunctions")
            wait_for(
                lambda: (
                    "WaitAfterFailure" in _entered(runtime, arn)
                    or sfn.describe_execution(executionArn=arn)["status"] != "RUNNING"
                ),
                timeout=30,
            )
            assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING", _entered(runtime, arn)
            assert "WaitAfterFailure" in _entered(runtime, arn)
        finally:
            _stop(runtime, arn, escalation(opened.id).execution_arn)
    assert failed[:1] == ["GetItem"]
