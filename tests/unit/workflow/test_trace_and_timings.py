"""Pure parts of the workflow: the trace built from a history, durations, approval views."""

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 11, 14, 22, tzinfo=UTC)
TOKEN = "AQCEAAAA-secret-task-token"


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_trace_has_one_step_per_state_with_durations_and_failures_and_no_token():
    from pagerless.workflow.trace import steps_from_history

    # Given a history where the approval wait timed out (its parameters carry the task token)
    history = [
        {"type": "ExecutionStarted", "timestamp": _at(0), "executionStartedEventDetails": {"input": "{}"}},
        {
            "type": "TaskStateEntered",
            "timestamp": _at(0),
            "stateEnteredEventDetails": {"name": "Propose", "input": "{}"},
        },
        {
            "type": "TaskStateExited",
            "timestamp": _at(1.5),
            "stateExitedEventDetails": {"name": "Propose", "output": "{}"},
        },
        {"type": "TaskStateEntered", "timestamp": _at(1.5), "stateEnteredEventDetails": {"name": "RequestApproval"}},
        {
            "type": "TaskScheduled",
            "timestamp": _at(1.5),
            "taskScheduledEventDetails": {"parameters": f'{{"task_token": "{TOKEN}"}}'},
        },
        {"type": "TaskTimedOut", "timestamp": _at(61.5), "taskTimedOutEventDetails": {"error": "States.Timeout"}},
        {"type": "TaskStateExited", "timestamp": _at(61.5), "stateExitedEventDetails": {"name": "RequestApproval"}},
        {"type": "TaskStateEntered", "timestamp": _at(61.5), "stateEnteredEventDetails": {"name": "ApprovalTimedOut"}},
    ]
    # When the trace is built
    steps, failure = steps_from_history(history)
    # Then each state has its times, the timed-out wait is failed, the last one still runs
    assert [s["name"] for s in steps] == ["Propose", "RequestApproval", "ApprovalTimedOut"]
    assert steps[0]["duration_ms"] == 1500 and steps[0]["status"] == "succeeded"
    assert steps[1]["status"] == "failed" and steps[1]["error"] == "States.Timeout" and steps[1]["duration_ms"] == 60000
    assert steps[2]["status"] == "running"
    assert failure["error"] == "States.Timeout"
    assert TOKEN not in repr(steps) + repr(failure)


def test_the_executions_status_start_stop_and_error_are_read_from_its_history():
    from pagerless.workflow.trace import execution_from_history

    started = {"type": "ExecutionStarted", "timestamp": _at(0), "executionStartedEventDetails": {}}
    entered = {"type": "TaskStateEntered", "timestamp": _at(1), "stateEnteredEventDetails": {"name": "Diagnose"}}
    failed = {
        "type": "ExecutionFailed",
        "timestamp": _at(5),
        "executionFailedEventDetails": {"error": "IncidentWorkflowFailed", "cause": "a step failed"},
    }
    # Running until an ending event
    assert execution_from_history([started, entered]) == {
        "status": "RUNNING",
        "started": _at(0),
        "stopped": None,
        "error": None,
        "cause": None,
    }
    # Failed, with its stop, error and cause
    assert execution_from_history([started, entered, failed]) == {
        "status": "FAILED",
        "started": _at(0),
        "stopped": _at(5),
        "error": "IncidentWorkflowFailed",
        "cause": "a step failed",
    }
    # Running again once redriven; then succeeded, with no error
    redriven = {"type": "ExecutionRedriven", "timestamp": _at(9), "executionRedrivenEventDetails": {}}
    assert execution_from_history([started, failed, redriven])["status"] == "RUNNING"
    assert execution_from_history([started, failed, redriven])["stopped"] is None
    succeeded = {"type": "ExecutionSucceeded", "timestamp": _at(12), "executionSucceededEventDetails": {}}
    assert execution_from_history([started, failed, redriven, succeeded]) == {
        "status": "SUCCEEDED",
        "started": _at(0),
        "stopped": _at(12),
        "error": None,
        "cause": None,
    }
    aborted = {"type": "ExecutionAborted", "timestamp": _at(3), "executionAbortedEventDetails": {"error": "stopped"}}
    timed_out = {"type": "ExecutionTimedOut", "timestamp": _at(3), "executionTimedOutEventDetails": {}}
    assert execution_from_history([started, aborted])["status"] == "ABORTED"
    assert execution_from_history([started, aborted])["error"] == "stopped"
    assert execution_from_history([started, timed_out])["status"] == "TIMED_OUT"


def test_verification_durations_prefer_execution_input_then_env_then_template(monkeypatch):
    from pagerless import settings
    from pagerless.workflow.remediate import timings

    settings.reset()
    defaults = {"verify_wait_seconds": "60", "verify_max_checks": "5"}
    assert timings(None, defaults) == {"verify_wait_seconds": 60, "verify_max_checks": 5}
    monkeypatch.setenv("PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS", "2")
    settings.reset()
    assert timings(None, defaults) == {"verify_wait_seconds": 2, "verify_max_checks": 5}
    assert timings({"verify_wait_seconds": 0, "verify_max_checks": 1}, defaults) == {
        "verify_wait_seconds": 0,
        "verify_max_checks": 1,
    }
    settings.reset()


def test_approval_timeout_comes_from_the_policy_unless_overridden(monkeypatch):
    from pagerless import settings
    from pagerless.remediation.policy import Policy
    from pagerless.workflow.propose import approval_timeout

    settings.reset()
    assert approval_timeout(Policy(), None) == 1800
    assert approval_timeout(Policy(approval_timeout_seconds=600), None) == 600
    assert approval_timeout(Policy(), {"approval_timeout_seconds": 5}) == 5
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "30")
    settings.reset()
    assert approval_timeout(Policy(), None) == 30
    settings.reset()


def test_public_view_of_an_approval_never_has_the_token():
    from pagerless.domain.approvals import Approval

    approval = Approval(
        "INC-20260311-0001",
        "x#1",
        workspace="default",
        expires_at=_at(60),
        timeout_seconds=60,
        task_token=TOKEN,
        requested_at=T0,
    )
    assert TOKEN not in repr(approval.to_public())
    assert TOKEN not in repr(approval)
    assert "task_token" not in approval.to_public()


def test_context_snapshot_is_compressed_text_and_logs_are_cut_first():
    import base64
    import gzip
    import json

    from pagerless.store.contexts import _compress, _shorten_logs

    scenario = {"alert": {"title": "x"}, "cluster": {"logs": {"ns/pod/c": "line\n" * 10_000}, "pods": {"items": []}}}
    raw, body = _compress(scenario)
    assert json.loads(gzip.decompress(base64.b64decode(body))) == scenario and len(body) < len(raw)
    shortened = _shorten_logs(scenario, 2000)
    assert len(shortened["cluster"]["logs"]["ns/pod/c"]) == 2000
    assert shortened["cluster"]["pods"] == scenario["cluster"]["pods"]
    assert len(scenario["cluster"]["logs"]["ns/pod/c"]) == 50_000, "the input is not changed"
