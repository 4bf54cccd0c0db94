"""IntakeService, IncidentLifecycle and IncidentService on in-memory repositories (no AWS).

What an alert does to an incident, decided by the services alone: dedup counts on the alert,
folds into the incident at most once a minute, one resolve path, one conflict-retry policy.
"""

from datetime import UTC, datetime, timedelta

import pytest

from pagerless.auth.keys import Principal
from pagerless.domain.alerts import Alert, AlertStatus
from pagerless.domain.errors import ConflictError, IllegalTransitionError
from pagerless.domain.incidents import IncidentStatus
from pagerless.domain.roles import Role
from pagerless.incidents.lifecycle import IncidentLifecycle
from pagerless.incidents.service import IncidentService
from pagerless.intake.service import IntakeService
from tests.unit.incidents.fakes import FakeAlerts, FakeIncidents, FakeSlots

pytestmark = pytest.mark.unit

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class World:
    """The services wired to fakes, with a clock the test moves."""

    def __init__(self) -> None:
        self.now = START
        self.incidents = FakeIncidents()
        self.alerts = FakeAlerts(self.incidents)
        self.timeline: list[tuple[str, str]] = []
        self.resolved_notices: list[tuple[str, str]] = []
        self.started: list[str] = []
        self.numbers = iter(range(1, 1000))
        self.lifecycle = IncidentLifecycle(
            self.incidents,
            FakeSlots(),
            allocate_id=lambda now, ws: f"INC-{now:%Y%m%d}-{next(self.numbers):04d}",
            record=self._record,
            record_all=self._record_all,
            recorded=lambda incident_id, event_type: event_type in self.events(incident_id),
            notify_resolved=self._notify,
            clock=lambda: self.now,
            sleep=lambda s: None,
        )
        self.intake = IntakeService(
            self.alerts,
            self.incidents,
            start_workflow=self._start,
            clock=lambda: self.now,
            sleep=lambda s: None,
            lifecycle=self.lifecycle,
        )
        self.service = IncidentService(self.incidents, self.alerts, self.lifecycle, stop_escalations=lambda *a: None)

    def _record(self, incident, event_type, message="", *, write=None, **_):
        if write is not None and not write(None):  # the change the entry is written with was not made
            return None
        self.timeline.append((incident.id, event_type))
        return self.timeline[-1]

    def _record_all(self, incident, entries, *, write, **_):
        if not write([None] * len(entries)):
            return None
        self.timeline.extend((incident.id, entry.event_type) for entry in entries)
        return entries

    def _notify(self, incident, *, by, previous_status):
        self.resolved_notices.append((incident.id, by))

    def _start(self, incident, name=None, record_arn=True, settle_seconds=None):
        self.started.append(name or incident.id)

    def fire(self, fingerprint="f1", service=None, status=AlertStatus.FIRING):
        alert = Alert(
            source="generic", fingerprint=fingerprint, title=f"alert {fingerprint}", service=service, status=status
        )
        return self.intake.process(alert, "default")

    def events(self, incident_id):
        return [kind for iid, kind in self.timeline if iid == incident_id]


@pytest.fixture
def world():
    return World()


def test_a_new_alert_opens_an_incident_and_starts_its_workflow(world):
    result = world.fire()
    assert (result.action, result.status, result.deduplicated) == ("created", "open", False)
    incident = world.incidents.get(result.incident_id)
    assert (incident.alert_count, incident.open_alerts, incident.fingerprint) == (1, 1, "f1")
    assert world.started == [incident.id]
    assert world.events(incident.id) == ["incident_created"]


