"""Starting escalations when Step Functions refuses the start: the workflow step retries it, the
workflow goes on when it cannot, and the scheduled `escalation-sweep` starts what was left
unstarted. Step Functions is refused at the AWS boundary (botocore's event system), as in
test_escalation_crashes.py; the helpers they share are in escalations.py."""

import json

import pytest

from tests.functional.workflow.conftest import open_incident, timeline_types, wait_for, wait_for_status
from tests.functional.workflow.escalations import (
    PEOPLE,
    Crash,
    before_escalation_starts,
    escalation,
    refuse_start,
    resolved_and_fired_again,
    unstarted_opening,
)

pytestmark = pytest.mark.functional


def _grace(monkeypatch, seconds: int) -> None:
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_WORKFLOW_ESCALATION_START_GRACE_SECONDS", str(seconds))
    settings.reset()


def _sweep(runtime) -> dict:
    """Fire the template's escalation sweep as EventBridge would."""
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-EscalationSweep"]
    return runtime.scheduler.fire(target)


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


def test_an_opening_escalation_that_cannot_start_leaves_the_workflow_going_and_the_sweep_starts_it(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    from tests.conftest import ROOT
    from tests.functional.workflow.conftest import incident

    # Given a policy for payments-api, and Step Functions refusing every start of an opening escalation
    oncall(delays=(30, 30, 30))
    _grace(monkeypatch, 1)
    refused: list[str] = []
    with before_escalation_starts(refuse_start(refused, generation="1")):
        # When a critical payments-api incident opens
        opened = open_incident(scenario)
        # Then the IncidentOpened step tried again, and once its retries ran out the workflow went on:
        # it diagnosed the incident and handed it to humans (it did not fail)
        wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # no cluster: nothing to run
        assert len(refused) > 1
        # And a sweep while Step Functions still refuses leaves the escalation to the next sweep
        assert _sweep(runtime)["result"]["started"][0]["start"] == "failed"
    assert "escalated" not in timeline_types(opened.id)
    assert incident(opened.id).status == "diagnosed"
    stranded = escalation(opened.id)
    assert (stranded.status, stranded.execution_arn) == ("running", None)
    assert pages.generations() == []
    # When the scheduled escalation sweep runs once Step Functions accepts starts again
    swept = _sweep(runtime)["result"]["started"]
    # Then it starts the escalation left unstarted, under its own name: alice is paged, once
    assert swept == [{"incident_id": opened.id, "escalation": "1", "start": f"esc-{opened.id}-1"}]
    assert pages.wait_for("0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert escalation(opened.id).execution_arn.endswith(f":esc-{opened.id}-1")
    # And a later sweep (the event the template schedules) starts nothing more
    again = runtime.lambdas.invoke(
        runtime.lambdas.by_logical_id["ScheduledFunction"].name,
        json.loads((ROOT / "events" / "scheduled" / "escalation_sweep.json").read_text()),
    )
    assert again == {"job": "escalation-sweep", "result": {"started": []}}
    assert pages.generations() == ["0-0"]


def test_the_sweep_does_not_start_the_escalation_of_an_acknowledged_incident(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch, api, operator_key
):
    from tests.conftest import auth

    # Given an incident whose opening escalation could not start
    oncall(delays=(30, 30, 30))
    _grace(monkeypatch, 1)
    opened, _ = unstarted_opening(scenario)
    # And that a person acknowledged
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    # When the escalation sweep runs
    swept = _sweep(runtime)["result"]["started"]
    # Then it starts nothing: the acknowledge stopped the escalation that never started, and nobody is paged
    assert swept == []
    assert escalation(opened.id).status == "stopped"
    assert pages.generations() == []


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
    _grace(monkeypatch, 0)
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
    from pagerless.store.oncall import EscalationRepository
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
    from pagerless.store.oncall import EscalationRepository
    from tests.functional.workflow.conftest import wait_for

    # Given an incident nobody was paged for when it opened (no policy covered payments-api yet),
    # whose GatherContext step then fails (DynamoDB refuses the context's write), a policy covering
    # it by then; and Step Functions refusing the first start of an escalation
    failed: list[str] = []

    def refuse_the_context(params, **_) -> None:
        if params.get("TableName") == ContextRecord.Meta.table_name:
            if not failed:
                oncall(delays=(30, 30, 30))
            failed.append(params["TableName"])
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "gone"}}, "PutItem")

    dynamodb = ContextRecord._get_connection().connection.client.meta.events
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


def _scheduled_sweep(runtime) -> list[dict]:
    """Run the scheduled function's escalation sweep with its sample event (events/scheduled/)."""
    from tests.conftest import ROOT

    event = json.loads((ROOT / "events" / "scheduled" / "escalation_sweep.json").read_text())
    answer = runtime.lambdas.invoke(runtime.lambdas.by_logical_id["ScheduledFunction"].name, event)
    assert answer["job"] == "escalation-sweep"
    return answer["result"]["started"]


def _left_unstarted(opened, change=None) -> None:
    """After ``change`` (a resolve, an acknowledge), a start of the incident's escalation writes its
    record and dies before its StartExecution: the record waits, running, without an execution."""
    from pagerless.oncall.engine import start
    from pagerless.store.incidents import IncidentRepository

    if change is not None:
        change()

    def crash(params) -> None:
        raise Crash

    with before_escalation_starts(crash), pytest.raises(Crash):
        start(IncidentRepository().get(opened.id), generation="1", reason="incident opened")
    assert (escalation(opened.id).status, escalation(opened.id).execution_arn) == ("running", None)


