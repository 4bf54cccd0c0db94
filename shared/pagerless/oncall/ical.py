"""RFC 5545 export of a rendered schedule: one VEVENT per shift, times in UTC.

A shift's UID is its schedule, its layer (or override) and its real start, so a calendar that
downloads the feed again, over another range, updates the same events instead of adding copies;
the caller passes whole shifts (`feed_shifts`), not ones cut at the range's bounds. An event names
the person by their display name (``name``; the caller's falls back to the id for a person deleted since).

An event is one rotation at most: a layer's shift is cut at each of its handoffs, also those to the same
person (a one-person layer's shift would otherwise run from its first handoff to wherever the range ends,
one event whose end moved with every download), and the last one ends at its layer's next handoff, not at
the range's end. So every download of the feed says the same thing about the same event.
"""

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pagerless.oncall.lookup import render_whole
from pagerless.oncall.schedules import Layer, Schedule, Shift, handoffs

LOOKAHEAD = timedelta(days=366)  # how far past the range a layer's next handoff is looked for

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what a TEXT value may not hold (RFC 5545 3.3.11)


def _escape(text: str) -> str:
    """A TEXT value: a line break of any kind (CRLF, CR, LF) as ``\\n``, other control characters dropped; a raw
    CR would end the content line early in a calendar app."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a single space (RFC 5545 3.1)."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return [out[0], *(" " + part for part in out[1:])]


def feed_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The shifts from ``start`` to ``end`` as the feed's events: whole, one rotation each (see above)."""
    zone = ZoneInfo(schedule.timezone)
    end = end.astimezone(UTC)
    after = [_next_handoff(layer, zone, end) for layer in schedule.layers]
    reach = max([end, *(at for at in after if at is not None)])
    layers = {layer.name: layer for layer in schedule.layers}
    shifts = []
    for shift in render_whole(schedule, start, reach):
        layer = layers.get(shift.layer) if shift.override_id is None else None
        shifts += _per_rotation(shift, layer, zone) if layer is not None else [shift]
    return [s for s in shifts if s.start < end and s.end > start]


def _next_handoff(layer: Layer, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The layer's first handoff after ``after`` (within `LOOKAHEAD`), or None."""
    if not layer.participants:
        return None
    reach = timedelta(days=1)
    while True:
        found = [at for at, _ in handoffs(layer, zone, after + reach, since=after) if at > after]
        if found:
            return found[0]
        if reach >= LOOKAHEAD:
            return None
        reach = min(reach * 2, LOOKAHEAD)


def _per_rotation(shift: Shift, layer: Layer, zone: ZoneInfo) -> list[Shift]:
    """``shift`` cut at each handoff of its layer inside it."""
    cuts = [at for at, _ in handoffs(layer, zone, shift.end, since=shift.start) if shift.start < at < shift.end]
    bounds = [shift.start, *cuts, shift.end]
    return [replace(shift, start=lo, end=hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(
    schedule_id: str,
    name: str,
    shifts: list[Shift],
    *,
    now: datetime,
    person_name: Callable[[str], str | None] = lambda person_id: person_id,
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pagerless//On-call schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for shift in shifts:
        source = f"override {shift.override_id}" if shift.override_id else f"layer {shift.layer}"
        origin = f"override-{shift.override_id}" if shift.override_id else f"layer-{shift.layer}"
        who = person_name(shift.person_id) or shift.person_id
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_escape(f'{schedule_id}-{origin}-{_stamp(shift.start)}')}@pagerless",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(shift.start)}",
            f"DTEND:{_stamp(shift.end)}",
            f"SUMMARY:{_escape(f'On call: {who} ({name})')}",
            f"DESCRIPTION:{_escape(f'{who} ({shift.person_id}) is on call for {name} ({source}).')}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
