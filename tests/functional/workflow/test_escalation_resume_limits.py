"""What the escalation sweep resumes after an execution ended: a step whose page a tick claimed and never queued is
paged once (a queued one never twice), and an escalation whose executions keep failing is resumed at most
`PAGERLESS_WORKFLOW_ESCALATION_RESUME_LIMIT` times (3), then stopped, said once on the timeline and listed on
/api/status until a person acknowledges it. Driven on the embedded Step Functions with the real ASL; failures are
forced at the AWS boundary (botocore's event system: SQS's and DynamoDB's clients)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.conftest import auth
from tests.functional.refusals import failing, refusing, refusing_writes_of, sqs_events
from tests.functional.workflow.conftest import open_incident, timeline_types, wait_for
from tests.functional.workflow.escalations import escalation
from tests.functional.workflow.test_approval_notice_retries import _streamed
from tests.functional.workflow.test_aws_unavailable_steps import inside
from tests.functional.workflow.test_escalation_lost_executions import _denied
from tests.functional.workflow.test_escalation_tick_retries import (
    _ended,
    _stop,
    _tick_attempts,
    _tick_execution,
    _ticking_at,
)

pytestmark = pytest.mark.functional


@contextmanager
def sqs_refusing(when) -> Iterator[list[str]]:
    """SQS refuses every SendMessage the code makes (the notify outbox's among them) while ``when()`` holds."""
    events, refused = sqs_events(), []

    def answer(model, **_):
        if when():
            refused.append(model.name)
            raise _denied(model.name)

    events.register("before-call.sqs.SendMessage", answer)
    try:
        yield refused
    finally:
        events.unregister("before-call.sqs.SendMessage", answer)


def _later():
    from pagerless.clock import utcnow

    return utcnow() + timedelta(seconds=600)


def test_a_step_claimed_by_a_tick_that_died_before_queuing_its_page_is_paged_once_on_resume(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.oncall.sweep import sweep

    # Given an escalation that paged alice at step 1, whose execution's last tick claimed step 2 and then failed
    # to queue its page (SQS refusing it), a 10th failure in a row: the execution ended
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    with sqs_refusing(_ticking_at(1)) as refused:
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"unqueued-{opened.id}", failures=9)
        assert _ended(runtime, arn)["status"] == "FAILED"
    assert refused == ["SendMessage"]
    lost = escalation(opened.id)
    assert [p["generation"] for p in lost.pages] == ["0-0", "1-0"]
    assert pages.generations() == ["0-0"]
    sfn = runtime.client("stepfunctions")
    try:
        # When the sweep resumes it once its next step is overdue
        swept = sweep(sfn=sfn, now=_later())
        # Then the new execution pages step 2 (claimed, never queued) at once, not step 3
        assert [(s["resume"], s["wait_seconds"]) for s in swept] == [("step 2", 0)]
        pages.wait_for("1-0")
        assert escalation(opened.id).unqueued is None
        # And a later sweep pages nothing more: step 2 once, step 3 waits its delay
        assert sweep(sfn=sfn, now=_later()) == []
        assert pages.generations() == ["0-0", "1-0"]
    finally:
        _stop(runtime, escalation(opened.id).execution_arn)


def _paged_lines(incident_id: str) -> list[str]:
    """The generations of the incident's escalation_paged entries, oldest first."""
    from pagerless.store.timeline import items_of_type

    return [item.data["generation"] for item in items_of_type(incident_id, "escalation_paged")]


def test_a_step_queued_by_a_tick_that_died_afterwards_is_not_paged_again_on_resume_and_said_once(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.oncall.sweep import sweep

    # Given an escalation whose last tick queued step 2's page and then failed (its timeline entry refused), a 10th
    # failure in a row
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    with failing("PutItem", _denied, when=_ticking_at(1)) as failed:
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"queued-{opened.id}", failures=9)
        assert _ended(runtime, arn)["status"] == "FAILED"
    assert failed == ["PutItem"]
    pages.wait_for("1-0")
    assert _paged_lines(opened.id) == ["0-0"]
    sfn = runtime.client("stepfunctions")
    try:
        # When the sweep resumes it
        swept = sweep(sfn=sfn, now=_later())
        # Then the new execution pages step 3, at once (overdue): step 2 is not paged twice
        assert [s["resume"] for s in swept] == ["step 3"]
        pages.wait_for("2-0")
        assert pages.generations() == ["0-0", "1-0", "2-0"]
        # And the timeline says step 2 was paged, once (the resume wrote the entry its tick died before)
        wait_for(lambda: len(_paged_lines(opened.id)) == 3)
        assert _paged_lines(opened.id) == ["0-0", "1-0", "2-0"]
        assert sweep(sfn=sfn, now=_later()) == []
        assert _paged_lines(opened.id) == ["0-0", "1-0", "2-0"]
    finally:
        _stop(runtime, escalation(opened.id).execution_arn)


def test_a_tick_retried_after_saying_its_page_does_not_say_it_twice(fast_workflow, scenario, oncall, pages, runtime):
    # Given a running escalation that paged step 1
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    puts = iter(range(1000))

    def second_put_at_step_2() -> bool:  # the tick's first put is its escalation_paged entry, the next its live event
        return _ticking_at(1)() and next(puts) == 1

    # When the tick at step 2 queues its page, says so, and then DynamoDB throttles its live event's put
    with refusing("PutItem", "ThrottlingException", when=second_put_at_step_2) as refused:
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"said-{opened.id}")
        try:
            # Then the tick is tried again, and its entry is on the timeline once
            pages.wait_for("1-0")
            wait_for(lambda: _tick_attempts(runtime, arn) == 2 and _succeeded(runtime, arn))
            assert _paged_lines(opened.id) == ["0-0", "1-0"]
        finally:
            _stop(runtime, arn, escalation(opened.id).execution_arn)
    assert refused == ["PutItem"]


