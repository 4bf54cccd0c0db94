"""/api/status lists the escalations the sweep gave up on from one bounded Query of the workspace's own (not a Query
of every workspace's and a GetItem of each), until a person acknowledges the incident. Driven on the embedded Step
Functions with the real ASL; the executions' failures are forced at the AWS boundary."""

import json

import pytest

from tests.conftest import auth
from tests.functional.refusals import failing
from tests.functional.workflow.conftest import open_incident
from tests.functional.workflow.escalations import escalation
from tests.functional.workflow.test_aws_unavailable_steps import inside
from tests.functional.workflow.test_escalation_resume_limits import _invalid, _later
from tests.functional.workflow.test_escalation_tick_retries import _ended, _tick_execution

pytestmark = pytest.mark.functional


@pytest.fixture
def escalation_reads(runtime):
    """(operation, index or partition, Limit) of each read of escalation state on the system table, any thread."""
    from pagerless.store.escalations import EscalationRecord
    from pagerless.store.session import dynamodb_events

    table, reads = runtime.provisioned.tables["SystemTable"], []

    def before(model, params, **_):
        body = json.loads(params.get("body") or b"{}")
        if body.get("TableName") != table:
            return
        if model.name == "GetItem" and body["Key"]["pk"]["S"].startswith("escalation"):
            reads.append(("GetItem", body["Key"]["pk"]["S"], None))
        elif model.name in ("Query", "Scan"):
            values = [v.get("S", "") for v in (body.get("ExpressionAttributeValues") or {}).values()]
            if body.get("IndexName") or any(v.startswith("escalation") for v in values):
                reads.append((model.name, body.get("IndexName") or values[0], body.get("Limit")))

    events = dynamodb_events(EscalationRecord)
    events.register("before-call.dynamodb", before)
    yield reads
    events.unregister("before-call.dynamodb", before)


def test_the_status_page_reads_the_given_up_escalations_in_one_bounded_query(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key, escalation_reads
):
    from pagerless.oncall.sweep import sweep

    # Given an escalation whose executions kept failing, given up on by the sweep after three resumes
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    sfn = runtime.client("stepfunctions")
    with failing("GetItem", _invalid, times=1000, when=inside("tick")):
        assert _ended(runtime, _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"f-{opened.id}"))
        outcomes = []
        for _ in range(4):
            outcomes += [s["resume"] for s in sweep(sfn=sfn, now=_later())]
            current = escalation(opened.id)
            if current.status == "running":
                assert _ended(runtime, current.execution_arn)["status"] == "FAILED"
    assert outcomes == ["step 2", "step 2", "step 2", "gave up"]
    stopped = escalation(opened.id)
    # When the status page is read
    escalation_reads.clear()
    status = api.get("/api/status", headers=auth(operator_key)).json()
    # Then it lists the escalation, read with what it shows in one Query of the workspace's given-up escalations
    assert [(e["incident_id"], e["generation"], e["reason"]) for e in status["escalations"]["list"]] == [
        (opened.id, stopped.sk, stopped.reason)
    ]
    assert status["escalations"]["list"][0]["stopped_at"] == stopped.ended_at.isoformat()
    assert escalation_reads == [("Query", "escalation-given-up#default", 51)]
    # And once a person acknowledges the incident, the page lists it no more, from that same one Query
    acked = api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key))
    assert acked.status_code == 200, acked.text
    escalation_reads.clear()
    assert api.get("/api/status", headers=auth(operator_key)).json()["escalations"] == {"stopped": 0, "list": []}
    assert escalation_reads == [("Query", "escalation-given-up#default", 51)]
    assert escalation(opened.id).given_up_listed is None


def _given_up(runtime, scenario, oncall, pages):
    """An incident whose escalation the sweep gave up on (its executions kept failing), and the sweep's client."""
    from pagerless.oncall.sweep import sweep

    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    sfn = runtime.client("stepfunctions")
    with failing("GetItem", _invalid, times=1000, when=inside("tick")):
        assert _ended(runtime, _tick_execution(runtime, opened, {"step": 1, "repeat": 0}, f"f-{opened.id}"))
        for _ in range(4):
            sweep(sfn=sfn, now=_later())
            current = escalation(opened.id)
            if current.status == "running":
                assert _ended(runtime, current.execution_arn)["status"] == "FAILED"
    assert escalation(opened.id).given_up_listed
    return opened, sfn


