"""Reading and acting on incidents: list, get, alerts, timeline, group, acknowledge, resolve, comment.

Every action writes a timeline event (and so a stream event). Status changes go through
`IncidentRepository.set_status` and the transition table; acknowledgement is a field.
"""

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from pagerless.auth.keys import Principal
from pagerless.clock import utcnow
from pagerless.domain.actors import label
from pagerless.domain.errors import ConflictError
from pagerless.domain.incidents import (
    ACKNOWLEDGED_EVENT,
    IncidentStatus,
    transition,
    waiting_for_acknowledgement_since,
)
from pagerless.domain.key_scopes import KeyScope
from pagerless.incidents import key_scope, metrics
from pagerless.incidents.timeline import record, timeline_page
from pagerless.store import incident_reads
from pagerless.store.alerts import AlertRecord, AlertRepository, Pending
from pagerless.store.incidents import IncidentRecord, IncidentRepository
from pagerless.store.timeline import TimelineRecord

if TYPE_CHECKING:
    from pagerless.incidents.lifecycle import IncidentLifecycle


class IncidentService:
    def __init__(
        self,
        repository: IncidentRepository | None = None,
        alerts: AlertRepository | None = None,
        lifecycle: "IncidentLifecycle | None" = None,
        stop_escalations=None,
    ) -> None:
        self.repository = repository or IncidentRepository()
        self.alerts = alerts or AlertRepository()
        if lifecycle is not None:
            self.lifecycle = lifecycle
        self.stop_escalations = stop_escalations or _stop_escalations

    @cached_property
    def lifecycle(self) -> "IncidentLifecycle":
        """Made on a first resolve: reading (a console page, a list) does not import creation and
        resolution (ids, correlation slots, source resolves)."""
        from pagerless.incidents.lifecycle import IncidentLifecycle

        return IncidentLifecycle(self.repository)

    def search(
        self,
        workspace: str,
        *,
        status: str | None = None,
        severity: str | None = None,
        service: str | None = None,
        namespace: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        state: str | None = None,
        scope: KeyScope | None = None,
        key: str = "",
    ) -> tuple[list[IncidentRecord], str | None]:
        """Incidents of a workspace, newest first, filtered; a key scoped to services sees those services' only
        (naming another service is a 403)."""
        services = key_scope.visible(scope, service, key=key)
        items, cursor = self.repository.search(
            workspace,
            status=status,
            severity=severity,
            service=service,
            namespace=namespace,
            since=since,
            limit=limit,
            cursor=cursor,
            state=state,
            services=services,
        )
        return self._with_pending(items), cursor

    def get(self, workspace: str, incident_id: str) -> IncidentRecord:
        """The incident with its exact alert count, which reads the alerts table too."""
        return self.counted(self.stored(workspace, incident_id))

    def stored(self, workspace: str, incident_id: str) -> IncidentRecord:
        """The incident as stored (NotFoundError if the workspace has none), read from the incidents
        table alone: its ``alert_count`` may leave out the last minute's duplicates. For a check or a
        page that shows no count, in a function not granted the alerts table (on-call, chat)."""
        return self.repository.get(incident_id, workspace)

    def counted(self, incident: IncidentRecord) -> IncidentRecord:
        """``incident`` with its exact alert count (reads the alerts table). Exact though a delivery folded the
        alert's pending duplicates onto the incident after it was read (an acknowledgement reads it before its
        work): see `_with_pending`."""
        return self._with_pending([incident])[0]

    def _with_pending(self, incidents: list) -> list:
        """Exact alert counts: an incident's stored ``alert_count`` plus the duplicates its alert
        counted and has not folded into it yet (at most a minute's worth; docs/writes.md). The alerts are read
        consistently, after the incidents. A fold writes one token on the alert and on the incident, so an
        incident read before its alert's last fold (the alert names a fold it does not have) is read again, and
        its alert after it: no writer's clock is compared."""
        incidents = list(incidents)
        folds = self.alerts.folds_for(incidents)
        for _ in range(2):
            stale = [n for n, incident in enumerate(incidents) if not _pending(folds, incident).counted_in(incident)]
            if not stale:
                break
            fresh = {r.id: r for r in incident_reads.consistent([incidents[n].id for n in stale])}
            for n in stale:
                incidents[n] = fresh.get(incidents[n].id, incidents[n])
            folds = {**folds, **self.alerts.folds_for([incidents[n] for n in stale])}
        for incident in incidents:
            incident.alert_count = int(incident.alert_count or 0) + _pending(folds, incident).count
        return incidents

    def alerts_of(
        self, workspace: str, incident_id: str, *, limit: int = 200, cursor: str | None = None
    ) -> tuple[list[AlertRecord], str | None]:
        """A page of the alerts folded into it, and the next page's cursor."""
        self.get(workspace, incident_id)
        return self.alerts.page_for_incident(incident_id, limit=limit, cursor=cursor)

    def timeline_of(self, workspace: str, incident_id: str, *, limit: int = 500) -> list[TimelineRecord]:
        """Its timeline, with the correlation entries rendered from its children (incidents.timeline)."""
        return self.timeline_page(workspace, incident_id, limit=limit)[0]

    def timeline_page(
        self, workspace: str, incident_id: str, *, limit: int = 500, cursor: str | None = None
    ) -> tuple[list[TimelineRecord], str | None]:
        """A page of `timeline_of` after ``cursor``, and the next page's cursor (None on the last)."""
        incident = self.repository.get(incident_id, workspace)
        return timeline_page(
            incident_id, limit=limit, cursor=cursor, incident=incident, children_of=self.repository.children_of
        )

    def group(self, workspace: str, incident_id: str) -> tuple[IncidentRecord, list[IncidentRecord]]:
        """The correlation group an incident belongs to: its root and the root's children."""
        incident = self.get(workspace, incident_id)
        parent = self.get(workspace, incident.parent_id) if incident.parent_id else incident
        return parent, self.repository.children_of(parent)

    def acknowledge(self, workspace: str, incident_id: str, principal: Principal) -> IncidentRecord:
        """Mark acknowledged (a field, not a status) and record the time to acknowledge.

        409 if it is resolved (nobody is paged for it any more; a stale page card must not record
        an acknowledgement) or already acknowledged; either way nothing is written. It reads and
        answers the incident as stored, without the alerts table: chat's buttons and email links
        acknowledge too (``counted`` adds the alert count for those who show it)."""
        incident = self.stored(workspace, incident_id)
        _refuse_acknowledgement(incident)
        now = utcnow()
        seconds = round((now - waiting_for_acknowledgement_since(incident)).total_seconds(), 3)
        if not self.repository.acknowledge(incident, principal.key_id, now, seconds):
            # Resolved or acknowledged meanwhile: say which, as if it had been so when read.
            _refuse_acknowledgement(self.repository.get(incident_id, workspace))
            raise ConflictError(f"incident {incident_id} is already acknowledged")
        record(
            incident,
            ACKNOWLEDGED_EVENT,
            f"acknowledged by {label(principal.key_id, principal.name)}",
            actor=principal.key_id,
            actor_name=principal.name or None,
            data={"time_to_acknowledge_seconds": seconds},
            stream_type="incident_updated",
        )
        metrics.acknowledged(seconds)
        who = label(principal.key_id, principal.name)
        self.stop_escalations(incident_id, "stopped", f"acknowledged by {who}")
        from pagerless.incidents.notices import incident_acknowledged

        incident_acknowledged(incident, by=who, at=now)
        return incident

    def resolve(self, workspace: str, incident_id: str, principal: Principal, note: str = "") -> IncidentRecord:
        """Resolve by hand (409 if already resolved); its alerts are marked resolved too, and so are
        the correlated children of a root still open, with theirs."""
        incident = self.get(workspace, incident_id)
        transition(IncidentStatus(incident.status), IncidentStatus.RESOLVED)  # 409 if it already is
        now = utcnow()
        incident, moved = self.lifecycle.resolve(
            incident,
            by=principal.key_id,
            resolution=note or "resolved by hand",
            now=now,
            actor=principal.key_id,
            close_alerts=True,
        )
        if not moved:
            raise ConflictError(f"incident {incident_id} was resolved meanwhile")
        self.alerts.resolve_for_incident(incident_id, now)
        who = label(principal.key_id, principal.name)
        for child in self.lifecycle.resolve_children(incident, by=principal.key_id, who=who, now=now):
            self.alerts.resolve_for_incident(child.id, now)  # their next firing is seen (a new group)
        self.stop_escalations(incident_id, "ended", f"resolved by {who}")
        return self._with_pending([incident])[0]

    def comment(self, workspace: str, incident_id: str, principal: Principal, text: str) -> dict:
        """Add a comment to the timeline."""
        incident = self.get(workspace, incident_id)
        return record(incident, "comment", text, actor=principal.key_id, actor_name=principal.name or None).to_dict()


def _refuse_acknowledgement(incident: IncidentRecord) -> None:
    """A resolved incident cannot be acknowledged, nor an acknowledged one again (ConflictError,
    whose details say by whom, so a chat click can answer it as news rather than an error)."""
    if incident.status == IncidentStatus.RESOLVED.value:
        raise ConflictError(
            f"incident {incident.id} is already resolved",
            details=[
                {
                    "status": incident.status,
                    "resolved_by": incident.resolved_by,
                    "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
                }
            ],
        )
    if incident.acknowledged:
        raise ConflictError(
            f"incident {incident.id} is already acknowledged",
            details=[{"acknowledged_by": incident.acknowledged_by}],
        )


def _stop_escalations(incident_id: str, status: str, reason: str) -> None:
    """Acknowledge and resolve stop paging (chat buttons call this same service)."""
    from pagerless.incidents.escalations import stop_for_incident
    from pagerless.observability import logger

    try:
        stop_for_incident(incident_id, status, reason)
    except Exception:  # noqa: BLE001 - the acknowledgement stands; the next tick re-reads the incident and stops
        logger().exception("escalation stop failed", extra={"incident_id": incident_id})


def _pending(folds: dict, incident) -> Pending:
    return folds.get(incident.id) or Pending()