def test_duplicates_count_on_the_alert_and_reach_the_incident_once_a_minute(world):
    incident_id = world.fire().incident_id
    # When four duplicates arrive within the minute
    for _ in range(4):
        world.now += timedelta(seconds=5)
        assert world.fire().action == "deduplicated"
    # Then the incident item was not written (its stored count is 1), yet readers see 5
    assert world.incidents.items[incident_id].alert_count == 1
    assert world.alerts.folds == 0
    assert world.service.get("default", incident_id).alert_count == 5
    # When one more arrives after a minute, the pending duplicates fold into the incident
    world.now += timedelta(seconds=61)
    world.fire()
    assert world.alerts.folds == 1
    stored = world.incidents.items[incident_id]
    assert stored.alert_count == 6 and stored.last_seen == world.now
    assert world.service.get("default", incident_id).alert_count == 6
    # And a duplicate writes no timeline event
    assert world.events(incident_id) == ["incident_created"]


def test_resolve_folds_pending_duplicates_and_resolves_once_by_the_one_resolve(world):
    incident_id = world.fire().incident_id
    world.fire()
    world.fire()
    # When the alert resolves at its source
    result = world.fire(status=AlertStatus.RESOLVED)
    # Then the incident is resolved by its source, with every delivery counted on the item
    incident = world.incidents.items[incident_id]
    assert (result.action, incident.status, incident.resolved_by) == ("resolved", "resolved", "source")
    assert incident.alert_count == 3 and world.alerts.items["default#generic#f1"].pending == 0
    assert world.resolved_notices == [(incident_id, "its source (every alert resolved)")]
    assert world.events(incident_id)[-2:] == ["alert_resolved", "incident_resolved"]


def test_a_refire_within_the_window_reopens_and_clears_the_acknowledgement(world):
    incident_id = world.fire().incident_id
    world.incidents.items[incident_id].acknowledged = True
    world.fire(status=AlertStatus.RESOLVED)
    world.now += timedelta(seconds=30)
    result = world.fire()
    incident = world.incidents.items[incident_id]
    assert (result.action, result.incident_id, incident.status) == ("reopened", incident_id, "open")
    assert incident.acknowledged is False and incident.resolved_at is None
    assert incident.alert_count == 2 and incident.open_alerts == 1
    assert world.started == [incident_id, f"{incident_id}-r2"]


def test_an_incident_its_alert_resolves_while_it_is_being_acknowledged_is_refused_as_resolved(world):
    incident_id = world.fire().incident_id
    principal = Principal(key_id="k-1", workspace="default", role=Role.OPERATOR, name="Alice")
    # Given its alert resolves the incident after the acknowledgement read it and before it writes
    write_acknowledgement = world.incidents.acknowledge

    def resolved_first(incident, by, now, seconds):
        world.fire(status=AlertStatus.RESOLVED)
        return write_acknowledgement(incident, by, now, seconds)

    world.incidents.acknowledge = resolved_first
    # When someone acknowledges it
    with pytest.raises(ConflictError, match="already resolved") as refused:
        world.service.acknowledge("default", incident_id, principal)
    # Then it is refused as resolved, saying by whom, and no acknowledgement was recorded
    assert refused.value.details[0]["resolved_by"] == "source"
    incident = world.incidents.items[incident_id]
    assert incident.status == "resolved" and incident.acknowledged is False and incident.acknowledged_by is None
    assert "time_to_acknowledge_seconds" not in incident.metrics and "acknowledged" not in world.events(incident_id)


def test_a_duplicate_of_an_incident_resolved_meanwhile_reopens_it_and_counts_once(world):
    incident_id = world.fire().incident_id
    # Given the workflow resolved the incident while its alert still fires
    world.incidents.items[incident_id].status = IncidentStatus.RESOLVED.value
    world.incidents.items[incident_id].resolved_at = world.now
    # When the alert fires again
    result = world.fire()
    # Then it reopens the incident, and this delivery is counted once
    assert result.action == "reopened"
    assert world.service.get("default", incident_id).alert_count == 2
    assert world.alerts.items["default#generic#f1"].fire_count == 2