def _as_an_older_version_gave_up(record) -> None:
    """What a version before the status page's own list wrote when it gave up: the `escalation-gave-up` keys of the
    `sweeps` index, since the stop, and no list entry (and, on a table it wrote, no item saying none is left)."""
    from pagerless.store.escalations import GIVEN_UP, EscalationRecord, GivenUpEntry
    from pagerless.store.system import SystemRecord

    SystemRecord("migration", "system.sweeps.escalation-gave-up").delete()

    GivenUpEntry(f"{GIVEN_UP}{record.workspace}", f"{record.incident_id}#{record.sk}").delete()
    record.update(
        actions=[
            EscalationRecord.given_up_listed.remove(),
            EscalationRecord.sweep.set("escalation-gave-up"),
            EscalationRecord.sweep_since.set(record.ended_at),
        ]
    )


def _old_keys() -> list[str]:
    from pagerless.store.escalations import EscalationRecord

    return [key.sk for key in EscalationRecord.by_sweep.query("escalation-gave-up")]


def test_escalations_an_older_version_gave_up_on_are_listed_until_taken_or_released_when_taken(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key
):
    from pagerless.oncall.sweep import sweep

    # Given an escalation an older version gave up on (kept in the sweeps index, not listed), its incident untaken
    opened, sfn = _given_up(runtime, scenario, oncall, pages)
    stopped = escalation(opened.id)
    _as_an_older_version_gave_up(stopped)
    assert api.get("/api/status", headers=auth(operator_key)).json()["escalations"]["list"] == []
    # When the escalation sweep runs
    sweep(sfn=sfn, now=_later())
    # Then the status page lists it, as it lists one given up now, and the index holds it no more
    listed = api.get("/api/status", headers=auth(operator_key)).json()["escalations"]["list"]
    assert [(e["incident_id"], e["generation"], e["reason"]) for e in listed] == [
        (opened.id, stopped.sk, stopped.reason)
    ]
    assert listed[0]["stopped_at"] == stopped.ended_at.isoformat()
    assert _old_keys() == []
    # And a person acknowledging the incident takes it off the page
    acked = api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key))
    assert acked.status_code == 200, acked.text
    assert api.get("/api/status", headers=auth(operator_key)).json()["escalations"] == {"stopped": 0, "list": []}
    # When another was left by the older version and its incident taken since (so nothing released it)
    _as_an_older_version_gave_up(escalation(opened.id))
    sweep(sfn=sfn, now=_later())
    # Then it leaves the index, and the page does not list it
    assert _old_keys() == []
    assert api.get("/api/status", headers=auth(operator_key)).json()["escalations"] == {"stopped": 0, "list": []}
    assert escalation(opened.id).given_up_listed is None


def test_a_give_up_or_a_settle_that_lost_its_race_to_a_person_says_so(
    fast_workflow, scenario, oncall, pages, api, operator_key
):
    from pagerless.oncall.sweep import _give_up
    from pagerless.store.escalations import EscalationRepository

    # Given a running escalation the sweep has read
    oncall(delays=(300, 300, 300))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    read = escalation(opened.id)
    assert read.status == "running"
    # When a person acknowledges the incident before the sweep gives up on what it read
    acked = api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key))
    assert acked.status_code == 200, acked.text
    # Then the give-up says it was stopped meanwhile (no error, nothing written), and the stop stands
    assert _give_up(read, ("FAILED", "States.TaskFailed"))["resume"] == "stopped"
    stopped = escalation(opened.id)
    assert stopped.status != "running" and stopped.given_up_listed is None
    assert "escalation_gave_up" not in [
        e["type"] for e in api.get(f"/api/incidents/{opened.id}/timeline", headers=auth(operator_key)).json()["items"]
    ]
    # And settling an escalation the status page does not list says so too
    assert EscalationRepository().settle(stopped) is False
