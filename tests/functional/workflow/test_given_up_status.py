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
