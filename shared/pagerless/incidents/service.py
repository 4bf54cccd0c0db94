"""Reading and acting on incidents: list, get, alerts, timeline, group, acknowledge, resolve, comment.

Every action writes a timeline event (and so a stream event). Status changes go through
`IncidentRepository.set_status` and the transition table; acknowledgement is a field.
"""

from datetime import datetime

from pynamodb.exceptions import UpdateError

from pagerless.auth.keys import Principal
from pagerless.domain.actors import label
from pagerless.domain.errors import ConflictError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents.timeline import record, timeline
from pagerless.intake import metrics
from pagerless.store.alerts import AlertRecord, AlertRepository
from pagerless.store.base import decode_cursor, encode_cursor, utcnow
from pagerless.store.incidents import IncidentRecord, IncidentRepository, TimelineRecord


class IncidentService:
    def __init__(self, repository: IncidentRepository | None = None, alerts: AlertRepository | None = None) -> None:
        self.repository = repository or IncidentRepository()
        self.alerts = alerts or AlertRepository()

    def search(self, workspace: str, *, status: str | None = None, severity: str | None = None,
             service: str | None = None, namespace: str | None = None, since: datetime | None = None,
             limit: int = 50, cursor: str | None = None) -> tuple[list[IncidentRecord], str | None]:
        """Incidents of a workspace, newest first, filtered."""
        range_condition = IncidentRecord.created_key >= since.isoformat() if since else None
        filters = [attr == value for attr, value in ((IncidentRecord.status, status), (IncidentRecord.severity, severity),
                                                     (IncidentRecord.service, service),
                                                     (IncidentRecord.namespace, namespace)) if value]
        filter_condition = None
        for condition in filters:
            filter_condition = condition if filter_condition is None else filter_condition & condition
        results = IncidentRecord.by_workspace.query(
            workspace, range_condition, filter_condition, scan_index_forward=False, limit=limit,
            last_evaluated_key=decode_cursor(cursor, IncidentRecord, IncidentRecord.by_workspace, workspace),
            page_size=max(limit, 25))
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)

    def get(self, workspace: str, incident_id: str) -> IncidentRecord:
        return self.repository.get(incident_id, workspace)

    def alerts_of(self, workspace: str, incident_id: str) -> list[AlertRecord]:
        self.get(workspace, incident_id)
        return self.alerts.for_incident(incident_id)

    def timeline_of(self, workspace: str, incident_id: str, *, limit: int = 500) -> list[TimelineRecord]:
        self.get(workspace, incident_id)
        return timeline(incident_id, limit=limit)

    def group(self, workspace: str, incident_id: str) -> tuple[IncidentRecord, list[IncidentRecord]]:
        """The correlation group an incident belongs to: its root and the root's children."""
        incident = self.get(workspace, incident_id)
        parent = self.get(workspace, incident.parent_id) if incident.parent_id else incident
        # Children share the root's service key by construction (same service and namespace).
        children = IncidentRecord.by_service.query(parent.service_key, filter_condition=IncidentRecord.parent_id == parent.id)
        return parent, sorted(children, key=lambda c: c.created_at)

    def acknowledge(self, workspace: str, incident_id: str, principal: Principal) -> IncidentRecord:
        """Mark acknowledged (a field, not a status) and record the time to acknowledge."""
        incident = self.get(workspace, incident_id)
        if incident.acknowledged:
            raise ConflictError(f"incident {incident_id} is already acknowledged",
                                details=[{"acknowledged_by": incident.acknowledged_by}])
        now = utcnow()
        seconds = round((now - incident.created_at).total_seconds(), 3)
        try:
            incident.update(actions=[
                IncidentRecord.acknowledged.set(True), IncidentRecord.acknowledged_by.set(principal.key_id),
                IncidentRecord.acknowledged_at.set(now), IncidentRecord.updated_at.set(now),
                IncidentRecord.metrics.set({**(incident.metrics or {}), "time_to_acknowledge_seconds": seconds}),
            ], condition=IncidentRecord.acknowledged == False, add_version_condition=False)  # noqa: E712
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ConflictError(f"incident {incident_id} is already acknowledged") from exc
            raise
        record(incident, "acknowledged", f"acknowledged by {label(principal.key_id, principal.name)}",
               actor=principal.key_id, actor_name=principal.name or None, data={"time_to_acknowledge_seconds": seconds}, stream_type="incident_updated")
        metrics.acknowledged(seconds)
        _stop_escalations(incident_id, "stopped", f"acknowledged by {label(principal.key_id, principal.name)}")
        return incident

    def resolve(self, workspace: str, incident_id: str, principal: Principal, note: str = "") -> IncidentRecord:
        """Resolve by hand (409 if already resolved); its alerts are marked resolved too."""
        incident = self.get(workspace, incident_id)
        previous_status = incident.status
        now = utcnow()
        incident = self.repository.set_status(incident, IncidentStatus.RESOLVED, actions=[
            IncidentRecord.resolved_at.set(now), IncidentRecord.resolved_by.set(principal.key_id),
            IncidentRecord.resolution.set(note or "resolved by hand"), IncidentRecord.open_alerts.set(0),
            IncidentRecord.metrics.set({**(incident.metrics or {}),
                                        "time_to_resolve_seconds": round((now - incident.created_at).total_seconds(), 3)}),
        ])
        self.alerts.resolve_for_incident(incident_id, now)
        record(incident, "incident_resolved", note or "resolved by hand", actor=principal.key_id,
               actor_name=principal.name or None, data={"resolved_by": principal.key_id, "status": "resolved"}, stream_type="incident_updated")
        _stop_escalations(incident_id, "ended", f"resolved by {label(principal.key_id, principal.name)}")
        from pagerless.notify.publish import incident_resolved

        incident_resolved(incident, by=principal.key_id, previous_status=previous_status)
        return incident

    def comment(self, workspace: str, incident_id: str, principal: Principal, text: str) -> dict:
        """Add a comment to the timeline."""
        incident = self.get(workspace, incident_id)
        return record(incident, "comment", text, actor=principal.key_id, actor_name=principal.name or None).to_dict()


def _stop_escalations(incident_id: str, status: str, reason: str) -> None:
    """Acknowledge and resolve stop paging (chat buttons call this same service)."""
    from pagerless.observability import logger
    from pagerless.oncall.engine import stop_for_incident

    try:
        stop_for_incident(incident_id, status, reason)
    except Exception:  # noqa: BLE001 - the acknowledgement stands; the next tick re-reads the incident and stops
        logger().exception("escalation stop failed", extra={"incident_id": incident_id})
