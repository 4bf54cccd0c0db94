"""Seeding incident histories with chosen times (what happened before the test), straight into the store."""

from datetime import datetime, timedelta

from pagerless.store.incident_records import end_key_of
from pagerless.store.incidents import IncidentRecord
from pagerless.store.timeline import TimelineRecord, timeline_key


def seed_incident(
    incident_id: str,
    *,
    service: str,
    severity: str,
    opened: datetime,
    resolved: datetime | None = None,
    acknowledged: datetime | None = None,
    title: str = "",
    workspace: str = "default",
    namespace: str = "production",
    source: str = "alertmanager",
    resolved_by: str | None = None,
    actions: list | None = None,
    diagnosis: dict | None = None,
    alert_count: int = 1,
    labels: dict | None = None,
) -> IncidentRecord:
    record = IncidentRecord(
        incident_id,
        workspace=workspace,
        created_key=f"{opened.isoformat()}#{incident_id}",
        end_key=end_key_of("resolved" if resolved else "open", resolved),
        service_key=f"{workspace}#{namespace}#{service}",
        title=title or f"{service} {severity}",
        severity=severity,
        service=service,
        namespace=namespace,
        source=source,
        labels=labels or {},
        status="resolved" if resolved else "open",
        acknowledged=acknowledged is not None,
        acknowledged_at=acknowledged,
        acknowledged_by="person" if acknowledged else None,
        first_seen=opened,
        last_seen=resolved or opened,
        created_at=opened,
        updated_at=resolved or opened,
        resolved_at=resolved,
        resolved_by=resolved_by or ("person" if resolved else None),
        actions=actions or [],
        diagnosis=diagnosis,
        alert_count=alert_count,
        open_alerts=0 if resolved else 1,
        metrics={
            k: v
            for k, v in {
                "seconds_to_acknowledge": (acknowledged - opened).total_seconds() if acknowledged else None,
                "seconds_to_resolve": (resolved - opened).total_seconds() if resolved else None,
            }.items()
            if v is not None
        },
    )
    record.save()
    TimelineRecord(incident_id, timeline_key(opened), at=opened, type="incident_created", actor="system").save()
    if resolved:
        TimelineRecord(
            incident_id, timeline_key(resolved), at=resolved, type="resolved", actor=resolved_by or "person"
        ).save()
    return record


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def seed_reopen(incident_id: str, *, resolved: datetime, reopened: datetime, workspace: str = "default") -> None:
    """A seeded incident was resolved at ``resolved`` and reopened at ``reopened`` (its final resolve, if any,
    is ``seed_incident``'s): the timeline entries and the ``reopened_at`` the lifecycle writes."""
    from pagerless.store.timeline import append_timeline

    append_timeline(incident_id, resolved, "incident_resolved", actor="intake", message="", data={})
    append_timeline(
        incident_id, reopened, "incident_reopened", actor="intake", message="", data={}, workspace=workspace
    )
    IncidentRecord.get(incident_id).update(actions=[IncidentRecord.reopened_at.set(reopened)])


def seed_episodes(
    incident_id: str,
    episodes: list[tuple[datetime, datetime | None, datetime | None]],
    *,
    service: str,
    severity: str,
    workspace: str = "default",
    resolved_by: str = "person",
) -> IncidentRecord:
    """An incident that fired in ``episodes`` (start, acknowledged or None, resolved or None; oldest first; every
    one but the last resolved), stored as the lifecycle leaves it: the record holds the last episode (its reopen,
    acknowledgement and resolve: a reopen clears the earlier ones), the timeline every acknowledgement, resolve and
    reopen."""
    from pagerless.domain.incidents import REOPENED_EVENT, RESOLVED_EVENT
    from pagerless.store.timeline import append_timeline

    last_start, last_ack, last_end = episodes[-1]
    record = seed_incident(
        incident_id,
        service=service,
        severity=severity,
        opened=episodes[0][0],
        acknowledged=last_ack,
        resolved=last_end,
        resolved_by=resolved_by if last_end else None,
        workspace=workspace,
    )
    for n, (start, acknowledged, resolved) in enumerate(episodes):
        if n:
            append_timeline(
                incident_id, start, REOPENED_EVENT, actor="intake", message="", data={}, workspace=workspace
            )
        if acknowledged:
            append_timeline(incident_id, acknowledged, "acknowledged", actor="person", message="", data={})
        if resolved:
            data = {"resolved_by": resolved_by, "status": "resolved"}
            append_timeline(incident_id, resolved, RESOLVED_EVENT, actor=resolved_by, message="", data=data)
    if len(episodes) > 1:
        record.update(actions=[IncidentRecord.reopened_at.set(last_start)])
    return record
