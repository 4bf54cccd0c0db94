"""The timeline and the workspace event stream (for SSE) in DynamoDB: their records, and every
read and write of them, by intent.

- TimelineRecord: everything that happened to an incident, in time order.
- StreamEventRecord: per-workspace events with a strictly increasing ``seq`` (an atomic counter),
  which the SSE endpoint uses as the event id for `Last-Event-ID` resumption.
"""

import hashlib
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from pagerless.domain.actors import label
from pagerless.domain.errors import ConflictError
from pagerless.domain.incidents import (
    ACKNOWLEDGED_EVENT,
    OLDER_RESOLVE_EVENT,
    REOPENED_EVENT,
    RESOLVED_EVENT,
    period_event,
)
from pagerless.store.base import (
    BaseModel,
    Region,
    TableName,
    cancellation_codes,
    decode_cursor,
    encode_cursor,
    lost_race,
    written,
)

# Backoff jitter draws from its own generator: the global one is the application's (and a test's) to seed.
_JITTER = random.Random()

STREAM_ATTEMPTS = 100


class Reopens(GlobalSecondaryIndex):
    """The reopens of a workspace, by time: a sparse index of the ``incident_reopened`` items alone
    (only they carry ``reopened_in``). Each reopen's item enters it once: one index write per reopen,
    never a key change (docs/writes.md). Reports find the incidents reopened in their period here."""

    class Meta:
        index_name = "reopens"
        projection = KeysOnlyProjection()

    reopened_in = UnicodeAttribute(hash_key=True)  # the workspace
    sk = UnicodeAttribute(range_key=True)


class TimelineRecord(BaseModel):
    class Meta:
        table_name = TableName("timeline")
        region = Region()

    incident_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<iso time>#<uuid>"
    at = UTCDateTimeAttribute()
    type = UnicodeAttribute()  # e.g. incident_created, alert_received, status_changed, approved
    actor = UnicodeAttribute(default="system")
    message = UnicodeAttribute(default="")
    data = JSONAttribute(default=dict)
    reopened_in = UnicodeAttribute(null=True)  # the workspace, on an incident_reopened item only
    # the stream seq of its live event, on an entry whose live event is sent apart from it (`announce_once`)
    announced = NumberAttribute(null=True)

    reopens = Reopens()

    def to_dict(self) -> dict:
        name = (self.data or {}).get("actor_name", "")
        return {
            "at": self.at.isoformat(),
            "type": self.type,
            "actor": self.actor,
            "actor_name": name,
            "actor_label": label(self.actor, name),
            "message": self.message,
            "data": self.data or {},
        }


class StreamEventRecord(BaseModel):
    class Meta:
        table_name = TableName("events")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    type = UnicodeAttribute()
    incident_id = UnicodeAttribute(null=True)
    data = JSONAttribute(default=dict)
    expires_at = NumberAttribute(null=True)  # TTL: the stream keeps a few days


def timeline_key(at: datetime) -> str:
    return f"{at.isoformat()}#{uuid.uuid4().hex[:12]}"


def append_timeline(
    incident_id: str,
    at: datetime,
    event_type: str,
    *,
    actor: str,
    message: str,
    data: dict,
    workspace: str | None = None,
) -> TimelineRecord:
    """Put one timeline item (its key sorts by time; a uuid suffix keeps simultaneous items apart).
    A reopen of an incident of ``workspace`` is also indexed under it (`Reopens`)."""
    item = timeline_item(incident_id, at, event_type, actor=actor, message=message, data=data, workspace=workspace)
    item.save()
    return item


def once_key(at: datetime, once: str) -> str:
    """The key of an entry written at most once for ``once`` (a workflow execution's ARN) at ``at``:
    every write of it has the same key (it still sorts by time), so `put_new` stores it once."""
    return f"{at.isoformat()}#{hashlib.sha256(once.encode()).hexdigest()[:12]}"


def put_new(item: TimelineRecord) -> bool:
    """Put ``item`` unless an item of its key is stored (a retried step wrote it); False then."""
    return written(item.save, condition=TimelineRecord.sk.does_not_exist())


