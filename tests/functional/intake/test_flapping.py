"""Flapping is judged within `PAGERLESS_INTAKE_FLAP_WINDOW_SECONDS`: an alert that flapped once and
then held still is not flapping any more, so its next real re-fire pages again."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark

pytestmark = pytest.mark.functional

WORKSPACE = "default"


def _alert(status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint="flap-then-steady", status=status, title="checkout 5xx", service=None)


def test_an_alert_that_stopped_flapping_restarts_the_workflow_when_it_fires_again(runtime, monkeypatch):
    from pagerless import settings
    from pagerless.intake.service import IntakeService
    from pagerless.store.incidents import IncidentRecord

    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_WINDOW_SECONDS", "600")
    settings.reset()
    t0 = datetime.now(UTC)
    now = [t0]
    started: list[str] = []
    intake = IntakeService(clock=lambda: now[0], start_workflow=lambda incident, name, **_: started.append(name))
    # Given an alert that flapped (four firings and resolves within a minute): marked flapping
    for cycle in range(4):
        now[0] = t0 + timedelta(seconds=15 * cycle)
        incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0])).incident_id
        now[0] += timedelta(seconds=5)
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert IncidentRecord.get(incident_id).flapping is True
    flapping_starts = list(started)
    # When it held still for 20 minutes (past the flap window, within the reopen window) and fires again
    now[0] = t0 + timedelta(minutes=20)
    again = intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0]))
    # Then the incident reopens as a real re-fire: no longer flapping, and its workflow restarted
    assert (again.incident_id, again.action) == (incident_id, "reopened")
    incident = IncidentRecord.get(incident_id)
    assert incident.flapping is False
    assert len(started) == len(flapping_starts) + 1 and started[-1].startswith(f"{incident_id}-r")
    assert incident.execution_arn is not None and incident.execution_arn.endswith(started[-1])
