"""On-call schedules: pure resolution of who is on call when.

A schedule has a timezone and layers; a layer rotates its participants at the occurrences of an
RRULE whose start is the rotation's first handoff in *local wall time*. Occurrences are computed
as naive local datetimes and only then given the schedule's zone, so a 09:00 handoff stays at 09:00
local across both DST changes. Restrictions limit a layer to local windows (weekdays 09:00-18:00);
a later layer wins over an earlier one where both have someone; overrides win over every layer,
and where overrides overlap the later one in ``Schedule.overrides`` (the newest) wins.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Restriction:
    """A local window on the given weekdays; ``end <= start`` means it runs past midnight."""

    start: time
    end: time
    days: tuple[str, ...] = WEEKDAYS


@dataclass(frozen=True)
class Layer:
    name: str
    participants: tuple[str, ...]
    rotation_start: date
    handoff_time: time
    rrule: str = "FREQ=WEEKLY"
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Override:
    id: str
    person_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Schedule:
    id: str
    name: str
    timezone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = field(default=())  # oldest first: a later one wins where they overlap


@dataclass(frozen=True)
class Shift:
    """One stretch of the final schedule: who is on call from ``start`` (inclusive) to ``end``."""

    start: datetime
    end: datetime
    person_id: str
    layer: str | None = None  # None for an override
    rotation_index: int | None = None  # the participant's index in the layer
    override_id: str | None = None


@lru_cache(maxsize=256)
def _rule(rrule: str, dtstart: datetime):
    return rrulestr(rrule, dtstart=dtstart, cache=True)


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Wall time in the zone as UTC (fold=0: the first of a repeated hour; a skipped time moves forward).

    Internally everything is UTC: Python compares and subtracts datetimes that share a tzinfo by
    wall time, which is wrong across a DST change.
    """
    return naive.replace(tzinfo=zone).astimezone(UTC)


def handoffs(layer: Layer, zone: ZoneInfo, until: datetime) -> list[tuple[datetime, int]]:
    """The layer's handoffs (aware, UTC, strictly increasing) up to ``until``, each with its occurrence count.

    A handoff in a skipped hour moves forward by the hour (`_localize`); where that reaches a later
    handoff of the layer (rotations of an hour or less), the later one wins and the moved ones are
    dropped, so shifts never overlap and the answer does not depend on how far ``until`` reaches.
    """
    dtstart = datetime.combine(layer.rotation_start, layer.handoff_time)
    found: list[tuple[datetime, int]] = []
    for count, naive in enumerate(_rule(layer.rrule, dtstart)):
        at = _localize(naive, zone)
        moved = at.astimezone(zone).replace(tzinfo=None) != naive
        if at >= until:
            if moved:  # a later handoff may still come before it
                continue
            break
        while found and found[-1][0] >= at:
            found.pop()
        found.append((at, count))
    return found


def _layer_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    if not layer.participants:
        return []
    points = handoffs(layer, zone, end)
    shifts = []
    for i, (at, count) in enumerate(points):
        shift_end = points[i + 1][0] if i + 1 < len(points) else end
        if shift_end <= start:
            continue
        index = count % len(layer.participants)
        shifts.append(Shift(max(at, start), min(shift_end, end), layer.participants[index], layer.name, index))
    if layer.restrictions:
        shifts = [s for shift in shifts for s in _restrict(shift, layer.restrictions, zone)]
    return shifts


def _windows(restrictions: tuple[Restriction, ...], zone: ZoneInfo, start: datetime, end: datetime):
    day = start.astimezone(zone).date() - timedelta(days=1)  # a window may start the evening before
    last = end.astimezone(zone).date()
    while day <= last:
        for r in restrictions:
            if WEEKDAYS[day.weekday()] in r.days:
                begin = _localize(datetime.combine(day, r.start), zone)
                stop_day = day + timedelta(days=1) if r.end <= r.start else day
                yield begin, _localize(datetime.combine(stop_day, r.end), zone)
        day += timedelta(days=1)


def _restrict(shift: Shift, restrictions: tuple[Restriction, ...], zone: ZoneInfo) -> list[Shift]:
    parts = []
    for begin, stop in _windows(restrictions, zone, shift.start, shift.end):
        lo, hi = max(begin, shift.start), min(stop, shift.end)
        if lo < hi:
            parts.append(Shift(lo, hi, shift.person_id, shift.layer, shift.rotation_index))
    return _merge(sorted(parts, key=lambda s: s.start))


def _merge(shifts: list[Shift]) -> list[Shift]:
    merged: list[Shift] = []
    for shift in shifts:
        last = merged[-1] if merged else None
        if (
            last
            and last.end >= shift.start
            and (last.person_id, last.layer, last.rotation_index, last.override_id)
            == (shift.person_id, shift.layer, shift.rotation_index, shift.override_id)
        ):
            merged[-1] = Shift(
                last.start, max(last.end, shift.end), last.person_id, last.layer, last.rotation_index, last.override_id
            )
        else:
            merged.append(shift)
    return merged


def render(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final schedule from ``start`` to ``end``: layers stacked (last on top), overrides over all.

    Times come back in UTC; gaps (nobody on call) are simply absent.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    zone = ZoneInfo(schedule.timezone)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    stacks = [_layer_shifts(layer, zone, start, end) for layer in schedule.layers]
    stacks.append(
        [
            Shift(max(o.start.astimezone(UTC), start), min(o.end.astimezone(UTC), end), o.person_id, override_id=o.id)
            for o in schedule.overrides
            if o.start < end and o.end > start
        ]
    )
    edges = sorted({start, end, *(t for stack in stacks for s in stack for t in (s.start, s.end))})
    pieces = []
    for lo, hi in pairwise(edges):
        top = _top(stacks, lo)
        if top is not None:
            pieces.append(Shift(lo, hi, top.person_id, top.layer, top.rotation_index, top.override_id))
    return _merge(pieces)


def _top(stacks: list[list[Shift]], at: datetime) -> Shift | None:
    """The shift on top at ``at``: the last stack's, and in a stack the last one (only overrides overlap)."""
    for stack in reversed(stacks):
        for shift in reversed(stack):
            if shift.start <= at < shift.end:
                return shift
    return None


def on_call(schedule: Schedule, at: datetime) -> Shift | None:
    """Who is on call at ``at`` (the whole shift around it, not cut at ``at``), or None."""
    window = render(schedule, at - timedelta(days=45), at + timedelta(days=45))
    return next((s for s in window if s.start <= at < s.end), None)


def next_handoff(schedule: Schedule, at: datetime, horizon: timedelta = timedelta(days=45)) -> Shift | None:
    """The first shift after ``at`` whose person differs from the one on call at ``at``."""
    current = on_call(schedule, at)
    for shift in render(schedule, at, at + horizon):
        if shift.start > at and (current is None or shift.person_id != current.person_id):
            return shift
    return None


def handoffs_between(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[Shift | None, Shift]]:
    """Handoffs (outgoing shift or None, incoming shift) whose moment falls in ``[start, end)``."""
    shifts = render(schedule, start - timedelta(days=45), end)
    found = []
    for i, shift in enumerate(shifts):
        if not start <= shift.start < end:
            continue
        previous = shifts[i - 1] if i and shifts[i - 1].end == shift.start else None
        if previous is None or previous.person_id != shift.person_id:
            found.append((previous, shift))
    return found