def timeline_item(
    incident_id: str,
    at: datetime,
    event_type: str,
    *,
    actor: str,
    message: str,
    data: dict,
    workspace: str | None = None,
    key: str | None = None,
) -> TimelineRecord:
    """The item `append_timeline` puts, not saved: for a change that puts it in its own transaction
    (``key``: its sort key, if not a new one)."""
    return TimelineRecord(
        incident_id,
        key or timeline_key(at),
        at=at,
        type=event_type,
        actor=actor,
        message=message,
        data=data,
        reopened_in=workspace if event_type == REOPENED_EVENT else None,
    )


def reopens_between(workspace: str, start: datetime, end: datetime) -> dict[str, list[datetime]]:
    """The incidents of ``workspace`` reopened in [start, end): incident id → the times of those reopens."""
    lo, hi = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
    found: dict[str, list[datetime]] = {}
    for item in TimelineRecord.reopens.query(workspace, TimelineRecord.sk.between(lo, hi)):
        at = datetime.fromisoformat(item.sk.rsplit("#", 1)[0])
        if start <= at < end:
            found.setdefault(item.incident_id, []).append(at)
    return found


def _entries_of(incident_id: str, *kinds: str) -> list[tuple[TimelineRecord, str]]:
    """The incident's entries of ``kinds`` with the type each is read as (`domain.incidents.period_event`: an
    older workflow resolve's ``status_changed`` entry is a resolve), oldest first: one query of its timeline,
    filtered on the type (the filter saves no read capacity, only what comes back)."""
    wanted = {*kinds, *((OLDER_RESOLVE_EVENT,) if RESOLVED_EVENT in kinds else ())}
    items = TimelineRecord.query(
        incident_id,
        filter_condition=TimelineRecord.type.is_in(*sorted(wanted)),
        attributes_to_get=["incident_id", "sk", "at", "type", "actor", "data"],
    )
    read = ((item, period_event(item.type, item.data)) for item in items)
    return [(item, kind) for item, kind in read if kind in kinds]


def resolves_and_reopens(incident_id: str) -> list[tuple[datetime, str]]:
    """The (time, type) of the incident's resolves and ``incident_reopened`` entries, oldest first (what
    `domain.incidents.open_periods` reads)."""
    return [(item.at, kind) for item, kind in _entries_of(incident_id, RESOLVED_EVENT, REOPENED_EVENT)]


def episode_entries(incident_id: str) -> list[tuple[datetime, str, str | None]]:
    """The (time, type, who) of the incident's acknowledgements, resolves and reopens, oldest first: what
    tells one firing of a reopened incident from the next (`reports.data.episode_in`). ``who`` is a resolve's
    ``resolved_by`` (else its actor), an acknowledgement's actor."""
    return [
        (item.at, kind, (item.data or {}).get("resolved_by") or item.actor)
        for item, kind in _entries_of(incident_id, ACKNOWLEDGED_EVENT, RESOLVED_EVENT, REOPENED_EVENT)
    ]


def has_item(incident_id: str, event_type: str) -> bool:
    """Whether the incident's timeline holds an item of ``event_type`` (a consistent read)."""
    items = TimelineRecord.query(incident_id, filter_condition=TimelineRecord.type == event_type, consistent_read=True)
    return next(iter(items), None) is not None


def timeline_items(incident_id: str, *, limit: int | None = 500, from_key: str | None = None) -> list[TimelineRecord]:
    """The stored items of an incident's timeline, oldest first (``incidents.timeline`` adds the rendered ones);
    with ``from_key``, those whose key sorts at or after it (the item of that key included)."""
    return list(TimelineRecord.query(incident_id, TimelineRecord.sk >= from_key if from_key else None, limit=limit))


def items_of_type(incident_id: str, event_type: str) -> list[TimelineRecord]:
    """The incident's stored items of ``event_type``, oldest first (one query, filtered on the type)."""
    return list(TimelineRecord.query(incident_id, filter_condition=TimelineRecord.type == event_type))


def timeline_cursor(incident_id: str, key: str) -> str:
    """The opaque cursor of a page of ``incident_id``'s timeline whose last entry sorts at ``key``."""
    return encode_cursor({"incident_id": {"S": incident_id}, "sk": {"S": key}})


