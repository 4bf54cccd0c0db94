"""Every read and write of the timeline and events tables, by intent."""

import time
from collections.abc import Iterator
from datetime import datetime

from pagerless.store.incidents import StreamEventRecord, TimelineRecord, timeline_key


def append_timeline(
    incident_id: str, at: datetime, event_type: str, *, actor: str, message: str, data: dict
) -> TimelineRecord:
    """Put one timeline item (its key sorts by time; a uuid suffix keeps simultaneous items apart)."""
    item = TimelineRecord(
        incident_id, timeline_key(at), at=at, type=event_type, actor=actor, message=message, data=data
    )
    item.save()
    return item


def timeline_items(incident_id: str, *, limit: int = 500) -> list[TimelineRecord]:
    return list(TimelineRecord.query(incident_id, limit=limit))


def put_stream_event(
    workspace: str,
    seq: int,
    at: datetime,
    event_type: str,
    *,
    incident_id: str | None,
    data: dict,
    retention_seconds: int,
) -> None:
    StreamEventRecord(
        workspace,
        seq,
        at=at,
        type=event_type,
        incident_id=incident_id,
        data=data,
        expires_at=int(time.time()) + retention_seconds,
    ).save()


def latest_stream_seq(workspace: str) -> int:
    newest = next(iter(StreamEventRecord.query(workspace, scan_index_forward=False, limit=1)), None)
    return int(newest.seq) if newest else 0


def stream_events_after(workspace: str, seq: int, *, limit: int = 200) -> Iterator[StreamEventRecord]:
    """Events with a sequence number above ``seq``, in order, read consistently."""
    return StreamEventRecord.query(workspace, StreamEventRecord.seq > seq, consistent_read=True, limit=limit)
