"""The workspace event stream as Server-Sent Events.

Every event carries `id: <seq>` (the per-workspace sequence number), so a client resumes with
`Last-Event-ID`. Each event takes the stream's newest number plus one with a conditional put
(store.timeline.append_stream_event), so the stream has no holes; the gap hold below stays for
events that expired (TTL) or were written by an older version (a counter, then the event): when
seq n+1 is missing while a later one is present, the stream holds back for up to
`gap_hold_seconds` before skipping it. A stream whose events all expired starts again at 1: a
client whose `Last-Event-ID` is ahead of the newest event resumes from the start. A connection lasts at most `max_seconds` (API Gateway and
Lambda buffer the response), starts with a `retry:` hint and sends heartbeat comments.
"""

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pagerless.incidents import timeline_names
from pagerless.store.timeline import StreamEventRecord, latest_stream_seq, stream_events_after

RETRY_MS = 2000
_EVENT_ID = re.compile(r"[0-9]{1,19}")


@dataclass
class StreamOptions:
    max_seconds: float = 25.0
    poll_seconds: float = 0.5
    heartbeat_seconds: float = 10.0
    gap_hold_seconds: float = 2.0
    seed_000_events: bool = True  # also send seed 000's event names (the console has no use for them)


def parse_event_id(text: str | None) -> int | None:
    """A ``Last-Event-ID`` a client sends back: ASCII digits (``str.isdigit`` also takes "²"), else None."""
    text = (text or "").strip()
    return int(text) if _EVENT_ID.fullmatch(text) else None


def latest_seq(workspace: str) -> int:
    return latest_stream_seq(workspace)


def format_event(event: StreamEventRecord, *, seed_000_events: bool = True, names: dict | None = None) -> str:
    """The event as SSE text. ``names``: what `named` resolved for it (its ``names`` and ``text``), if anything."""
    data = {"type": event.type, "incident_id": event.incident_id, "at": event.at.isoformat(), **(event.data or {})}
    data |= names or {}
    if event.type == "incident_created":  # seed 000's incident_created names the incident as id and title
        data = {"id": event.incident_id, "title": data.get("message", ""), **data}
    text = f"id: {int(event.seq)}\nevent: {event.type}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
    alias = _seed_000_event(event.type, event.incident_id, event.data or {}) if seed_000_events else None
    if alias is not None:
        name, fields = alias
        fields = {"type": name, "at": data["at"], **fields}
        # No id of its own: a client's Last-Event-ID stays the event's, so a resume sends neither again.
        text += f"event: {name}\ndata: {json.dumps(fields, ensure_ascii=False)}\n\n"
    return text


_SUCCEEDED = ("succeeded", "no_change")


def named(workspace: str, event: StreamEventRecord, known: dict[str, str]) -> dict:
    """For an event that names people or API keys by id (its message, actor or data: a timeline entry's, as
    `timeline.record` publishes it), their names as a person watching the stream reads them: ``names`` (id ->
    name) and ``text`` (its message with each id shown as "name (id)"), as the timeline API gives them
    (`timeline_names`); the ids stay where they are. ``known``: names looked up earlier on this connection (a
    person deleted since is named by id). Nothing for an event that names nobody."""
    data = dict(event.data or {})
    entry = {"message": data.get("message") or "", "actor": data.get("actor") or "", "data": data}
    entry["actor_name"] = data.get("actor_name") or ""
    ids = timeline_names.ids_of(entry)
    if not ids:
        return {}
    unknown = {i for i in ids if i not in known}
    if unknown:
        known.update(dict.fromkeys(unknown, ""))
        known.update(timeline_names.names_of(workspace, unknown))
    found = {i: known[i] for i in sorted(ids) if known.get(i)}
    said = timeline_names.said(entry, found)
    return {"names": found, "text": said["text"]} | ({"actor_label": said["actor_label"]} if data.get("actor") else {})


def _seed_000_event(event_type: str, incident_id: str | None, data: dict) -> tuple[str, dict] | None:
    """The event seed 000 (ai-fixer) names for this one, with its fields: a diagnosis is also
    ``diagnosis_completed``, an executed action also ``execution_completed``."""
    if event_type == "diagnosed":
        return "diagnosis_completed", {
            "incident_id": incident_id,
            "conclusion": data.get("message", ""),
            "category": data.get("category"),
            "confidence": data.get("confidence"),
        }
    if event_type == "action_executed":
        return "execution_completed", {
            "incident_id": incident_id,
            "success": data.get("status") in _SUCCEEDED,
            "action": data.get("action"),
        }
    return None


def stream_events(
    workspace: str,
    last_event_id: int | None,
    options: StreamOptions | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    read_after: Callable[[str, int], Iterable[StreamEventRecord]] = stream_events_after,
    keep: Callable[[StreamEventRecord], bool] | None = None,
) -> Iterator[str]:
    """SSE text chunks for events after ``last_event_id`` (None: only events from now on).

    ``read_after(workspace, seq)`` reads the stored events above ``seq`` in order (the store's, by default). An
    event naming people or keys by id carries their names too (`named`). ``keep``: whether an event is sent (a
    services-scoped key's stream: `key_scope.stream_filter`); one left out still moves the stream past it."""
    options = options or StreamOptions()
    known: dict[str, str] = {}
    started = clock()
    if last_event_id is None:
        last = latest_seq(workspace)
    elif last_event_id > 0 and last_event_id > latest_seq(workspace):
        last = 0  # the client is ahead of the stream: it started again (its events expired)
    else:
        last = last_event_id
    yield f"retry: {RETRY_MS}\n: connected, resuming after {last}\n\n"
    last_sent = started
    gap_since: float | None = None
    while clock() - started < options.max_seconds:
        emitted = False
        for event in read_after(workspace, last):
            seq = int(event.seq)
            if seq != last + 1:
                gap_since = gap_since if gap_since is not None else clock()
                if clock() - gap_since < options.gap_hold_seconds:
                    break  # the missing event may still be landing
            gap_since = None
            last = seq
            if keep is not None and not keep(event):
                continue
            emitted = True
            names = named(workspace, event, known)
            yield format_event(event, seed_000_events=options.seed_000_events, names=names)
        if emitted:
            last_sent = clock()
        elif clock() - last_sent >= options.heartbeat_seconds:
            last_sent = clock()
            yield ": heartbeat\n\n"
        remaining = options.max_seconds - (clock() - started)
        if remaining <= 0:
            break
        sleep(min(options.poll_seconds, remaining))
