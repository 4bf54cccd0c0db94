"""Starting escalations when Step Functions refuses the start: the workflow step that starts one
(IncidentOpened, ApprovalTimedOut, HandleFailure, an escalate) retries it and pages once. Step
Functions is refused at the AWS boundary (botocore's event system), as in test_escalation_crashes.py;
the helpers they share are in escalations.py. What the scheduled `escalation-sweep` does with an
escalation left unstarted is in test_escalation_sweep.py."""

import pytest

from tests.functional.workflow.conftest import open_incident, timeline_types, wait_for, wait_for_status
from tests.functional.workflow.escalations import (
    PEOPLE,
    Crash,
    before_escalation_starts,
    escalation,
    refuse_start,
    resolved_and_fired_again,
    start_grace,
    unstarted_opening,
)

pytestmark = pytest.mark.functional


def test_an_opening_escalation_refused_once_is_started_by_the_steps_retry(fast_workflow, scenario, oncall, pages):
    # Given a policy for payments-api, and Step Functions refusing the first start of an escalation
    oncall(delays=(30, 30, 30))
    refused: list[str] = []
    with before_escalation_starts(refuse_start(refused, times=1)):
        # When a critical payments-api incident opens
        opened = open_incident(scenario)
        # Then the workflow's IncidentOpened step is retried, and its retry starts the escalation: alice is paged
        assert pages.wait_for("0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert refused == [f"esc-{opened.id}-1"]
    assert "escalation_failed" in timeline_types(opened.id)
    assert escalation(opened.id).execution_arn.endswith(f":esc-{opened.id}-1")
    assert pages.generations() == ["0-0"]


def test_a_retried_opening_step_says_the_workflow_started_once(fast_workflow, scenario, oncall, pages):
    from pagerless.store.timeline import stream_events_after

    # Given a policy for payments-api, and Step Functions refusing the first two starts of an escalation
    oncall(delays=(30, 30, 30))
    refused: list[str] = []
    with before_escalation_starts(refuse_start(refused, times=2)):
        # When a critical payments-api incident opens (its IncidentOpened step runs three times)
        opened = open_incident(scenario)
        pages.wait_for("0-0")
    assert len(refused) == 2
    # Then its timeline says once that the workflow started, and the event stream carries it once
    assert timeline_types(opened.id).count("workflow_started") == 1
    streamed = [e.type for e in stream_events_after(opened.workspace, 0, limit=1000) if e.incident_id == opened.id]
    assert streamed.count("workflow_started") == 1
    # And the workflow went on from that step: the incident was diagnosed
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)


def test_a_workflow_escalation_that_cannot_start_is_raised_and_its_retry_starts_it(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.oncall.engine import EscalationNotStartedError
    from pagerless.workflow.outcomes import escalate

    # Given an incident handed to humans whose opening escalation could not start
    oncall(delays=(30, 30, 30))
    opened, refused = unstarted_opening(scenario)
    # When the workflow escalates it while Step Functions refuses that start too
    with before_escalation_starts(refuse_start(refused)), pytest.raises(EscalationNotStartedError):
        escalate(opened.id, "default", "nothing to run")
    # Then the step failed (so the state machine retries it), and the timeline says why
    assert wait_for_status(opened.id, "escalated") == "escalated"
    assert timeline_types(opened.id).count("escalation_failed") >= 2
    # When the step is retried (the incident is escalated already)
    retried = escalate(opened.id, "default", "nothing to run")
    # Then its escalation starts and pages the policy's first step
    generation = retried["escalation"].rsplit("-", 1)[-1]
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]


