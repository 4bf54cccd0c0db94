"""Flapping is judged within `PAGERLESS_INTAKE_FLAP_WINDOW_SECONDS`: an alert that flapped once and
then held still is not flapping any more, so its next real re-fire pages again."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark, fixture_json
from tests.functional.refusals import cancelled, refusing

pytestmark = pytest.mark.functional

WORKSPACE = "default"


def _alert(status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint="flap-then-steady", status=status, title="checkout 5xx", service=None)


def _checkout(fingerprint: str, status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint=fingerprint, status=status, title="checkout 5xx", service="checkout")


def _clocked_intake(start_workflow=lambda *a, **k: None) -> tuple:
    """The intake service on a clock the test moves (``now[0]``, from ``t0``), starting workflows
    through ``start_workflow``: (intake, now, t0)."""
    from pagerless.intake.service import IntakeService

    t0 = datetime.now(UTC)
    now = [t0]
    return IntakeService(clock=lambda: now[0], start_workflow=start_workflow), now, t0


def _fired_and_resolved(intake, now: list, t0: datetime, times: int, *, every: int, alert=_alert) -> str:
    """The alert fires and, 5 seconds later, resolves, ``times`` times ``every`` seconds apart from
    ``t0`` (``now[0]`` is the clock); the incident it fired."""
    for cycle in range(times):
        now[0] = t0 + timedelta(seconds=every * cycle)
        incident_id = intake.process(alert(), WORKSPACE, delivery_mark("firing", now[0])).incident_id
        now[0] += timedelta(seconds=5)
        intake.process(alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    return incident_id


def test_an_alert_that_stopped_flapping_restarts_the_workflow_when_it_fires_again(runtime, monkeypatch):
    from pagerless import settings
    from pagerless.store.incidents import IncidentRecord

    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_WINDOW_SECONDS", "600")
    settings.reset()
    started: list[str] = []
    intake, now, t0 = _clocked_intake(lambda incident, name, **_: started.append(name))
    # Given an alert that flapped (four firings and resolves within a minute): marked flapping
    incident_id = _fired_and_resolved(intake, now, t0, 4, every=15)
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


def test_a_flaps_reopen_starts_its_workflow_held_back_until_the_alert_has_settled(runtime, monkeypatch):
    from pagerless import settings
    from pagerless.store.incidents import IncidentRecord

    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", "600")
    settings.reset()
    started: list[tuple[str, dict]] = []
    intake, now, t0 = _clocked_intake(lambda incident, name, **options: started.append((name, options)))
    # Given an alert that fired and resolved three times within a minute
    incident_id = _fired_and_resolved(intake, now, t0, 3, every=15)
    # When it fires a fourth time (a flap)
    now[0] = t0 + timedelta(seconds=50)
    flap = intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0]))
    # Then the incident reopens flapping, handed to a restart of its workflow that waits the settle period
    assert (flap.incident_id, flap.action) == (incident_id, "reopened")
    incident = IncidentRecord.get(incident_id)
    name, options = started[-1]
    assert incident.flapping is True and name.startswith(f"{incident_id}-r")
    assert options == {"record_arn": False, "settle_seconds": 600}
    assert incident.execution_arn is not None and incident.execution_arn.endswith(name)
    # And a duplicate four minutes later retries that start (by name) with what is left of the wait
    now[0] += timedelta(minutes=4)
    duplicate = intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0]))
    assert duplicate.action == "deduplicated"
    assert started[-1] == (name, {"record_arn": False, "settle_seconds": 360})


def _flapped(intake, now: list, t0: datetime) -> str:
    """Four firings and resolves within a minute, then a fifth firing: a flap's reopen."""
    _fired_and_resolved(intake, now, t0, 4, every=10)
    now[0] = t0 + timedelta(seconds=50)
    return intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0])).incident_id


