"""Record what happened to an incident: a timeline item plus a stream event for SSE.

Every step writes here; the API, the SSE stream, the console and the reports read it.
"""

from pagerless.clock import utcnow
from pagerless.store.incidents import TimelineRecord
from pagerless.store.timeline import append_stream_event, append_timeline, timeline_items

STREAM_RETENTION_SECONDS = 3 * 24 * 3600


def record(
    incident,
    event_type: str,
    message: str = "",
    *,
    actor: str = "system",
    data: dict | None = None,
    stream_type: str | None = None,
    actor_name: str | None = None,
) -> TimelineRecord:
    """Append to the incident's timeline and publish ``stream_type`` (default: the same type).

    The actor's name (an API key's or a user's, looked up now unless given) is stored beside its
    id in ``data.actor_name``, so the entry still names a key deleted later."""
    from pagerless.auth.actors import name_of

    now = utcnow()
    name = actor_name if actor_name is not None else name_of(incident.workspace, actor)
    if name:
        data = {**(data or {}), "actor_name": name}
    item = append_timeline(incident.id, now, event_type, actor=actor, message=message, data=data or {})
    publish(
        incident.workspace,
        stream_type or event_type,
        incident_id=incident.id,
        data={"message": message, "actor": actor, **(data or {})},
    )
    return item


def publish(workspace: str, event_type: str, *, incident_id: str | None = None, data: dict | None = None) -> int:
    """Put an event on the workspace stream with the next sequence number; returns it (one write:
    the number is taken with the event, no counter item — docs/writes.md)."""
    return append_stream_event(
        workspace,
        utcnow(),
        event_type,
        incident_id=incident_id,
        data=data or {},
        retention_seconds=STREAM_RETENTION_SECONDS,
    )


def timeline(incident_id: str, *, limit: int = 500) -> list[TimelineRecord]:
    return timeline_items(incident_id, limit=limit)