@pytest.fixture
def unpaged(fast_workflow, scenario, oncall, monkeypatch):
    """An incident handed to humans that nobody was paged for (no policy covered it when it opened),
    then a policy covering it; the sweep starts an escalation left unstarted at once."""
    _grace(monkeypatch, 0)
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # no cluster: nothing to run
    assert escalation(opened.id) is None
    _, policy = oncall(delays=(30, 30, 30))
    return opened, policy


def test_the_sweep_ends_the_unstarted_escalation_of_a_resolved_incident(unpaged, pages, runtime, api, operator_key):
    from tests.conftest import auth

    opened, _ = unpaged

    # Given an escalation left unstarted by a start that raced the incident's resolve
    def resolve() -> None:
        url = f"/api/incidents/{opened.id}/resolve"
        assert api.post(url, json={"note": "fixed by hand"}, headers=auth(operator_key)).status_code == 200

    _left_unstarted(opened, resolve)
    # When the scheduled escalation sweep runs
    swept = _scheduled_sweep(runtime)
    # Then it ends that escalation instead of starting it: nobody is paged for a resolved incident
    assert swept == [{"incident_id": opened.id, "escalation": "1", "start": "ended"}]
    record = escalation(opened.id)
    assert (record.status, record.execution_arn) == ("ended", None)
    assert "resolved" in record.reason
    # And the next sweep finds nothing left
    assert _scheduled_sweep(runtime) == []
    assert pages.generations() == []


def test_the_sweep_stops_the_unstarted_escalation_of_an_acknowledged_incident(
    unpaged, pages, runtime, api, operator_key
):
    from tests.conftest import auth

    opened, _ = unpaged

    # Given an escalation left unstarted by a start that raced the incident's acknowledge
    def acknowledge() -> None:
        assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200

    _left_unstarted(opened, acknowledge)
    # When the scheduled escalation sweep runs
    swept = _scheduled_sweep(runtime)
    # Then it stops that escalation instead of starting it: someone took the incident
    assert swept == [{"incident_id": opened.id, "escalation": "1", "start": "stopped"}]
    record = escalation(opened.id)
    assert (record.status, record.execution_arn) == ("stopped", None)
    assert record.reason.startswith("acknowledged by")
    assert _scheduled_sweep(runtime) == []
    assert pages.generations() == []


def test_the_sweep_ends_an_unstarted_escalation_no_policy_covers_any_more(unpaged, pages, runtime):
    from pagerless.oncall.service import OncallService

    opened, policy = unpaged
    # Given an escalation left unstarted, and then its policy deleted
    _left_unstarted(opened)
    OncallService().delete_policy("default", policy["id"])
    # When the scheduled escalation sweep runs
    swept = _scheduled_sweep(runtime)
    # Then it ends that escalation (a later sweep would find it again otherwise); nobody is paged
    assert swept == [{"incident_id": opened.id, "escalation": "1", "start": "ended"}]
    record = escalation(opened.id)
    assert (record.status, record.execution_arn) == ("ended", None)
    assert record.reason == "no escalation policy covers the incident any more"
    assert _scheduled_sweep(runtime) == []
    assert pages.generations() == []


@pytest.fixture
def system_reads(runtime):
    """The queries and scans of the system table the test's thread makes (the scheduled function runs
    in it): their operation and index."""
    import threading

    from pagerless.store.oncall import EscalationRecord

    table, thread, reads = runtime.provisioned.tables["SystemTable"], threading.get_ident(), []

    def before(model, params, **_):
        body = json.loads(params.get("body") or b"{}")
        if threading.get_ident() == thread and model.name in ("Scan", "Query") and body.get("TableName") == table:
            reads.append((model.name, body.get("IndexName")))

    events = EscalationRecord._get_connection().connection.client.meta.events
    events.register("before-call.dynamodb", before)
    yield reads
    events.unregister("before-call.dynamodb", before)


def _without_sweep_keys(runtime, incident_id: str, generation: str = "1") -> None:
    """What a version without the `sweeps` index leaves: the record running, no execution, no sweep keys."""
    runtime.client("dynamodb").update_item(
        TableName=runtime.provisioned.tables["SystemTable"],
        Key={"pk": {"S": f"escalation#{incident_id}"}, "sk": {"S": generation}},
        UpdateExpression="REMOVE sweep, sweep_since",
    )


def test_an_escalation_left_unstarted_by_a_version_without_sweep_keys_is_started_by_the_next_sweep(
    unpaged, pages, runtime, system_reads
):
    opened, _ = unpaged
    # Given an escalation an older version left unstarted (its start died): running, no execution,
    # and without the keys that put it in the `sweeps` index
    _left_unstarted(opened)
    _without_sweep_keys(runtime, opened.id)
    system_reads.clear()
    # When the scheduled escalation sweep runs for the first time
    swept = _scheduled_sweep(runtime)
    # Then it finds that escalation (one look through the whole system table) and starts it: alice is paged
    assert swept == [{"incident_id": opened.id, "escalation": "1", "start": f"esc-{opened.id}-1"}]
    assert pages.wait_for("0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert [read for read in system_reads if read[0] == "Scan"] == [("Scan", None)]
    # When the sweep runs again, it reads the sweeps index only: no second look through the table
    system_reads.clear()
    assert _scheduled_sweep(runtime) == []
    assert system_reads == [("Query", "sweeps")]
    assert pages.generations() == ["0-0"]