def _settle_step(incident_id: str, execution_arn: str | None) -> dict:
    from pagerless.workflow.steps import run_step

    event = {"step": "settle_flapping", "incident_id": incident_id, "workspace": WORKSPACE}
    return run_step({**event, "execution_arn": execution_arn})


def test_the_settle_step_goes_on_once_with_an_alert_still_firing_and_stops_for_a_resolved_one(runtime):
    from pagerless.incidents.timeline import timeline
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow.incidents import IncidentClosedError

    intake, now, t0 = _clocked_intake()
    # Given a flap's reopen whose alert still fires
    incident_id = _flapped(intake, now, t0)
    held = IncidentRecord.get(incident_id).execution_arn
    # When an execution of an earlier flap checks it, nothing changes: it stops
    with pytest.raises(IncidentClosedError):
        _settle_step(incident_id, held.rsplit("-r", 1)[0] + "-r1")
    assert IncidentRecord.get(incident_id).flapping is True
    # When the execution that holds it checks it, twice (a retried step)
    assert _settle_step(incident_id, held) == {"settled": True}
    assert _settle_step(incident_id, held) == {"settled": True}
    # Then it is a flap no more, and the timeline says so once
    assert IncidentRecord.get(incident_id).flapping is False
    stopped = [e for e in timeline(incident_id) if e.type == "flapping_stopped"]
    assert len(stopped) == 1 and "without resolving" in stopped[0].message
    # When its alert resolves (the incident with it), a late check of the same execution stops
    now[0] += timedelta(seconds=5)
    intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    with pytest.raises(IncidentClosedError):
        _settle_step(incident_id, held)


def test_the_settle_step_whose_write_meets_another_transaction_on_the_incident_reads_again_and_settles(runtime):
    from pagerless.incidents.timeline import timeline
    from pagerless.store.incidents import IncidentRecord

    intake, now, t0 = _clocked_intake()
    # Given a flap's reopen whose alert still fires
    incident_id = _flapped(intake, now, t0)
    held = IncidentRecord.get(incident_id).execution_arn
    # When the execution that holds it checks it, and its write meets another transaction on the incident at that
    # moment (a duplicate's fold, say: DynamoDB cancels it for TransactionConflict)
    with refusing(
        "TransactWriteItems", "TransactionCanceledException", **cancelled("None", "None", "TransactionConflict")
    ) as refused:
        settled = _settle_step(incident_id, held)
    # Then it reads the incident again and settles it: a flap no more, said once on the timeline
    assert refused == ["TransactWriteItems"]
    assert settled == {"settled": True}
    assert IncidentRecord.get(incident_id).flapping is False
    assert [e.type for e in timeline(incident_id)].count("flapping_stopped") == 1


