"""What alerts do to incidents: open (or correlate), reopen, count, resolve by source.

Called by the intake service once it owns the alert's fingerprint (see store.alerts); every
status change goes through `IncidentRepository.set_status` and the transition table.
"""

import random
import time
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from pagerless import settings
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ConflictError, NotFoundError, ServiceUnavailableError
from pagerless.domain.incidents import ACTIVE_STATUSES, IncidentStatus
from pagerless.incidents.ids import allocate_incident_id
from pagerless.incidents.timeline import record
from pagerless.intake import metrics
from pagerless.observability import logger
from pagerless.store import incident_updates
from pagerless.store.base import utcnow
from pagerless.store.correlation import CorrelationSlots
from pagerless.store.incidents import IncidentRecord, IncidentRepository

# While a fix runs, a source resolve is only noted: verification decides.
REMEDIATION_STATUSES = frozenset({IncidentStatus.REMEDIATING, IncidentStatus.VERIFYING})


def service_key(workspace: str, namespace: str | None, service: str | None) -> str:
    return f"{workspace}#{namespace or ''}#{service or ''}"


class IncidentLifecycle:
    def __init__(self, repository: IncidentRepository | None = None, slots: CorrelationSlots | None = None) -> None:
        self.repository = repository or IncidentRepository()
        self.slots = slots or CorrelationSlots()

    # ------------------------------------------------------------------ open
    def open(self, alert: Alert, workspace: str, now: datetime) -> IncidentRecord:
        """A new incident for ``alert`` (see `create` and `announce`)."""
        incident = self.create(alert, workspace, now)
        self.announce(incident, alert, now)
        return incident

    def create(self, alert: Alert, workspace: str, now: datetime) -> IncidentRecord:
        """Store a new incident: a child of an open incident of the same service, if any."""
        for attempt in range(3):
            incident_id = allocate_incident_id(now, workspace)
            parent = self.claim_root_or_parent(alert, workspace, now, incident_id)
            incident = IncidentRecord(
                incident_id, workspace=workspace, created_key=f"{now.isoformat()}#{incident_id}",
                service_key=service_key(workspace, alert.namespace, alert.service), title=alert.title,
                description=alert.description, severity=alert.severity.value, service=alert.service,
                namespace=alert.namespace, source=alert.source, fingerprint=alert.fingerprint,
                labels={**alert.labels, **({"pod": alert.pod} if alert.pod else {})},
                status=IncidentStatus.OPEN.value, alert_count=1, open_alerts=1, first_seen=now, last_seen=now,
                created_at=now, updated_at=now,
                parent_id=parent.id if parent else None,
                correlation_reason=_reason(alert) if parent else None,
            )
            try:
                incident.save(condition=IncidentRecord.id.does_not_exist())
                return incident
            except PutError as exc:
                if parent is None and alert.service:
                    self.slots.release(incident.service_key, incident_id)
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
                logger().warning("incident id already taken; allocating another", extra={"incident_id": incident_id})
        raise ConflictError(f"incident id {incident_id} is already taken")

    def claim_root_or_parent(self, alert: Alert, workspace: str, now: datetime, incident_id: str) -> IncidentRecord | None:
        """The open root incident ``alert`` correlates with, or None once ``incident_id`` holds the
        service's correlation slot (a conditional write: of simultaneous alerts, one is the root).
        A slot whose root never appears is taken over after ``claim_stale_seconds``."""
        if not alert.service:
            return None
        key = service_key(workspace, alert.namespace, alert.service)
        config = settings.intake()
        window = timedelta(seconds=config.correlation_window_seconds)
        stale = timedelta(seconds=config.claim_stale_seconds)
        deadline = time.monotonic() + 2 * config.claim_wait_seconds
        parent = self.correlation_parent(alert, workspace, now)
        if parent is not None:
            return parent
        pause = 0.05
        while True:
            if self.slots.claim(key, incident_id, now, window):
                return None
            slot = self.slots.get(key)
            if slot is None:
                continue
            try:
                root = self.repository.get(slot.root_id)
            except NotFoundError:
                root = None
            if root is not None and root.parent_id is None and IncidentStatus(root.status) in ACTIVE_STATUSES:
                return root
            if (root is not None or slot.claimed_at < utcnow() - stale) and self.slots.claim(
                    key, incident_id, now, window, replacing=slot.root_id):
                return None  # the root it named is closed or a child, or was never created
            if time.monotonic() >= deadline:
                raise ServiceUnavailableError(f"the root incident of service {alert.service} is still being opened")
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 1.5, 0.5)

    def discard(self, incident: IncidentRecord) -> None:
        """Delete an incident created for a claim that could not be finalized (best effort: it has
        no timeline yet and no alert points to it)."""
        try:
            incident.delete()
        except Exception:  # left as an orphan without alerts; logged so it can be found
            logger().warning("could not discard an unfinished incident", extra={"incident_id": incident.id})
        if incident.parent_id is None and incident.service:
            self.slots.release(incident.service_key, incident.id)

    def announce(self, incident: IncidentRecord, alert: Alert, now: datetime) -> None:
        """The timeline and stream events of a new incident, and its parent's child count."""
        record(incident, "incident_created", alert.title, data={
            "source": alert.source, "fingerprint": alert.fingerprint, "severity": alert.severity.value,
            "service": alert.service, "namespace": alert.namespace, "parent_id": incident.parent_id})
        if incident.parent_id:
            parent = incident_updates.add_child(incident.parent_id, now)
            if parent is not None:
                record(parent, "child_correlated", incident.correlation_reason,
                       data={"child_id": incident.id, "title": alert.title}, stream_type="incident_updated")
            record(incident, "correlated", incident.correlation_reason, data={"parent_id": incident.parent_id},
                   stream_type="incident_updated")
        metrics.incident_created(alert.source, bool(incident.parent_id))

    def correlation_parent(self, alert: Alert, workspace: str, now: datetime) -> IncidentRecord | None:
        """The newest open root incident of the same service and namespace seen within the window."""
        if not alert.service:
            return None
        window = timedelta(seconds=settings.intake().correlation_window_seconds)
        candidates = IncidentRecord.by_service.query(
            service_key(workspace, alert.namespace, alert.service), IncidentRecord.last_seen >= now - window,
            filter_condition=IncidentRecord.parent_id.does_not_exist() & IncidentRecord.status.is_in(
                *[s.value for s in ACTIVE_STATUSES]),
            scan_index_forward=False, limit=1,
        )
        return next(iter(candidates), None)

    # ------------------------------------------------------------------ re-fire
    def refire(self, incident: IncidentRecord, alert: Alert, now: datetime, *, flapping: bool) -> IncidentRecord:
        """A resolved alert fires again and its incident takes it back (reopening it if resolved)."""
        was_resolved = incident.status == IncidentStatus.RESOLVED.value
        if was_resolved:
            incident = self._move(incident, IncidentStatus.OPEN, [
                IncidentRecord.resolved_at.remove(), IncidentRecord.resolved_by.remove(),
                IncidentRecord.resolution.remove(),
                # a reopened incident is unacknowledged again: its new escalation must page
                IncidentRecord.acknowledged.set(False), IncidentRecord.acknowledged_by.remove(),
                IncidentRecord.acknowledged_at.remove()])
            record(incident, "incident_reopened", "the alert fired again within the reopen window",
                   data={"fingerprint": alert.fingerprint, "status": IncidentStatus.OPEN.value},
                   stream_type="incident_updated")
            metrics.reopened(alert.source)
        else:
            record(incident, "alert_refired", alert.title, data={"fingerprint": alert.fingerprint},
                   stream_type="alert_received")
        incident = incident_updates.count_refire(incident.id, now) or incident
        if flapping and incident_updates.mark_flapping(incident.id) is not None:
            record(incident, "flapping_detected", "the alert keeps firing and resolving; the workflow is not restarted",
                   data={"fingerprint": alert.fingerprint, "flapping": True}, stream_type="incident_updated")
            incident.flapping = True
        return incident

    # ------------------------------------------------------------------ resolve
    def alert_resolved(self, incident_id: str, alert: Alert, now: datetime) -> IncidentRecord | None:
        """One alert of the incident resolved; the last one resolves the incident (by source)."""
        incident = incident_updates.count_resolved_alert(incident_id)
        if incident is None:
            return None
        record(incident, "alert_resolved", alert.title, data={"fingerprint": alert.fingerprint,
                                                              "open_alerts": int(incident.open_alerts)})
        status = IncidentStatus(incident.status)
        if incident.open_alerts > 0 or status == IncidentStatus.RESOLVED:
            return incident
        if status in REMEDIATION_STATUSES:
            record(incident, "source_resolved_during_remediation",
                   "every alert resolved at the source while a fix runs; verification decides",
                   data={"status": status.value})
            return incident
        previous_status = incident.status
        incident = self._move(incident, IncidentStatus.RESOLVED, [
            IncidentRecord.resolved_at.set(now), IncidentRecord.resolved_by.set("source"),
            IncidentRecord.resolution.set("every alert resolved at the source"),
            IncidentRecord.metrics.set({**(incident.metrics or {}), "time_to_resolve_seconds": _seconds(incident, now)}),
        ])
        if incident.status == IncidentStatus.RESOLVED.value:
            record(incident, "incident_resolved", "every alert resolved at the source",
                   data={"resolved_by": "source", "status": "resolved"}, stream_type="incident_updated")
            metrics.resolved_by_source(alert.source)
            from pagerless.notify.publish import incident_resolved

            incident_resolved(incident, by="its source (every alert resolved)", previous_status=previous_status)
        return incident

    def _move(self, incident: IncidentRecord, target: IncidentStatus, actions: list) -> IncidentRecord:
        """set_status, re-reading and retrying when something else changed the incident meanwhile."""
        for _ in range(3):
            try:
                return self.repository.set_status(incident, target, actions=list(actions))
            except ConflictError:
                incident = self.repository.get(incident.id)
                if incident.status == target.value:
                    return incident
                if target == IncidentStatus.RESOLVED and IncidentStatus(incident.status) in REMEDIATION_STATUSES:
                    return incident
        return self.repository.set_status(incident, target, actions=list(actions))


def is_within(moment: datetime | None, now: datetime, seconds: int) -> bool:
    return moment is not None and now - moment <= timedelta(seconds=seconds)


def _seconds(incident: IncidentRecord, now: datetime) -> float:
    return round((now - incident.created_at).total_seconds(), 3)


def _reason(alert: Alert) -> str:
    where = f" in namespace {alert.namespace}" if alert.namespace else ""
    minutes = settings.intake().correlation_window_seconds // 60
    return f"same service {alert.service}{where} within {minutes} min"
