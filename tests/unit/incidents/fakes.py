"""In-memory repositories with the same intent-named methods as store/ (cosmicpython's fakes).

They keep domain `Incident` objects and plain alert states, so IntakeService, IncidentLifecycle
and IncidentService run without DynamoDB. The moto-backed tests in tests/functional check that
the real repositories behave the same way.
"""

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.domain.incidents import Incident, IncidentStatus, transition
from pagerless.store.alert_records import Pending


class FakeIncidents:
    def __init__(self) -> None:
        self.items: dict[str, Incident] = {}
        self.conflicts = 0  # the next N set_status calls fail as if someone changed the incident meanwhile

    def get(self, incident_id: str, workspace: str | None = None) -> Incident:
        incident = self.items.get(incident_id)
        if incident is None or (workspace is not None and incident.workspace != workspace):
            raise NotFoundError(f"incident {incident_id} not found")
        return copy.deepcopy(incident)

    def add(self, incident: Incident, alongside=None) -> Incident | None:
        if incident.id in self.items:
            return None
        if alongside is not None:
            alongside.put()  # AlongsideTaken when its condition fails: nothing is stored
        self.items[incident.id] = copy.deepcopy(incident)
        return incident

    def delete(self, incident: Incident) -> None:
        self.items.pop(incident.id, None)

    def search(self, workspace: str, **_) -> tuple[list[Incident], None]:
        found = [copy.deepcopy(i) for i in self.items.values() if i.workspace == workspace]
        return sorted(found, key=lambda i: i.created_key, reverse=True), None

    def open_root_of_service(self, service_key: str, seen_since: datetime) -> Incident | None:
        roots = [
            i
            for i in self.items.values()
            if i.service_key == service_key
            and i.parent_id is None
            and i.status != IncidentStatus.RESOLVED.value
            and i.last_seen >= seen_since
        ]
        return copy.deepcopy(max(roots, key=lambda i: i.last_seen)) if roots else None

    def children_of(self, parent: Incident) -> list[Incident]:
        return sorted(
            (copy.deepcopy(i) for i in self.items.values() if i.parent_id == parent.id), key=lambda i: i.created_at
        )

    def set_status(
        self, incident: Incident, target: IncidentStatus, *, actions: list | None = None, alongside=None, updating=None
    ) -> Incident:
        current = IncidentStatus(incident.status)
        transition(current, target)
        stored = self.items[incident.id]
        if self.conflicts or stored.status != current.value:
            self.conflicts = max(0, self.conflicts - 1)
            raise ConflictError(f"incident {incident.id} changed meanwhile: it is now {stored.status}")
        if updating is not None:
            updating.apply()  # AlongsideTaken when its condition fails: nothing is changed
        stored.status = target.value
        for action in actions or []:
            action(stored)
        return copy.deepcopy(stored)

    @staticmethod
    def reopen_actions(
        incident: Incident,
        now: datetime,
        execution_arn: str | None = None,
        *,
        flapping: bool = False,
        description: str | None = None,
    ) -> list:
        previous = ("time_to_resolve_seconds", "time_to_acknowledge_seconds")
        metrics = {name: value for name, value in (incident.metrics or {}).items() if name not in previous}

        def reopen(stored: Incident) -> None:
            stored.reopened_at = now
            stored.metrics = metrics
            stored.resolved_at = stored.resolved_by = stored.resolution = None
            stored.acknowledged, stored.acknowledged_by, stored.acknowledged_at = False, None, None
            stored.execution_arn = execution_arn
            if execution_arn and not flapping:  # a flap's execution clears it once the alert settled
                stored.flapping = False
            if flapping:
                stored.flapping, stored.flap_fired_at = True, now
            stored.raise_page_due = None
            if description is not None:
                stored.description = description

        return [reopen]

    @staticmethod
    def resolve_actions(incident: Incident, now: datetime, by: str, resolution: str, *, close_alerts: bool) -> list:
        def resolve(stored: Incident) -> None:
            stored.resolved_at, stored.resolved_by, stored.resolution = now, by, resolution
            stored.metrics = {**stored.metrics, "time_to_resolve_seconds": (now - stored.created_at).total_seconds()}
            if close_alerts:
                stored.open_alerts = 0

        return [resolve]

    @staticmethod
    def notice_due(incident: Incident, event: str, at: datetime, announced_by: str | None = None) -> list:
        return []  # the outbox of notices is the store's (tests/functional/intake/test_notice_outbox.py)

    @staticmethod
    def notice_sent(incident_id: str, event: str, at: datetime) -> None:
        pass

    @staticmethod
    def notice_owed(incident_id: str, event: str, at: datetime) -> bool:
        return False

    def acknowledge(self, incident: Incident, by: str, now: datetime, seconds: float) -> bool:
        stored = self.items[incident.id]
        if stored.acknowledged or stored.status == "resolved":
            return False
        stored.acknowledged, stored.acknowledged_by, stored.acknowledged_at = True, by, now
        return True

    def _bump(self, incident_id: str, **changes) -> Incident | None:
        stored = self.items.get(incident_id)
        if stored is None:
            return None
        for name, value in changes.items():
            setattr(stored, name, value(stored) if callable(value) else value)
        return copy.deepcopy(stored)

    def count_refire(self, incident_id: str, now: datetime) -> Incident | None:
        return self._bump(
            incident_id, alert_count=lambda i: i.alert_count + 1, open_alerts=lambda i: i.open_alerts + 1, last_seen=now
        )

    def count_resolved_alert(
        self, incident: Incident, *, entries=(), alongside=None, same_status: bool = False
    ) -> Incident | None:
        stored = self.items.get(incident.id)
        if stored is None or stored.open_alerts != incident.open_alerts:
            return None
        if same_status and stored.status != incident.status:
            return None
        if alongside is not None:
            alongside.apply()  # AlongsideTaken when its condition fails: nothing is changed
        return self._bump(incident.id, open_alerts=lambda i: i.open_alerts - 1)

    def add_child(self, parent_id: str, now: datetime) -> Incident | None:
        stored = self.items.get(parent_id)
        if stored is None or stored.status == "resolved":  # a resolved parent takes no child
            return None
        return self._bump(parent_id, child_count=lambda i: i.child_count + 1, last_seen=now)

    def promote_to_root(self, incident_id: str) -> Incident | None:
        return self._bump(incident_id, parent_id=None, correlation_reason=None)

    def hand_flap_to(self, incident_id: str, execution_arn: str, fired_at: datetime | None = None) -> Incident | None:
        stored = self.items[incident_id]
        if not stored.flapping or stored.status != "open" or stored.parent_id:
            return None
        return self._bump(incident_id, execution_arn=execution_arn, **({"flap_fired_at": fired_at} if fired_at else {}))


