"""An escalation whose execution ended while its record still runs (the tick failed 10 times in a row,
``TickFailed``, or refused its input, ``TickInvalid``) is not a silent stop: the execution's cause names the last
failure, and the scheduled escalation sweep resumes the escalation once its next step is overdue, as the restart
reconciler does, paging nothing twice. Driven on the embedded Step Functions with the real ASL; the tick's failure
is forced at the AWS boundary (botocore's event system)."""

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.functional.refusals import failing
from tests.functional.workflow.conftest import open_incident, timeline_types
from tests.functional.workflow.escalations import escalation
from tests.functional.workflow.test_escalation_tick_retries import _ended, _stop, _tick_execution, _ticking_at

pytestmark = pytest.mark.functional


def _denied(operation: str) -> Exception:
    """Neither transient nor a validation error of ours: the tick is not retried, the failure counted."""
    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": "injected"}}, operation)


def _failed_tick(runtime, opened) -> str:
    """An execution of the incident's escalation (alice paged at step 1) whose tick at step 2 fails a 10th time."""
    with failing("GetItem", _denied, when=_ticking_at(1)) as failed:
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"lost-{opened.id}", failures=9)
        ended = _ended(runtime, arn)
    assert failed == ["GetItem"]
    return ended


def test_the_tenth_failed_tick_names_the_last_failure(fast_workflow, scenario, oncall, pages, runtime):
    # Given a running escalation whose execution has seen 9 ticks fail in a row
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When its next tick fails too (access denied)
    ended = _failed_tick(runtime, opened)
    # Then the execution fails, and says what the last failure was
    assert (ended["status"], ended.get("error")) == ("FAILED", "EscalationTickFailed"), ended
    assert "failed 10 times in a row" in ended["cause"]
    assert "AccessDeniedException" in ended["cause"], ended["cause"]


def test_the_sweep_resumes_an_escalation_whose_execution_failed_once_its_next_step_is_overdue(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.clock import utcnow
    from pagerless.oncall.sweep import sweep

    # Given an escalation that paged alice at step 1 and whose execution then failed (TickFailed) at step 2
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    failed = _failed_tick(runtime, opened)
    lost = escalation(opened.id)
    assert (lost.status, lost.execution_arn) == ("running", failed["executionArn"])
    sfn = runtime.client("stepfunctions")
    try:
        # When the escalation sweep runs before step 2 falls due: nothing is done
        assert sweep(sfn=sfn) == []
        # And when it runs once step 2 is overdue
        later = utcnow() + timedelta(seconds=600)
        swept = sweep(sfn=sfn, now=later)
        # Then it hands the escalation over to a new execution, which pages step 2 at once
        assert swept == [
            {
                "incident_id": opened.id,
                "escalation": "1",
                "resume": "step 2",
                "wait_seconds": 0,
                "ended": "FAILED: EscalationTickFailed",
            }
        ]
        pages.wait_for("1-0")
        resumed = escalation(opened.id)
        assert resumed.execution_arn != failed["executionArn"]
        assert sfn.describe_execution(executionArn=resumed.execution_arn)["status"] == "RUNNING"
        # And the timeline says so, once
        assert timeline_types(opened.id).count("escalation_resumed") == 1
        # And a later sweep leaves the new execution alone (it waits for step 3): nobody is paged twice
        assert sweep(sfn=sfn, now=later) == []
        assert pages.generations() == ["0-0", "1-0"]
    finally:
        _stop(runtime, escalation(opened.id).execution_arn)