def test_an_alert_flapping_in_an_incident_that_never_resolves_does_not_mark_it_flapping(runtime):
    from pagerless.store.incidents import IncidentRecord

    intake, now, t0 = _clocked_intake()

    # Given a root incident held open by a correlated child that keeps firing
    root = intake.process(_checkout("root"), WORKSPACE, delivery_mark("firing", now[0])).incident_id
    assert intake.process(_checkout("child"), WORKSPACE, delivery_mark("firing", now[0])).group_id == root
    # When its own alert fires and resolves four times within a minute (it never resolves the incident)
    for cycle in range(4):
        now[0] = t0 + timedelta(seconds=1 + 10 * cycle)
        intake.process(_checkout("root", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
        now[0] += timedelta(seconds=5)
        result = intake.process(_checkout("root"), WORKSPACE, delivery_mark("firing", now[0]))
        assert (result.incident_id, result.action) == (root, "refired")
    # Then it is not marked flapping: no reopen held its page back, and no settle run would clear the mark
    assert IncidentRecord.get(root).flapping is False


def test_a_settle_check_that_could_not_say_so_leaves_the_flap_to_its_retry(runtime, timeline_table_down):
    from pagerless.incidents.timeline import timeline
    from pagerless.store.incidents import IncidentRecord

    intake, now, t0 = _clocked_intake()
    # Given a flap's reopen whose alert still fires
    incident_id = _flapped(intake, now, t0)
    held = IncidentRecord.get(incident_id).execution_arn
    # When its settle check runs while the timeline cannot be written
    timeline_table_down.start()
    with pytest.raises(Exception):  # noqa: B017 - whatever the table's absence raises
        _settle_step(incident_id, held)
    timeline_table_down.restore()
    # Then nothing changed; the retried check settles it and says so, once
    assert IncidentRecord.get(incident_id).flapping is True
    assert _settle_step(incident_id, held) == {"settled": True}
    assert IncidentRecord.get(incident_id).flapping is False
    assert [e.type for e in timeline(incident_id)].count("flapping_stopped") == 1


def test_a_flaps_reopen_is_marked_with_its_flapping_detected_entry_or_not_at_all(runtime):
    from pynamodb.exceptions import PutError, TransactWriteError

    from pagerless.incidents.timeline import timeline
    from pagerless.store.incidents import IncidentRecord
    from tests.functional.refusals import refusing_writes_of

    intake, now, t0 = _clocked_intake()
    # Given an alert that fired and resolved three times within a minute
    incident_id = _fired_and_resolved(intake, now, t0, 3, every=15)
    # When it fires a fourth time (a flap), DynamoDB refuses the first write of its flapping_detected entry, and the
    # delivery is retried if it failed
    now[0] = t0 + timedelta(seconds=50)
    mark = delivery_mark("firing", now[0])
    with refusing_writes_of("flapping_detected", times=1) as refused:
        try:
            intake.process(_alert(), WORKSPACE, mark)
        except (PutError, TransactWriteError):
            intake.process(_alert(), WORKSPACE, mark)
    assert len(refused) == 1, refused
    # Then the incident is marked flapping and its timeline says so, once
    assert IncidentRecord.get(incident_id).flapping is True
    assert [e.type for e in timeline(incident_id)].count("flapping_detected") == 1


def test_a_retried_or_resumed_start_of_a_flaps_refire_waits_what_is_left_since_that_refire(runtime, monkeypatch):
    from pagerless import settings
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow.reconcile import plan

    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", "600")
    settings.reset()
    started: list[tuple[str, dict]] = []
    intake, now, t0 = _clocked_intake(lambda incident, name, **options: started.append((name, options)))

    # Given a flap's reopen (four firings and resolves within a minute, then a fifth firing)
    incident_id = _fired_and_resolved(intake, now, t0, 4, every=10, alert=lambda *status: _checkout("flap", *status))
    now[0] = t0 + timedelta(seconds=50)
    assert intake.process(_checkout("flap"), WORKSPACE, delivery_mark("firing", now[0])).action == "reopened"
    # And a correlated alert that holds it open while its own alert resolves
    now[0] += timedelta(seconds=5)
    assert intake.process(_checkout("held"), WORKSPACE, delivery_mark("firing", now[0])).group_id == incident_id
    now[0] += timedelta(seconds=5)
    intake.process(_checkout("flap", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert IncidentRecord.get(incident_id).status == "open"
    # When its alert fires again five minutes later: the re-fire's settle run waits the whole period
    now[0] = t0 + timedelta(minutes=6)
    refired = intake.process(_checkout("flap"), WORKSPACE, delivery_mark("firing", now[0]))
    assert (refired.incident_id, refired.action) == (incident_id, "refired")
    name, options = started[-1]
    assert IncidentRecord.get(incident_id).flapping is True and options["settle_seconds"] == 600
    # Then a duplicate four minutes later retries that start with what is left since the re-fire
    now[0] += timedelta(minutes=4)
    duplicate = intake.process(_checkout("flap"), WORKSPACE, delivery_mark("firing", now[0]))
    assert duplicate.action == "deduplicated"
    assert started[-1] == (name, {"record_arn": False, "settle_seconds": 360})
    # And a restart then resumes its settle run with the same wait (the reconciler's plan)
    assert plan(IncidentRecord.get(incident_id), now[0])["settle_seconds"] == 360


AM_FIRING = "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"


def _episode(status: str, started):
    """The fixture's crash-looping Alertmanager alert (firing, or resolved) of the episode that started at
    ``started``, as Alertmanager sends it: each episode with its own ``startsAt``, its resolve with the same one."""
    from pagerless.intake.sources import normalize

    payload = fixture_json(AM_FIRING)
    entry = payload["alerts"][0]
    entry["startsAt"] = started.isoformat()
    if status == "resolved":
        entry["status"], entry["endsAt"] = "resolved", (started + timedelta(seconds=4)).isoformat()
    return normalize("alertmanager", payload)[0]


def _quick_cycles(intake, now: list, t0: datetime, cycles: int) -> list:
    """The Alertmanager alert fires and resolves ``cycles`` times, 4 seconds each way (as QA saw within 16
    seconds: fire, resolve, re-fire, resolve, re-fire), then fires again; every answer."""
    answers = []
    for cycle in range(cycles + 1):
        now[0] = t0 + timedelta(seconds=8 * cycle)
        answers.append(intake.process(_episode("firing", now[0]), WORKSPACE, delivery_mark("firing", now[0])))
        if cycle < cycles:
            now[0] += timedelta(seconds=4)
            answers.append(intake.process(_episode("resolved", now[0] - timedelta(seconds=4)), WORKSPACE))
    return answers


def test_an_alert_that_resolves_and_fires_again_twice_within_seconds_is_flapping(runtime):
    from pagerless.incidents.timeline import timeline
    from pagerless.store.incidents import IncidentRecord

    started: list[tuple[str, dict]] = []
    intake, now, t0 = _clocked_intake(lambda incident, name, **options: started.append((name, options)))
    # Given a real Alertmanager alert that resolved and fired again twice within 16 seconds
    answers = _quick_cycles(intake, now, t0, cycles=2)
    # Then its first quick reopen pages as a reopen does (one blip of an outage is no flap) ...
    incident_id = answers[0].incident_id
    assert [a.action for a in answers] == ["created", "resolved", "reopened", "resolved", "reopened"]
    assert started[1] == (f"{incident_id}-r2", {"record_arn": False})
    # ... and its second marks it flapping: its workflow is held back until the alert settles (no page)
    incident = IncidentRecord.get(incident_id)
    assert incident.flapping is True
    assert started[-1] == (f"{incident_id}-r3", {"record_arn": False, "settle_seconds": 900})
    assert [e.type for e in timeline(incident_id)].count("flapping_detected") == 1
    # And the first episode's resolve, delivered late (an HA peer's copy), is still a late resolve: not a cycle
    late = intake.process(_episode("resolved", t0), WORKSPACE)
    assert (late.action, late.reason) == ("ignored", "late_resolve")
    assert IncidentRecord.get(incident_id).status == "open"


def test_one_quick_blip_is_no_flap_nor_is_a_quick_cycle_minutes_after_the_last(runtime):
    from pagerless.store.incidents import IncidentRecord

    intake, now, t0 = _clocked_intake()
    # Given an alert that resolved and fired again once within seconds
    [_, _, reopened] = _quick_cycles(intake, now, t0, cycles=1)
    # Then it reopened as a real re-fire
    assert reopened.action == "reopened" and IncidentRecord.get(reopened.incident_id).flapping is False
    # And a resolve ten minutes later, fired again within seconds, is no flap either: the other cycle is old
    now[0] += timedelta(minutes=10)
    intake.process(_episode("resolved", now[0] - timedelta(seconds=4)), WORKSPACE)
    now[0] += timedelta(seconds=4)
    again = intake.process(_episode("firing", now[0]), WORKSPACE, delivery_mark("firing", now[0]))
    assert again.action == "reopened" and IncidentRecord.get(again.incident_id).flapping is False