@dataclass
class FakeAlert:
    pk: str
    workspace: str = ""
    source: str = ""
    fingerprint: str = ""
    state: str = "claiming"
    incident_id: str | None = None
    claim_token: str | None = None
    claimed_at: datetime | None = None
    generation: int = 0
    fire_count: int = 0
    resolve_count: int = 0
    last_seen: datetime | None = None
    resolved_at: datetime | None = None
    flap_history: list = field(default_factory=list)
    alert: dict | None = None
    pending: int = 0
    folded_at: datetime | None = None
    delivery: str | None = None
    changed_at: datetime | None = None


class FakeAlerts:
    def __init__(self, incidents: FakeIncidents) -> None:
        self.items: dict[str, FakeAlert] = {}
        self.incidents = incidents
        self.folds = 0

    def get(self, key: str) -> FakeAlert | None:
        return dataclasses.replace(self.items[key]) if key in self.items else None

    def touch_firing(self, key: str, now: datetime, mark=None, earlier=()) -> FakeAlert | None:
        item = self.items.get(key)
        if item is None or item.state != "firing" or not item.incident_id:
            return None
        if mark is not None:
            if item.delivery in {mark.key, *(m.key for m in earlier)}:
                return None
            item.delivery = mark.key
        item.fire_count += 1 + len(earlier)
        item.pending += 1 + len(earlier)
        item.last_seen = now
        return dataclasses.replace(item)

    def claim(
        self,
        key: str,
        *,
        workspace: str,
        source: str,
        fingerprint: str,
        now: datetime,
        stale_after: timedelta,
        mark=None,
    ) -> FakeAlert | None:
        item = self.items.get(key)
        if item is not None and not (
            item.state == "resolved" or (item.state == "claiming" and item.claimed_at < now - stale_after)
        ):
            return None
        if item is not None and mark is not None and item.changed_at is not None and item.changed_at > mark.at:
            return None
        item = item or FakeAlert(key, workspace, source, fingerprint)
        if mark is not None:
            item.delivery, item.changed_at = mark.key, mark.at
        item.state, item.claim_token, item.claimed_at = "claiming", f"token-{item.generation + 1}", now
        item.generation += 1
        item.fire_count += 1
        item.last_seen = now
        self.items[key] = item
        return dataclasses.replace(item)

    def opening(self, key: str, *, workspace: str, alert: dict, incident_id: str, now: datetime, mark=None):
        """Like the store's: the new alert's item, put with its incident (FakeIncidents.add)."""

        def put() -> None:
            from pagerless.store.incidents import AlongsideTaken

            if key in self.items:
                raise AlongsideTaken("the item put with the incident was taken first")
            self.items[key] = FakeAlert(
                key,
                workspace,
                alert.get("source", ""),
                alert.get("fingerprint", ""),
                state="firing",
                incident_id=incident_id,
                claimed_at=now,
                generation=1,
                fire_count=1,
                last_seen=now,
                alert=alert,
                folded_at=now,
                delivery=mark.key if mark else None,
                changed_at=mark.at if mark else None,
            )

        return SimpleNamespace(put=put)

    def finalize(self, claim: FakeAlert, incident_id: str, alert: dict, flap_history: list[int]) -> None:
        item = self.items[claim.pk]
        assert item.claim_token == claim.claim_token
        item.state, item.incident_id, item.claim_token, item.resolved_at = "firing", incident_id, None, None
        item.alert, item.flap_history, item.folded_at = alert, flap_history, claim.claimed_at

    def release(self, claim: FakeAlert, mark=None) -> None:
        self.items.pop(claim.pk, None)

    def mark_resolved(self, key: str, now: datetime, alert: dict, mark=None) -> FakeAlert | None:
        item = self.items.get(key)
        if item is None or item.state != "firing":
            return None
        if mark is not None:
            if item.changed_at is not None and item.changed_at > mark.at:
                return None
            item.delivery, item.changed_at = mark.key, mark.at
        item.state, item.resolved_at, item.last_seen, item.alert = "resolved", now, now, alert
        item.resolve_count += 1
        item.flap_history = [*item.flap_history, int(now.timestamp())]
        return dataclasses.replace(item)

    def resolving(self, key: str, now: datetime, alert: dict, mark=None, *, incident_id: str):
        """Like the store's: the alert's resolve, made with its incident's side (FakeIncidents)."""

        def apply() -> None:
            from pagerless.store.incidents import AlongsideTaken

            item = self.items.get(key)
            if item is None or item.incident_id != incident_id or self.mark_resolved(key, now, alert, mark) is None:
                raise AlongsideTaken("the alert changed first")

        return SimpleNamespace(apply=apply)

    def resolve_for_incident(self, incident_id: str, now: datetime) -> int:
        firing = [i for i in self.items.values() if i.incident_id == incident_id and i.state == "firing"]
        for item in firing:
            item.state, item.resolved_at = "resolved", now
        return len(firing)

    def uncount(self, key: str, count: int = 1, mark=None) -> None:
        self.items[key].fire_count -= count
        self.items[key].pending -= count
        if mark is not None and self.items[key].delivery == mark.key:
            self.items[key].delivery = None

    def needs_fold(self, record: FakeAlert, now: datetime, every: timedelta) -> bool:
        return bool(record.pending) and (record.folded_at is None or record.folded_at <= now - every)

    def fold(self, record: FakeAlert, now: datetime, incident_id: str | None = None) -> bool:
        item = self.items[record.pk]
        if record.pending <= 0 or item.folded_at != record.folded_at or item.pending < record.pending:
            return False
        self.incidents._bump(
            incident_id or record.incident_id, alert_count=lambda i: i.alert_count + record.pending, last_seen=now
        )
        item.pending -= record.pending
        item.folded_at = now
        self.folds += 1
        return True

    def _pending(self, incident) -> Pending:
        item = next((i for i in self.items.values() if i.incident_id == incident.id), None)
        return Pending(item.pending) if item is not None else Pending()  # folds are exact here: no tokens

    def folds_for(self, incidents: list) -> dict[str, Pending]:
        return {incident.id: self._pending(incident) for incident in incidents}

    def pending_for(self, incidents: list) -> dict[str, int]:
        return {
            i.incident_id: i.pending
            for i in self.items.values()
            if i.pending and any(x.id == i.incident_id for x in incidents)
        }

    def for_incident(self, incident_id: str, limit: int = 200) -> list[FakeAlert]:
        return [dataclasses.replace(i) for i in self.items.values() if i.incident_id == incident_id][:limit]


class FakeSlots:
    """Correlation slots: who is the root of a service key (no expiry needed in these tests)."""

    def __init__(self) -> None:
        self.roots: dict[str, SimpleNamespace] = {}

    def claim(
        self, service_key: str, root_id: str, now: datetime, window: timedelta, *, replacing: str | None = None
    ) -> bool:
        held = self.roots.get(service_key)
        if held is not None and held.root_id != replacing:
            return False
        self.roots[service_key] = SimpleNamespace(root_id=root_id, claimed_at=now)
        return True

    def get(self, service_key: str) -> SimpleNamespace | None:
        return self.roots.get(service_key)

    def release(self, service_key: str, root_id: str) -> None:
        if service_key in self.roots and self.roots[service_key].root_id == root_id:
            del self.roots[service_key]
