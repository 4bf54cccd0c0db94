"""Escalations across a restart of the runtime: the reconciler gives every escalation still paging a
new execution that pages the step that falls due next (at once when it is overdue), and a tick
that fails for longer than its retries is tried again."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import incident, open_incident, status_of, wait_for
from tests.functional.workflow.escalations import (
    PEOPLE,
    acknowledged_flap,
    escalation,
    execution_status,
    refired_payload,
    reopen_generations,
    resolved_payload,
    restart,
)

pytestmark = pytest.mark.functional


def _queued(incident_id: str):
    """The escalation once its tick has marked the page it queued as queued: the page is on the queue a moment before
    the tick clears `unqueued`, and a record read in between says its page was never queued (to be paged again)."""
    return wait_for(lambda: (record := escalation(incident_id)).unqueued is None and record, timeout=30)


def test_a_restart_mid_escalation_pages_the_next_step_and_the_ack_still_stops_it(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an escalation that paged alice, its first step, and waits five seconds for the next (the restart comes
    # before it is due, however busy the machine)
    oncall(delays=(5, 4, 1))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the runtime restarts (every execution ends)
    done = restart(runtime)
    # Then the escalation goes on where it was: bob, the second step, is paged when due
    [resumed] = [d for d in done if d.get("escalation") == "1"]
    assert resumed["resume"] == "step 2" and 0 <= resumed["wait_seconds"] <= 5, resumed
    assert pages.wait_for("1-0")["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    # And an acknowledge stops the new execution: carol is never paged
    response = api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key))
    assert response.status_code == 200, response.text
    assert wait_for(lambda: execution_status(runtime, opened.id) == "ABORTED", timeout=60)
    assert escalation(opened.id).status == "stopped"
    assert pages.generations() == ["0-0", "1-0"]


def test_a_restart_long_after_a_page_pages_the_overdue_step_at_once(fast_workflow, scenario, oncall, pages, runtime):
    from datetime import datetime, timedelta

    from pagerless.oncall.engine import resume

    # Given an escalation that paged alice and waits an hour for the next step
    oncall(delays=(3600, 1, 1))
    open_incident(scenario)
    first = pages.wait_for("0-0")
    record = _queued(first["incident_id"])
    paged_at = datetime.fromisoformat(record.pages[-1]["at"])
    # Resumed 10 minutes after the page, it waits the 50 minutes left; two hours after, not at all
    assert resume(record, now=paged_at + timedelta(minutes=10))["wait_seconds"] == 3000
    assert resume(escalation(first["incident_id"]), now=paged_at + timedelta(hours=2))["wait_seconds"] == 0
    assert pages.wait_for("1-0")["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]


def test_a_restart_right_after_a_step_that_reached_nobody_pages_the_next_step_at_once(
    fast_workflow, scenario, oncall, pages, runtime
):
    from datetime import datetime, timedelta

    from pagerless.oncall.engine import resume
    from pagerless.store.escalations import EscalationRepository

    # Given an escalation that paged alice and then a step that reached nobody (a schedule's gap),
    # whose tick died before the next one ran
    oncall(delays=(3600, 3600, 1))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    record = _queued(opened.id)
    at = datetime.fromisoformat(record.pages[-1]["at"]) + timedelta(minutes=1)
    gap = {"generation": "1-0", "at": at.isoformat(), "targets": [], "held": []}
    assert EscalationRepository().claim_page(record, gap)
    # When the runtime resumes it ten seconds later
    resumed = resume(escalation(opened.id), now=at + timedelta(seconds=10))
    # Then carol, the step after the gap, is paged at once rather than an hour after the gap
    assert resumed["resume"] == "step 3" and resumed["wait_seconds"] == 0
    assert pages.wait_for("2-0")["targets"] == [{"kind": "person", "id": PEOPLE["carol"]}]


def test_a_reopen_interrupted_before_its_workflow_ran_pages_again_after_a_restart(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    from pagerless.intake.service import IntakeService

    # Given an incident that paged, was acknowledged and resolved by its source
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    intake = IntakeService(start_workflow=lambda *a, **k: None)  # the process dies before any start
    intake.ingest("alertmanager", resolved_payload(scenario["alert"]), "default")
    assert status_of(opened.id) == "resolved"
    # And reopened by its alert firing again, the process dying before the reopen's workflow started
    [result] = intake.ingest("alertmanager", refired_payload(scenario["alert"]), "default")
    assert result.action == "reopened"
    # When the runtime restarts
    restart(runtime)
    # Then the reopen's run pages its own escalation generation from the first step
    [generation] = reopen_generations(opened.id)
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]


def test_a_flapping_incident_from_before_the_settle_runs_is_paged_after_a_restart_once_settled(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from pagerless.store.incidents import IncidentRecord

    # Given an incident that paged alice, who acknowledged it, and that a version from before the
    # settle runs reopened as a flap an hour ago (open, flapping, no execution)
    opened = acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=60)
    IncidentRecord.get(opened.id).update(
        actions=[
            IncidentRecord.execution_arn.remove(),
            IncidentRecord.reopened_at.set(datetime.now(UTC) - timedelta(hours=1)),
            IncidentRecord.flap_fired_at.remove(),  # that version did not record it
        ]
    )
    # When the runtime restarts (its reconciler resumes the incident)
    restart(runtime)
    # Then its resumed run settles it and pages alice again, under a generation of its own
    generation = reopen_generations(opened.id, timeout=30)[0]
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).flapping is False


def test_a_tick_that_fails_for_longer_than_its_retries_is_tried_again_and_pages(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "3600")
    settings.reset()
    # Given an escalation that paged alice and pages bob two seconds later
    oncall(delays=(2, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the NotifyQueue cannot be reached for longer than the tick's own retries (about a minute)
    sqs, url = runtime.client("sqs"), settings.workflow().notify_queue_url
    sqs.delete_queue(QueueUrl=url)
    wait_for(lambda: len(escalation(opened.id).pages) == 2, timeout=30)  # bob's page claimed, not queued
    # (the tick's retries are spent: the execution waits to try it again, as its ASL's WaitAfterFailure says)
    sfn, arn = runtime.client("stepfunctions"), escalation(opened.id).execution_arn
    wait_for(lambda: "WaitAfterFailure" in entered_states(sfn, arn), timeout=120)
    assert execution_status(runtime, opened.id) == "RUNNING"
    sqs.create_queue(QueueName=url.rsplit("/", 1)[-1])
    # Then the escalation is tried again once the queue is back, and bob is paged
    assert pages.wait_for("1-0")["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    assert escalation(opened.id).status == "running"


def entered_states(sfn, arn: str) -> list[str]:
    """The states the execution has entered so far, in order (its history)."""
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
