"""Record what happened to an incident: a timeline item plus a stream event for SSE.

Every step writes here; the API, the SSE stream, the console and the reports read it (`timeline`).

Two kinds of entries are rendered when the timeline is read rather than written (docs/writes.md,
round 3), so that a correlated child costs at most 5 writes:

- a child's ``correlated`` entry, from its ``incident_created`` event, which carries the
  correlation (``parent_id`` and ``correlation_reason``);
- a parent's ``child_correlated`` entries, one per child (the ``by_service`` index, as the group
  view reads them), at the child's creation time.

Items written before that change (a stored ``correlated`` or ``child_correlated``) are shown as
they are and never twice: an old ``incident_created`` has no ``correlation_reason``, and a stored
``child_correlated`` names its child.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError
from pagerless.store.incidents import IncidentRecord, IncidentRepository
from pagerless.store.timeline import (
    TimelineRecord,
    announce_once,
    append_stream_event,
    append_timeline,
    has_item,
    items_of_type,
    once_key,
    put_new,
    timeline_cursor,
    timeline_item,
    timeline_items,
    timeline_position,
)

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
    write: Callable[[TimelineRecord], bool] | None = None,
    once: str | None = None,
    at: datetime | None = None,
    live: bool = True,
) -> TimelineRecord | None:
    """Append to the incident's timeline and publish ``stream_type`` (default: the same type).

    The actor's name (an API key's or a user's, looked up now unless given) is stored beside its
    id in ``data.actor_name``, so the entry still names a key deleted later.

    ``write(item)``: stores the item with the change it records, in one transaction (a reopen:
    `IncidentRepository.set_status`'s ``alongside``); False when the change was not made, and then
    nothing is recorded or published (None).

    ``once`` (with ``at``, the same on every call): the entry is written and published at most once
    for that key (a workflow execution's ARN), so a retried step does not say it twice (None then).

    ``live`` False: the entry is stored but not published; the caller publishes it (`announce`) once its work has
    succeeded, so a retried step's live event follows the attempt that succeeds, not the one that wrote the entry."""
    from pagerless.auth.actors import name_of

    now = at or utcnow()
    name = actor_name if actor_name is not None else name_of(incident.workspace, actor)
    if name:
        data = {**(data or {}), "actor_name": name}
    fields = {"actor": actor, "message": message, "data": data or {}, "workspace": incident.workspace}
    if once is not None:
        if not put_new(item := timeline_item(incident.id, now, event_type, key=once_key(now, once), **fields)):
            return None
    elif write is None:
        item = append_timeline(incident.id, now, event_type, **fields)
    elif not write(item := timeline_item(incident.id, now, event_type, **fields)):
        return None
    if live:
        publish(
            incident.workspace,
            stream_type or event_type,
            incident_id=incident.id,
            data={"message": message, "actor": actor, **(data or {})},
        )
    return item


def announce(
    incident,
    event_type: str,
    message: str = "",
    *,
    actor: str = "system",
    data: dict | None = None,
    entry: str | None = None,
) -> int | None:
    """Publish the live (stream) event of an entry `record` stored with ``live=False``, as `record` would have.

    ``entry`` (the stored entry's key): at most once for it, whichever attempt of a retried step gets here first
    (one whose earlier attempt sent it and lost only its answer sends nothing: None)."""
    from pagerless.auth.actors import name_of

    if name := name_of(incident.workspace, actor):
        data = {**(data or {}), "actor_name": name}
    said = {"message": message, "actor": actor, **(data or {})}
    if entry is None:
        return publish(incident.workspace, event_type, incident_id=incident.id, data=said)
    return announce_once(
        incident.workspace,
        utcnow(),
        event_type,
        incident_id=incident.id,
        entry_key=entry,
        data=said,
        retention_seconds=STREAM_RETENTION_SECONDS,
    )


@dataclass(frozen=True)
class Entry:
    """One timeline entry of a change that stores several (`record_all`)."""

    event_type: str
    message: str = ""
    data: dict = field(default_factory=dict)
    stream_type: str | None = None


def record_all(
    incident,
    entries: Sequence[Entry],
    *,
    write: Callable[[list[TimelineRecord]], bool],
    actor: str = "system",
) -> list[TimelineRecord] | None:
    """`record` for a change that several entries describe: ``write(items)`` stores them with the
    change in one transaction (False: the change was not made, and nothing is recorded or
    published: None); then each is published, in order."""
    from pagerless.auth.actors import name_of

    now = utcnow()
    name = name_of(incident.workspace, actor)
    items = [
        # a microsecond apart: the timeline (its keys sort by time first) keeps them in this order
        timeline_item(
            incident.id,
            now + timedelta(microseconds=n),
            entry.event_type,
            actor=actor,
            message=entry.message,
            data={**entry.data, "actor_name": name} if name else dict(entry.data),
            workspace=incident.workspace,
        )
        for n, entry in enumerate(entries)
    ]
    if not write(items):
        return None
    for entry, item in zip(entries, items, strict=True):
        publish(
            incident.workspace,
            entry.stream_type or entry.event_type,
            incident_id=incident.id,
            data={"message": entry.message, "actor": actor, **item.data},
        )
    return items


def once_entry(at: datetime, once: str) -> str:
    """The key of the entry `record` writes once for ``once`` at ``at`` (what `announce` takes as its ``entry``)."""
    return once_key(at, once)


def recorded(incident_id: str, event_type: str) -> bool:
    """Whether the incident's timeline has a stored entry of ``event_type``."""
    return has_item(incident_id, event_type)


def recorded_with(incident_id: str, event_type: str, **data) -> bool:
    """Whether the incident's timeline has a stored entry of ``event_type`` whose data holds ``data``."""
    return entry_with(incident_id, event_type, **data) is not None


def entry_with(incident_id: str, event_type: str, **data) -> TimelineRecord | None:
    """The incident's first stored entry of ``event_type`` whose data holds ``data``, or None."""
    items = items_of_type(incident_id, event_type)
    return next((item for item in items if all(item.data.get(k) == v for k, v in data.items())), None)


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


def timeline(
    incident_id: str,
    *,
    limit: int | None = 500,
    incident: IncidentRecord | None = None,
    children_of: Callable[[IncidentRecord], list[IncidentRecord]] | None = None,
) -> list[TimelineRecord]:
    """The incident's timeline, oldest first: its stored items plus the rendered correlation
    entries (see the module docstring); at most ``limit`` entries, the first (None: all).

    ``incident``: its item, when the caller has it (otherwise it is read, to know its children)."""
    if limit is not None:
        return timeline_page(incident_id, limit=limit, incident=incident, children_of=children_of)[0]
    stored = timeline_items(incident_id, limit=None)
    return _with_rendered(incident_id, stored, stored, incident, children_of)


def timeline_page(
    incident_id: str,
    *,
    limit: int,
    cursor: str | None = None,
    incident: IncidentRecord | None = None,
    children_of: Callable[[IncidentRecord], list[IncidentRecord]] | None = None,
) -> tuple[list[TimelineRecord], str | None]:
    """A page of the incident's timeline (`timeline`): ``limit`` entries after ``cursor``, and the cursor of the
    next page (None on the last). Every entry, rendered ones too, has a key that sorts it (its time first); the
    cursor names the last one returned, so a page resumes exactly after it (a bad cursor is a ValidationError).

    The stored items are read from that key on, the item of that key included (a ``correlated`` entry is
    rendered from the ``incident_created`` item before it), two more than ``limit``: when the query is cut
    there, a rendered entry past its last item belongs to a later page, and at least one entry is left for it."""
    after = timeline_position(incident_id, cursor)
    stored = timeline_items(incident_id, limit=limit + 2, from_key=after)
    cut = len(stored) == limit + 2
    # an older parent's stored child_correlated items, which its rendered ones must not repeat, may be on other pages
    older = stored if after is None and not cut else None
    entries = [
        e for e in _with_rendered(incident_id, stored, older, incident, children_of) if not after or e.sk > after
    ]
    if cut:
        entries = [e for e in entries if e.sk <= stored[-1].sk]
    page = entries[:limit]
    return page, (timeline_cursor(incident_id, page[-1].sk) if len(entries) > limit else None)


def _with_rendered(
    incident_id: str,
    stored: list[TimelineRecord],
    whole: list[TimelineRecord] | None,
    incident: IncidentRecord | None,
    children_of: Callable[[IncidentRecord], list[IncidentRecord]] | None,
) -> list[TimelineRecord]:
    """``stored`` with the correlation entries rendered for it, in key order. ``whole``: the whole stored
    timeline, when ``stored`` is it (otherwise its stored ``child_correlated`` items are read)."""
    entries = [*stored, *_child_entries(stored)]
    if incident is None:
        incident = _incident(incident_id)
    if incident is not None and int(incident.child_count or 0) > 0:
        children = (children_of or IncidentRepository().children_of)(incident)
        recorded = whole if whole is not None else items_of_type(incident_id, "child_correlated")
        entries += _parent_entries(incident.id, recorded, children)
    return sorted(entries, key=lambda e: e.sk)


def _child_entries(stored: list[TimelineRecord]) -> list[TimelineRecord]:
    """A child's ``correlated`` entry, from the correlation its ``incident_created`` carries (right after it)."""
    return [
        _rendered(
            item.incident_id,
            f"{item.sk}#correlated",
            item.at,
            "correlated",
            item.data["correlation_reason"],
            {"parent_id": item.data.get("parent_id")},
        )
        for item in stored
        if item.type == "incident_created" and (item.data or {}).get("correlation_reason")
    ]


def _parent_entries(
    parent_id: str, recorded: list[TimelineRecord], children: list[IncidentRecord]
) -> list[TimelineRecord]:
    """A parent's ``child_correlated`` entries, one per child not named by a stored one (``recorded``), each
    after the items stored at the child's creation time."""
    named = {(item.data or {}).get("child_id") for item in recorded if item.type == "child_correlated"}
    return [
        _rendered(
            parent_id,
            f"{child.created_at.isoformat()}#~{child.id}",
            child.created_at,
            "child_correlated",
            child.correlation_reason or "",
            {"child_id": child.id, "title": child.title},
        )
        for child in children
        if child.parent_id == parent_id and child.id not in named
    ]


def _rendered(incident_id: str, key: str, at: datetime, event_type: str, message: str, data: dict) -> TimelineRecord:
    """An entry shown on the timeline and never stored (its ``key`` sorts it among the stored items' keys,
    which start with their time: `store.timeline.timeline_key`)."""
    return TimelineRecord(incident_id, key, at=at, type=event_type, actor="system", message=message, data=data)


def _incident(incident_id: str) -> IncidentRecord | None:
    try:
        return IncidentRepository().get(incident_id)
    except NotFoundError:
        return None
