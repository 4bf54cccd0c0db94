"""Crashes and failures at an escalation's start (between its record and its StartExecution),
injected at the AWS boundary through botocore's event system: the retried step or delivery pages
once, and an escalation that never started holds nothing back."""

import pytest

from tests.functional.workflow.conftest import incident, open_incident, wait_for, wait_for_status
from tests.functional.workflow.escalations import (
    PEOPLE,
    Crash,
    before_escalation_starts,
    escalation,
    raise_through_the_alert_queue,
    refuse_start,
    unpaged_warning,
    unstarted_opening,
)

pytestmark = pytest.mark.functional


def test_an_opening_escalation_whose_start_crashed_pages_once_when_its_step_is_retried(
    fast_workflow, scenario, oncall, pages
):
    from pagerless.oncall.starts import start_for_opened

    # Given an incident whose opening step ran before a policy covered payments-api (nobody paged)
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    assert escalation(opened.id) is None
    oncall(delays=(30, 30, 30))
    crashed: list[str] = []

    def crash_once(params) -> None:
        if not crashed:
            crashed.append(params["name"])
            raise Crash

    with before_escalation_starts(crash_once):
        # When the process running the opening step dies after the escalation's record is written,
        # before its StartExecution
        with pytest.raises(Crash):
            start_for_opened(opened.id, opened.id)
        assert crashed and escalation(opened.id).execution_arn is None
        # And the step is retried
        retried = start_for_opened(opened.id, opened.id)
    # Then the retry starts the escalation's execution, which pages the first step
    assert retried == {"escalation": f"esc-{opened.id}-1"}
    assert pages.wait_for("0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    # And a further retry starts nothing more: the first step is paged once
    assert start_for_opened(opened.id, opened.id) == {"escalation": None}
    assert pages.generations() == ["0-0"]
    assert escalation(opened.id).execution_arn.endswith(f":esc-{opened.id}-1")


def test_an_opening_escalation_that_did_not_start_does_not_hold_back_the_workflows_own(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.incidents.timeline import timeline
    from pagerless.oncall.starts import start_for_workflow_escalation

    # Given an incident whose opening escalation could not start (Step Functions refused it, and
    # every retry of the workflow's step)
    oncall(delays=(30, 30, 30))
    opened, refused = unstarted_opening(scenario)
    assert refused and "escalation_failed" in [e.type for e in timeline(opened.id)]
    assert pages.generations() == []
    # When the workflow hands the incident to humans
    started = start_for_workflow_escalation(opened.id, "nothing to run")
    # Then its escalation pages the policy's first step: the one that never started holds nothing back
    assert started["escalation"] is not None
    assert pages.wait_for(f"{started['escalation'].rsplit('-', 1)[-1]}:0-0")["targets"] == [
        {"kind": "person", "id": PEOPLE["alice"]}
    ]
    assert escalation(opened.id).status == "ended"


def test_a_raise_whose_page_did_not_start_is_paged_when_its_delivery_is_retried(
    fast_workflow, scenario, oncall, pages, runtime
):
    # Given a payments-api warning nobody was paged for (the policy covers critical and high)
    oncall(delays=(30, 30, 30))
    opened = unpaged_warning(scenario)
    # And Step Functions failing the next escalation start (the raise is written, its page is not started)
    failed: list[str] = []
    with before_escalation_starts(refuse_start(failed, times=1)):
        # When its source raises it to critical through the alert queue, whose delivery SQS retries if it fails
        raise_through_the_alert_queue(scenario, runtime)
    # Then the raise was written once, and the retried delivery pages the policy's first step, once
    # (read from the escalation: the drain also ran the notify function on its job)
    assert failed and incident(opened.id).severity == "critical"
    paged = wait_for(lambda: (r := escalation(opened.id)) and r.pages and r, timeout=30)
    assert [p["generation"] for p in paged.pages] == ["0-0"]
    assert paged.pages[0]["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert "severity raised" in paged.reason and incident(opened.id).raise_page_due is None


def test_a_raise_whose_delivery_crashed_before_its_page_started_is_paged_once_when_retried(
    fast_workflow, scenario, oncall, pages, runtime
):
    from botocore.exceptions import ClientError

    from pagerless.store.escalations import EscalationRecord
    from pagerless.store.session import dynamodb_events

    # Given a payments-api warning nobody was paged for (the policy covers critical and high)
    oncall(delays=(30, 30, 30))
    opened = unpaged_warning(scenario)
    # And the delivery that raises it dies between the escalation's record and its StartExecution:
    # the call fails, and so does anything the process would have done after it
    failed: list[str] = []

    def nothing_after(params, **_) -> None:
        if failed and params["Key"]["pk"]["S"].startswith("escalation#") and len(failed) == 1:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "gone"}}, "DeleteItem")

    dynamodb = dynamodb_events(EscalationRecord)
    dynamodb.register("before-parameter-build.dynamodb.DeleteItem", nothing_after)
    try:
        with before_escalation_starts(refuse_start(failed, times=1)):
            # When its source raises it to critical through the alert queue, which retries the delivery
            raise_through_the_alert_queue(scenario, runtime)
    finally:
        dynamodb.unregister("before-parameter-build.dynamodb.DeleteItem", nothing_after)
    # Then the retried delivery starts the escalation the crashed one left, which pages the first step once
    assert failed and incident(opened.id).severity == "critical"
    paged = wait_for(lambda: (r := escalation(opened.id)) and r.pages and r, timeout=30)
    assert [p["generation"] for p in paged.pages] == ["0-0"]
    assert paged.pages[0]["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).raise_page_due is None


def test_a_duplicate_delivery_that_lost_the_escalation_race_leaves_the_raise_page_to_a_started_one(
    fast_workflow, scenario, oncall, pages, runtime
):
    from botocore.exceptions import ClientError

    # Given a payments-api warning nobody was paged for (the policy covers critical and high)
    oncall(delays=(30, 30, 30))
    opened = unpaged_warning(scenario)
    starts: list[str] = []

    def duplicate_then_fail(params) -> None:
        starts.append(params["name"])
        if len(starts) == 1:
            # a duplicate of the delivery arrives while this one is about to start the escalation ...
            assert open_incident(scenario).severity == "critical"
            # ... and this one's StartExecution then fails
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")

    # When its source raises it to critical through the alert queue, and a duplicate delivery races it
    with before_escalation_starts(duplicate_then_fail):
        raise_through_the_alert_queue(scenario, runtime)
    # Then the raise is paged: the policy's first step, once
    assert starts and incident(opened.id).severity == "critical"
    paged = wait_for(lambda: (r := escalation(opened.id)) and r.pages and r, timeout=30)
    assert [p["generation"] for p in paged.pages] == ["0-0"]
    assert paged.pages[0]["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).raise_page_due is None