@contextmanager
def queued_pages() -> Iterator[list[str]]:
    """The generations of the `escalation.page` jobs the code sends to NotifyQueue meanwhile, in order."""
    import json

    events, queued = sqs_events(), []

    def seen(params, **_):
        job = json.loads(params["MessageBody"])
        if job.get("event") == "escalation.page":
            queued.append(job["generation"])

    events.register("provide-client-params.sqs.SendMessage", seen)
    try:
        yield queued
    finally:
        events.unregister("provide-client-params.sqs.SendMessage", seen)


def test_a_tick_retried_after_queuing_its_page_does_not_queue_it_again(fast_workflow, scenario, oncall, pages, runtime):
    # Given a running escalation that paged step 1
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    puts = iter(range(1000))

    def second_put_at_step_2() -> bool:  # the tick's first put is its escalation_paged entry, the next its live event
        return _ticking_at(1)() and next(puts) == 1

    # When the tick at step 2 queues its page, says so, and then DynamoDB throttles its live event's put
    with queued_pages() as queued, refusing("PutItem", "ThrottlingException", when=second_put_at_step_2) as refused:
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"queued-once-{opened.id}")
        try:
            # Then the tick is tried again, and step 2's page job was queued once: no second job to deduplicate
            pages.wait_for("1-0")
            wait_for(lambda: _tick_attempts(runtime, arn) == 2 and _succeeded(runtime, arn))
            assert queued == ["1-0"]
            assert pages.generations() == ["0-0", "1-0"]
        finally:
            _stop(runtime, arn, escalation(opened.id).execution_arn)
    assert refused == ["PutItem"]


def _succeeded(runtime, arn: str) -> bool:
    history = runtime.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return any(e["type"] == "TaskSucceeded" for e in history)


def _invalid(operation: str) -> Exception:
    """A tick that refuses its input: its execution fails at once (TickInvalid), no minute-later tick."""
    return ValueError(f"injected into {operation}")


def test_an_escalation_whose_executions_keep_failing_is_resumed_three_times_then_stopped_and_said_once(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key
):
    from pagerless.oncall.sweep import sweep

    # Given an escalation that paged alice at step 1, and every tick of it failing from now on
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    sfn = runtime.client("stepfunctions")
    with failing("GetItem", _invalid, times=1000, when=inside("tick")):
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"failing-{opened.id}")
        assert _ended(runtime, arn)["status"] == "FAILED"
        # When the sweep finds its execution ended, again and again
        outcomes = []
        for _ in range(5):
            outcomes += [s["resume"] for s in sweep(sfn=sfn, now=_later())]
            current = escalation(opened.id)
            if current.status == "running":
                assert _ended(runtime, current.execution_arn)["status"] == "FAILED"
    # Then it resumed the escalation three times, then stopped it, and no sweep asks again
    assert outcomes == ["step 2", "step 2", "step 2", "gave up"]
    stopped = escalation(opened.id)
    assert stopped.status == "stopped"
    assert stopped.reason.startswith("escalation stopped after 3 failed resumes: ")
    assert "ValueError" in stopped.reason, stopped.reason
    # And the timeline says so once, with the last error, and its live event went out with it: nothing is owed
    assert timeline_types(opened.id).count("escalation_resumed") == 3
    assert timeline_types(opened.id).count("escalation_gave_up") == 1
    assert _streamed(opened, "escalation_gave_up") == 1
    from pagerless.incidents import notice_sweep

    assert notice_sweep.sweep(now=_later()) == []
    # And /api/status shows it until a person acknowledges the incident
    status = api.get("/api/status", headers=auth(operator_key)).json()
    assert status["status"] != "ok"
    assert [(e["incident_id"], e["reason"]) for e in status["escalations"]["list"]] == [(opened.id, stopped.reason)]
    assert any(opened.id in reason for reason in status["reasons"]), status["reasons"]
    acked = api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key))
    assert acked.status_code == 200, acked.text
    assert api.get("/api/status", headers=auth(operator_key)).json()["escalations"] == {"stopped": 0, "list": []}
    assert pages.generations() == ["0-0"]


