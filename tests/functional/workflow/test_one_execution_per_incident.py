"""One execution at a time works on an incident. An alert that fires, resolves and fires again
reopens its incident and starts a new execution; a step of the execution started before the
resolve, delivered late (the reopen came first), ends that execution quietly and changes nothing.
Before, both executions moved the incident and one of them escalated it with a ConflictError.
On the embedded AWS with the real ASL."""

import pytest

from tests.functional.intake.conftest import wait_for

pytestmark = pytest.mark.functional


def _deliver(status: str, n: int) -> None:
    """One Alertmanager alert of the checkout service through the AlertQueue consumer."""
    from datetime import UTC, datetime

    from pagerless.domain.alerts import Alert
    from pagerless.intake.consumer import handle_alert_record
    from pagerless.intake.queue import AlertEnvelope

    alert = Alert(
        source="alertmanager",
        fingerprint="checkout-5xx",
        status=status,
        severity="critical",
        title="HighErrorRate: checkout",
        service="checkout",
        namespace="shop",
        labels={"alertname": "HighErrorRate", "namespace": "shop", "service": "checkout"},
    )
    body = AlertEnvelope(alert.source, "default", alert.model_dump(mode="json"), "").to_json()
    sent = int(datetime.now(UTC).timestamp() * 1000) + n
    handle_alert_record(body, {}, {"SentTimestamp": str(sent), "ApproximateReceiveCount": "1"})


def _runs(runtime) -> dict[str, dict]:
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    return {run["name"]: run for run in sfn.list_executions(stateMachineArn=machine)["executions"]}


def _settled(runtime, count: int) -> dict[str, dict]:
    """The incident-response executions, once ``count`` of them have all ended."""

    def ended() -> dict[str, dict] | None:
        runs = _runs(runtime)
        return runs if len(runs) == count and all(r["status"] != "RUNNING" for r in runs.values()) else None

    return wait_for(ended)


def _step(runtime, step: str, incident, execution_arn: str):
    """The workflow function invoked as the state machine's Task does."""
    name = runtime.lambdas.by_logical_id["WorkflowFunction"].name
    event = {"step": step, "incident_id": incident.id, "workspace": "default", "execution_arn": execution_arn}
    return runtime.lambdas.invoke(name, event)


def test_a_step_of_the_execution_before_a_reopen_stops_it_and_changes_nothing(runtime):
    from pagerless.incidents.timeline import timeline
    from pagerless.local.lambdas import FunctionError
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    # Given an alert whose incident's workflow ran, then resolved, then fired again
    _deliver("firing", 0)
    first = _settled(runtime, 1)
    _deliver("resolved", 1)
    _deliver("firing", 2)
    runs = _settled(runtime, 2)
    (incident,) = IncidentRecord.scan()
    reopened = next(run for name, run in runs.items() if name != incident.id)
    # Then the reopen gave the incident to the new execution, which ran to its end
    assert incident.execution_arn == reopened["executionArn"] != first[incident.id]["executionArn"]
    assert (incident.status, reopened["status"]) == ("diagnosed", "SUCCEEDED")
    before, events = incident.version, len(timeline(incident.id))

    # When steps of the first execution arrive now, late
    for step in ("incident_opened", "gather_context", "diagnose", "propose", "escalate", "handle_failure"):
        with pytest.raises(FunctionError) as stopped:
            _step(runtime, step, incident, first[incident.id]["executionArn"])
        # Then each ends the execution the way a resolved incident does (the ASL's IncidentClosed)
        assert stopped.value.error_type == "IncidentClosedError"
    # And the incident and its timeline are as the new execution left them
    after = IncidentRepository().get(incident.id)
    assert (after.status, after.version, after.execution_arn) == ("diagnosed", before, reopened["executionArn"])
    assert len(timeline(incident.id)) == events
    # While the new execution's own steps still work on it
    assert _step(runtime, "gather_context", incident, reopened["executionArn"])["source"]


def test_a_fire_resolve_fire_faster_than_the_workflow_ends_with_no_failed_execution(runtime):
    # Given an alert that fires, resolves and fires again while its first execution still runs
    for n, status in enumerate(["firing", "resolved", "firing", "resolved", "firing"]):
        _deliver(status, n)
    runs = _settled(runtime, 3)
    # Then every execution ended without failing: the superseded ones stopped quietly
    assert sorted(run["status"] for run in runs.values()) == ["SUCCEEDED"] * 3
    # And the incident was diagnosed by its newest execution, not escalated by a conflict
    from pagerless.store.incidents import IncidentRecord

    (incident,) = IncidentRecord.scan()
    assert incident.status == "diagnosed"
    assert incident.execution_arn == runs[f"{incident.id}-r3"]["executionArn"]