def test_alerts_of_one_service_correlate_under_one_root(world):
    root = world.fire("a", service="checkout")
    child = world.fire("b", service="checkout")
    assert (root.action, child.action) == ("created", "correlated")
    assert world.incidents.items[child.incident_id].parent_id == root.incident_id
    assert world.incidents.items[root.incident_id].child_count == 1
    assert world.started == [root.incident_id]  # a child runs no workflow of its own
    parent, children = world.service.group("default", child.incident_id)
    assert parent.id == root.incident_id and [c.id for c in children] == [child.incident_id]


def test_the_conflict_retry_policy_rereads_and_retries(world):
    incident_id = world.fire().incident_id
    # Given the next status write conflicts (something else changed the incident)
    world.incidents.conflicts = 1
    principal = Principal(key_id="k-1", workspace="default", role=Role.OPERATOR, name="Alice")
    # Then a hand resolve still succeeds, after one re-read
    incident = world.service.resolve("default", incident_id, principal, "fixed by hand")
    assert incident.status == "resolved" and world.incidents.items[incident_id].resolved_by == "k-1"
    assert world.incidents.items[incident_id].open_alerts == 0
    assert world.alerts.items["default#generic#f1"].state == "resolved"
    # And a second hand resolve is refused
    with pytest.raises(IllegalTransitionError):
        world.service.resolve("default", incident_id, principal)


def test_the_policy_gives_up_when_the_incident_is_already_at_the_target(world):
    incident = world.incidents.get(world.fire().incident_id)
    world.incidents.items[incident.id].status = IncidentStatus.DIAGNOSING.value  # moved meanwhile
    moved_to, moved = world.lifecycle.move(incident, IncidentStatus.DIAGNOSING, lambda i: [])
    assert (moved_to.status, moved) == ("diagnosing", False)
    world.incidents.conflicts = 5
    with pytest.raises(ConflictError):
        world.lifecycle.move(moved_to, IncidentStatus.RESOLVED, lambda i: [])


def _marks(n: int, start: datetime):
    from pagerless.store.alerts import DeliveryMark

    return [DeliveryMark(f"firing|{start + timedelta(seconds=k)}", start + timedelta(seconds=k)) for k in range(n)]


def test_a_run_of_deliveries_counts_each_once_however_it_is_replayed(world):
    alert = Alert(source="generic", fingerprint="f1", title="alert f1")
    marks = _marks(4, START)
    # When a never-seen alert arrives four times in one batch (a run)
    opened = world.intake.process(alert, "default", marks[-1], tuple(marks[:-1]))
    # Then one incident opens and every delivery counts
    incident_id = opened.incident_id
    assert world.service.get("default", incident_id).alert_count == 4 and world.started[0] == incident_id
    assert len([i for i in world.incidents.items.values() if i.fingerprint == "f1"]) == 1
    # When the same run is replayed (a redelivered batch), then nothing is counted twice
    again = world.intake.process(alert, "default", marks[-1], tuple(marks[:-1]))
    assert again.incident_id == incident_id and world.service.get("default", incident_id).alert_count == 4
    # When a later run of three is a duplicate, it is counted in one change
    later = _marks(3, START + timedelta(seconds=10))
    assert world.intake.process(alert, "default", later[-1], tuple(later[:-1])).action == "deduplicated"
    assert world.service.get("default", incident_id).alert_count == 7


def test_a_run_on_an_incident_resolved_under_it_reopens_it_and_counts_each_delivery(world):
    incident_id = world.fire().incident_id
    world.service.resolve("default", incident_id, Principal("default", "k", Role.ADMIN))
    world.now += timedelta(seconds=30)
    marks = _marks(3, world.now)
    # When a run of three deliveries of the alert arrives after its incident was resolved by hand
    result = world.intake.process(
        Alert(source="generic", fingerprint="f1", title="alert f1"), "default", marks[-1], tuple(marks[:-1])
    )
    # Then the incident reopens once, with the run's three deliveries counted after the first
    incident = world.service.get("default", incident_id)
    assert (result.incident_id, incident.status) == (incident_id, "open")
    assert incident.alert_count == 4
