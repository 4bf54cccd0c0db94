"""The workflow's last task (Notify, Resolve, an escalation, HandleFailure) keeps only its outcome's status in the
state (ResultSelector), not the Lambda invoke's whole result (its payload, headers and status code): nothing after
it reads more (docs/workflow-state.md). The real ASL on the embedded Step Functions, read from the execution's
history."""

import json

import pytest

from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import (
    execution_status,
    incident,
    open_incident,
    store_policy,
    wait_for_status,
)
from tests.functional.workflow.test_aws_unavailable_steps import inside

pytestmark = pytest.mark.functional


def state_output(runtime, opened, state: str) -> dict:
    """The output of ``state``, the last time the incident's execution left it."""
    sfn, arn = runtime.client("stepfunctions"), incident(opened.id).execution_arn
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000, reverseOrder=True)["events"]
    for event in events:
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == state:
            return json.loads(details["output"])
    raise AssertionError(f"{state} did not run: {[e['type'] for e in events]}")


def test_notify_keeps_only_the_status_it_left(fast_workflow, scenario, runtime):
    # When an incident opens with no cluster (the workflow diagnoses it and hands it to humans)
    opened = open_incident(scenario)
    assert wait_for_status(opened.id, "diagnosed", settled=True) == "diagnosed"
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the Notify task kept its outcome's status, nothing of the Lambda invoke
    assert state_output(runtime, opened, "Notify")["notified"] == {"status": "diagnosed"}


def test_resolve_keeps_only_the_status_it_left(sandbox, scenario, runtime):
    # When an incident opens and the fix the workflow runs on its own works
    store_policy(autonomy="auto")
    opened = open_incident(scenario)
    assert wait_for_status(opened.id, "resolved", settled=True) == "resolved"
    # Then the Resolve task kept its outcome's status
    assert state_output(runtime, opened, "Resolve")["resolved"] == {"status": "resolved"}


def test_handle_failure_keeps_only_the_status_it_left(fast_workflow, scenario, runtime):
    # When a step fails with an error not worth retrying
    with refusing("GetItem", "ValidationException", when=inside("diagnose_incident")):
        opened = open_incident(scenario)
        assert wait_for_status(opened.id, "escalated", settled=True) == "escalated"
    assert execution_status(runtime, opened) == "FAILED"
    # Then HandleFailure kept the escalation's status beside the error
    output = state_output(runtime, opened, "HandleFailure")
    assert output["failure"] == {"status": "escalated"}, output["failure"]
    assert output["error"]["Error"], output["error"]