def test_an_escalation_whose_sweep_died_giving_up_is_stopped_and_said_once_by_the_next_sweep(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key, system_reads
):
    from pagerless.oncall.sweep import sweep

    # Given an escalation whose ticks keep failing, resumed three times by the sweep
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    sfn = runtime.client("stepfunctions")
    with failing("GetItem", _invalid, times=1000, when=inside("tick")):
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"unsaid-{opened.id}")
        assert _ended(runtime, arn)["status"] == "FAILED"
        for _ in range(3):
            assert [s["resume"] for s in sweep(sfn=sfn, now=_later())] == ["step 2"]
            assert _ended(runtime, escalation(opened.id).execution_arn)["status"] == "FAILED"
        # When the sweep that gives up on it cannot write its stop with its timeline entry, as if it died there
        with refusing_writes_of("escalation_gave_up") as refused:
            assert [s["resume"] for s in sweep(sfn=sfn, now=_later())] == ["failed"]
    assert set(refused) == {"TransactWriteItems"}
    # Then nothing of it was written: the escalation still runs, its stop unsaid
    assert escalation(opened.id).status == "running"
    assert timeline_types(opened.id).count("escalation_gave_up") == 0
    # And the next sweep stops it and says so, once, and later sweeps say nothing more and read no given-up escalation
    assert [s["resume"] for s in sweep(sfn=sfn, now=_later())] == ["gave up"]
    stopped = escalation(opened.id)
    assert stopped.status == "stopped"
    system_reads.clear()
    assert [sweep(sfn=sfn, now=_later()) for _ in range(2)] == [[], []]
    assert system_reads == [("Query", "sweeps")] * 4  # each sweep: the unstarted escalations, the running ones
    assert timeline_types(opened.id).count("escalation_gave_up") == 1
    said = api.get(f"/api/incidents/{opened.id}/timeline", headers=auth(operator_key)).json()["items"]
    [line] = [e for e in said if e["type"] == "escalation_gave_up"]
    assert line["message"] == stopped.reason and line["data"]["resumes"] == 3, line
    assert "ValueError" in line["data"]["error"], line


def test_a_give_up_whose_live_event_failed_is_sent_once_by_the_notice_sweep(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key
):
    from pagerless.incidents import notice_sweep
    from pagerless.oncall.sweep import sweep

    # Given an escalation whose ticks keep failing, resumed three times by the sweep
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    sfn = runtime.client("stepfunctions")
    with failing("GetItem", _invalid, times=1000, when=inside("tick")):
        arn = _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"unheard-{opened.id}")
        assert _ended(runtime, arn)["status"] == "FAILED"
        for _ in range(3):
            assert [s["resume"] for s in sweep(sfn=sfn, now=_later())] == ["step 2"]
            assert _ended(runtime, escalation(opened.id).execution_arn)["status"] == "FAILED"
        # When the sweep gives up on it while DynamoDB refuses its entry's live event (a stream event, "seq"; the
        # stop's transaction passes)
        with refusing_writes_of(("seq", "escalation_gave_up")) as refused:
            assert [s["resume"] for s in sweep(sfn=sfn, now=_later())] == ["gave up"]
    assert refused
    # Then the escalation is stopped and the timeline says so, but no open console page has heard of it yet
    assert escalation(opened.id).status == "stopped"
    assert timeline_types(opened.id).count("escalation_gave_up") == 1
    assert _streamed(opened, "escalation_gave_up") == 0
    # When the notice sweep runs past its grace
    done = notice_sweep.sweep(now=_later())
    # Then the live event is on the stream, with the entry's words, once; later sweeps owe nothing
    assert [(d["incident_id"], d["event"], d["notice"]) for d in done] == [
        (opened.id, "escalation_gave_up", "announced")
    ]
    assert _streamed(opened, "escalation_gave_up") == 1
    assert notice_sweep.sweep(now=_later()) == []
    assert _streamed(opened, "escalation_gave_up") == 1
    from pagerless.store.timeline import stream_events_after

    [event] = [e for e in stream_events_after(opened.workspace, 0, limit=1000) if e.type == "escalation_gave_up"]
    assert event.data["message"] == escalation(opened.id).reason and event.data["resumes"] == 3, event.data