def timeline_position(incident_id: str, cursor: str | None) -> str | None:
    """The key a cursor of ``incident_id``'s timeline (`timeline_cursor`) names; ValidationError (400) if it is
    not one, or is another incident's."""
    key = decode_cursor(cursor, TimelineRecord, partition=incident_id)
    return key["sk"]["S"] if key else None


def append_stream_event(
    workspace: str,
    at: datetime,
    event_type: str,
    *,
    incident_id: str | None,
    data: dict,
    retention_seconds: int,
) -> int:
    """Put an event at the next sequence number of the workspace stream; returns that number.

    No counter item: the number is the stream's newest plus one (a consistent read), taken by a
    conditional put (one write); a concurrent writer that took it first makes this one read again
    and take the next (a refused put costs one write unit, no item). So the stream has no holes:
    seq n+1 exists once it is allocated. An empty stream (new, or every event expired) starts at 1."""
    pause = 0.005
    for _ in range(STREAM_ATTEMPTS):
        seq = _newest_seq(workspace) + 1
        event = _stream_event(workspace, seq, at, event_type, incident_id, data, retention_seconds)
        if written(event.save, condition=StreamEventRecord.seq.does_not_exist()):
            return seq
        time.sleep(pause * _JITTER.uniform(0.5, 1.5))
        pause = min(pause * 2, 0.2)
    raise ConflictError(f"could not take a stream sequence number of workspace {workspace}")


def announce_once(
    workspace: str,
    at: datetime,
    event_type: str,
    *,
    incident_id: str,
    entry_key: str,
    data: dict,
    retention_seconds: int,
) -> int | None:
    """`append_stream_event` for the live event of the stored timeline entry ``entry_key`` of ``incident_id``, at most
    once: the event is put in one transaction with the entry's ``announced`` mark, conditional on its absence (a
    retried step whose first attempt sent it, and only lost its answer, sends nothing). Its seq, or None when the
    entry was announced already (or is not stored)."""
    pause = 0.005
    for _ in range(STREAM_ATTEMPTS):
        seq = _newest_seq(workspace) + 1
        event = _stream_event(workspace, seq, at, event_type, incident_id, data, retention_seconds)
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, TimelineRecord))) as tx:
                tx.save(event, condition=StreamEventRecord.seq.does_not_exist())
                tx.update(
                    TimelineRecord(incident_id, entry_key),
                    actions=[TimelineRecord.announced.set(seq)],
                    condition=TimelineRecord.sk.exists() & TimelineRecord.announced.does_not_exist(),
                )
        except TransactWriteError as exc:
            if cancellation_codes(exc)[1:2] == ["ConditionalCheckFailed"]:
                return None  # announced already
            if not lost_race(exc, 0):
                raise
            time.sleep(pause * _JITTER.uniform(0.5, 1.5))  # another writer took the seq: the next one
            pause = min(pause * 2, 0.2)
            continue
        return seq
    raise ConflictError(f"could not take a stream sequence number of workspace {workspace}")


def _stream_event(workspace, seq, at, event_type, incident_id, data, retention_seconds) -> StreamEventRecord:
    """The workspace stream's event ``seq``, kept ``retention_seconds``."""
    return StreamEventRecord(
        workspace,
        seq,
        at=at,
        type=event_type,
        incident_id=incident_id,
        data=data,
        expires_at=int(time.time()) + retention_seconds,
    )


def _newest_seq(workspace: str) -> int:
    newest = next(
        iter(StreamEventRecord.query(workspace, scan_index_forward=False, limit=1, consistent_read=True)), None
    )
    return int(newest.seq) if newest else 0


def latest_stream_seq(workspace: str) -> int:
    """The newest sequence number of the workspace stream (0 when empty), read consistently."""
    return _newest_seq(workspace)


def stream_events_after(workspace: str, seq: int, *, limit: int = 200) -> Iterator[StreamEventRecord]:
    """Events with a sequence number above ``seq``, in order, read consistently."""
    return StreamEventRecord.query(workspace, StreamEventRecord.seq > seq, consistent_read=True, limit=limit)