def test_a_flapping_reopen_whose_escalation_never_started_leaves_the_old_one_paging(
    fast_workflow, scenario, oncall, pages, monkeypatch
):
    from pagerless import settings
    from pagerless.oncall.engine import start
    from pagerless.store.incidents import IncidentRepository

    # Given alerts that count as flapping from their first re-fire, settling only after a minute
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_CYCLES", "1")
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", "60")
    start_grace(monkeypatch, 0)
    settings.reset()
    # And an escalation that paged alice and waits 5 seconds for bob, nobody having acknowledged
    oncall(delays=(5, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the incident flaps, and a start of the reopen's own escalation dies before its StartExecution
    resolved_and_fired_again(scenario, opened.id)

    def crash(params) -> None:
        raise Crash

    with before_escalation_starts(crash), pytest.raises(Crash):
        start(IncidentRepository().get(opened.id), generation="r1", reason="incident reopened")
    assert escalation(opened.id, "r1").execution_arn is None
    # Then the escalation that was running goes on paging: bob is paged at step 2
    assert wait_for(lambda: "1-0" in pages.generations() or escalation(opened.id).status != "running", timeout=60)
    assert escalation(opened.id).status == "running"
    assert pages.wait_for("1-0")["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]


def test_an_approval_timeout_whose_escalation_was_refused_once_pages_the_next_level_after_the_retry(
    sandbox, scenario, oncall, pages, runtime, monkeypatch
):
    from botocore.exceptions import ClientError

    from pagerless import settings
    from pagerless.store.escalations import EscalationRepository
    from tests.functional.workflow.conftest import wait_for

    # Given a policy whose first step waits a minute, and an approval that may wait one second
    oncall(delays=(60, 60, 60))
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    refused: list[str] = []

    def refuse_the_approvals_once(params) -> None:
        if params["name"].rsplit("-", 1)[-1].startswith("a") and not refused:
            refused.append(params["name"])
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")

    with before_escalation_starts(refuse_the_approvals_once):
        opened = open_incident(scenario)
        pages.wait_for("0-0")
        # When nobody decides in time, and Step Functions refuses the first start of the next level's escalation
        wait_for_status(opened.id, "escalated", settled=True, timeout=120)
        [approval] = wait_for(
            lambda: [r for r in EscalationRepository().for_incident(opened.id) if r.kind == "approval"], timeout=60
        )
        # Then the ApprovalTimedOut step is retried, and its retry pages the next level (the schedule: bob)
        paged = pages.wait_for(f"{approval.sk}:1-0")
    assert refused == [f"esc-{opened.id}-{approval.sk}"]
    assert paged["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    types = timeline_types(opened.id)
    assert "escalation_failed" in types
    assert (types.count("approval_expired"), types.count("escalated"), types.count("workflow_ended")) == (1, 1, 0), (
        types
    )
    # And nothing else pages: not the policy's first step again, not a second escalation
    assert sorted(pages.generations()) == sorted(["0-0", f"{approval.sk}:1-0"])
    assert [r.sk for r in EscalationRepository().for_incident(opened.id)] == ["1", approval.sk]
    assert escalation(opened.id, approval.sk).execution_arn.endswith(f":esc-{opened.id}-{approval.sk}")


def test_a_failed_step_whose_page_was_refused_once_pages_once_and_a_second_failure_starts_no_second_one(
    fast_workflow, scenario, oncall, pages, runtime
):
    from botocore.exceptions import ClientError

    from pagerless.store.contexts import ContextRecord
    from pagerless.store.escalations import EscalationRepository
    from pagerless.store.session import dynamodb_events
    from tests.functional.workflow.conftest import wait_for
    from tests.iam.calls import as_the_test

    # Given an incident nobody was paged for when it opened (no policy covered payments-api yet),
    # whose GatherContext step then fails (DynamoDB refuses the context's write), a policy covering
    # it by then; and Step Functions refusing the first start of an escalation
    failed: list[str] = []

    def refuse_the_context(params, **_) -> None:
        if params.get("TableName") == ContextRecord.Meta.table_name:
            if not failed:
                with as_the_test():  # the test's arrangement, not the workflow function's calls
                    oncall(delays=(30, 30, 30))
            failed.append(params["TableName"])
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "gone"}}, "PutItem")

    dynamodb = dynamodb_events(ContextRecord)
    dynamodb.register("before-parameter-build.dynamodb.PutItem", refuse_the_context)
    refused: list[str] = []
    try:
        with before_escalation_starts(refuse_start(refused, times=1)):
            # When the workflow runs: the step fails, HandleFailure escalates, its page is refused once
            opened = open_incident(scenario)
            wait_for_status(opened.id, "escalated", settled=True, timeout=120)
            [record] = wait_for(lambda: EscalationRepository().for_incident(opened.id), timeout=60)
            # Then HandleFailure is retried, and its retry pages the policy's first step: alice, once
            paged = pages.wait_for(f"{record.sk}:0-0")
    finally:
        dynamodb.unregister("before-parameter-build.dynamodb.PutItem", refuse_the_context)
    assert failed and refused == [f"esc-{opened.id}-{record.sk}"]
    assert paged["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert pages.generations() == [f"{record.sk}:0-0"]
    types = timeline_types(opened.id)
    assert (types.count("escalated"), types.count("escalation_failed"), types.count("escalation_started")) == (1, 1, 1)
    # When a second, different failure of the same run is handed to the workflow while that escalation pages
    second = runtime.lambdas.invoke(
        runtime.lambdas.by_logical_id["WorkflowFunction"].name,
        {
            "step": "handle_failure",
            "incident_id": opened.id,
            "workspace": opened.workspace,
            "error": {"Error": "ContextMissingError", "Cause": f"no context stored for {opened.id}"},
        },
    )
    # Then it starts no second escalation: the one paging goes on, and nobody is paged again
    assert second == {"status": "escalated", "escalation": None}
    assert [r.sk for r in EscalationRepository().for_incident(opened.id)] == [record.sk]
    assert escalation(opened.id, record.sk).status == "running"
    assert pages.generations() == [f"{record.sk}:0-0"]
