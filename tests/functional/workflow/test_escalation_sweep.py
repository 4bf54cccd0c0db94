"""The scheduled `escalation-sweep` and the escalations a start left unstarted (Step Functions
refused it, or the start died before its StartExecution): it starts them, or ends or stops those of
an incident resolved, acknowledged or no longer covered by a policy. Step Functions is refused at
the AWS boundary (botocore's event system), as in test_escalation_start.py; the helpers they share
are in escalations.py."""

import json

import pytest

from tests.functional.workflow.conftest import open_incident, timeline_types, wait_for_status
from tests.functional.workflow.escalations import (
    PEOPLE,
    before_escalation_starts,
    escalation,
    left_unstarted,
    refuse_start,
    start_grace,
    unstarted_opening,
    without_sweep_keys,
)

pytestmark = pytest.mark.functional


def _sweep(runtime) -> dict:
    """Fire the template's escalation sweep as EventBridge would."""
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-EscalationSweep"]
    return runtime.scheduler.fire(target)


def test_an_opening_escalation_that_cannot_start_leaves_the_workflow_going_and_the_sweep_starts_it(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    from tests.conftest import ROOT
    from tests.functional.workflow.conftest import incident

    # Given a policy for payments-api, and Step Functions refusing every start of an opening escalation
    oncall(delays=(30, 30, 30))
    start_grace(monkeypatch, 1)
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
    start_grace(monkeypatch, 1)
    opened, _ = unstarted_opening(scenario)
    # And that a person acknowledged
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    # When the escalation sweep runs
    swept = _sweep(runtime)["result"]["started"]
    # Then it starts nothing: the acknowledge stopped the escalation that never started, and nobody is paged
    assert swept == []
    assert escalation(opened.id).status == "stopped"
    assert pages.generations() == []


def _scheduled_sweep(runtime) -> list[dict]:
    """Run the scheduled function's escalation sweep with its sample event (events/scheduled/)."""
    from tests.conftest import ROOT

    event = json.loads((ROOT / "events" / "scheduled" / "escalation_sweep.json").read_text())
    answer = runtime.lambdas.invoke(runtime.lambdas.by_logical_id["ScheduledFunction"].name, event)
    assert answer["job"] == "escalation-sweep"
    return answer["result"]["started"]


@pytest.fixture
def unpaged(fast_workflow, scenario, oncall, monkeypatch):
    """An incident handed to humans that nobody was paged for (no policy covered it when it opened),
    then a policy covering it; the sweep starts an escalation left unstarted at once."""
    start_grace(monkeypatch, 0)
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

    left_unstarted(opened, resolve)
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

    left_unstarted(opened, acknowledge)
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
    left_unstarted(opened)
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


def test_an_escalation_left_unstarted_by_a_version_without_sweep_keys_is_started_by_the_next_sweep(
    unpaged, pages, runtime, system_reads
):
    opened, _ = unpaged
    # Given an escalation an older version left unstarted (its start died): running, no execution,
    # and without the keys that put it in the `sweeps` index
    left_unstarted(opened)
    without_sweep_keys(runtime, opened.id)
    system_reads.clear()
    # When the scheduled escalation sweep runs for the first time
    swept = _scheduled_sweep(runtime)
    # Then it finds that escalation (one look through the whole system table) and starts it: alice is paged
    assert swept == [{"incident_id": opened.id, "escalation": "1", "start": f"esc-{opened.id}-1"}]
    assert pages.wait_for("0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert [read for read in system_reads if read[0] == "Scan"] == [("Scan", None)]
    # When the sweep runs again, it reads the sweeps index only: no second look through the table (the escalations
    # waiting for their start; those running with an execution, whose next step may be overdue; the reopen and
    # resolve notices nobody queued, `incidents.notice_sweep`); not the escalations it gave up on, whose stop and its
    # timeline entry are one write
    system_reads.clear()
    assert _scheduled_sweep(runtime) == []
    assert system_reads == [("Query", "sweeps")] * 3
    assert pages.generations() == ["0-0"]
