"""On-call schedules: pure resolution of who is on call when.

A schedule has a timezone and layers; a layer rotates its participants at the occurrences of an
RRULE whose start is the rotation's first handoff in *local wall time*. Occurrences are computed
as naive local datetimes and only then given the schedule's zone, so a 09:00 handoff stays at 09:00
local across both DST changes. Restrictions limit a layer to local windows (weekdays 09:00-18:00);
a later layer wins over an earlier one where both have someone; overrides win over every layer,
and where overrides overlap the later one in ``Schedule.overrides`` (the newest) wins.

An RRULE's UNTIL is UTC (``...Z``) as RFC 5545 asks when the start has a zone, and is compared as
the schedule's wall time of that moment; an UNTIL without ``Z`` is already that wall time.
Occurrences and their counts come from `occurrences`, which computes them for fixed-step rules
rather than counting from the rotation's start, so a lookup costs the same however old the rotation.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from pagerless.oncall.occurrences import Occurrences, occurrences

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
    end: datetime | None  # None only from `on_call`: a shift nothing ends
    person_id: str
    layer: str | None = None  # None for an override
    rotation_index: int | None = None  # the participant's index in the layer
    override_id: str | None = None


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Wall time in the zone as UTC (fold=0: the first of a repeated hour; a skipped time moves forward).

    Internally everything is UTC: Python compares and subtracts datetimes that share a tzinfo by
    wall time, which is wrong across a DST change.
    """
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _wall_bound(naive: datetime, zone: ZoneInfo) -> datetime:
    """The first moment whose wall time in the zone is ``naive`` or later, as UTC.

    It differs from `localize` in a skipped hour: a restriction window bounds the wall times it
    covers, so a bound there is the moment the clocks jump past it (a window until 02:30 ends at
    03:00 when clocks go from 02:00 to 03:00), whereas a handoff there moves forward by the gap.
    """
    at = localize(naive, zone)
    if at.astimezone(zone).replace(tzinfo=None) == naive:
        return at
    lo, hi = naive.replace(tzinfo=zone, fold=1).astimezone(UTC), at  # the offsets after and before the gap
    while hi - lo > timedelta(seconds=1):  # zones change their offsets on whole seconds
        mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
        lo, hi = (lo, mid) if mid.astimezone(zone).replace(tzinfo=None) >= naive else (mid, hi)
    return hi


def layer_occurrences(layer: Layer, zone: ZoneInfo) -> Occurrences:
    return occurrences(layer.rrule, datetime.combine(layer.rotation_start, layer.handoff_time), zone.key)


def handoffs(
    layer: Layer, zone: ZoneInfo, until: datetime, since: datetime | None = None
) -> list[tuple[datetime, int]]:
    """The layer's handoffs (aware, UTC, strictly increasing) up to ``until``, each with its occurrence count;
    with ``since``, only the one in force at ``since`` and those after it.

    A handoff in a skipped hour moves forward by the hour (`localize`); where that reaches a later
    handoff of the layer (rotations of an hour or less), the later one wins and the moved ones are
    dropped, so shifts never overlap and the answer does not depend on how far ``until`` reaches.
    """
    # Occurrences a day or more before ``since`` are only counted: a DST change moves none that far.
    skip_before = since.astimezone(zone).replace(tzinfo=None) - timedelta(days=1) if since else None
    found: list[tuple[datetime, int]] = []
    skipped: tuple[datetime, int] | None = None
    rule = layer_occurrences(layer, zone)
    for count, naive in rule.since(skip_before) if skip_before is not None else rule.all():
        if skip_before is not None and naive < skip_before:
            skipped = (naive, count)
            continue
        if skipped is not None:  # the handoff in force a day before ``since``
            found.append((localize(skipped[0], zone), skipped[1]))
            skipped = None
        at = localize(naive, zone)
        moved = at.astimezone(zone).replace(tzinfo=None) != naive
        if at >= until:
            if moved:  # a later handoff may still come before it
                continue
            break
        while found and found[-1][0] >= at:
            found.pop()
        found.append((at, count))
    if skipped is not None and localize(skipped[0], zone) < until:  # the rrule ended before ``since``
        found.append((localize(skipped[0], zone), skipped[1]))
    return found


@lru_cache(maxsize=256)
def first_handoff(layer: Layer, zone: ZoneInfo) -> datetime | None:
    """The layer's first handoff (UTC; a moved one may give way to the next, see `handoffs`), or None."""
    first = next(iter(layer_occurrences(layer, zone).all()), None)
    found = handoffs(layer, zone, localize(first[1], zone) + timedelta(days=2)) if first else []
    return found[0][0] if found else None


def _layer_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    if not layer.participants:
        return []
    if len(layer.participants) == 1:  # every handoff is to the same person: one shift from the first on
        first = first_handoff(layer, zone)
        late = first is None or first >= end
        shifts = [] if late else [Shift(max(first, start), end, layer.participants[0], layer.name, 0)]
    else:
        points = handoffs(layer, zone, end, since=start)
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
                begin = _wall_bound(datetime.combine(day, r.start), zone)
                stop_day = day + timedelta(days=1) if r.end <= r.start else day
                yield begin, _wall_bound(datetime.combine(stop_day, r.end), zone)
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
    starts = [[s.start for s in stack] for stack in stacks[:-1]]
    pieces = []
    for lo, hi in pairwise(edges):
        top = _top(stacks, starts, lo)
        if top is not None:
            pieces.append(Shift(lo, hi, top.person_id, top.layer, top.rotation_index, top.override_id))
    return _merge(pieces)


def _top(stacks: list[list[Shift]], starts: list[list[datetime]], at: datetime) -> Shift | None:
    """The shift on top at ``at``: the last stack's, and in a stack the last one. Only overrides (the
    last stack) overlap; a layer's shifts are sorted and apart, so its one candidate is found by bisection."""
    for shift in reversed(stacks[-1]):
        if shift.start <= at < shift.end:
            return shift
    for stack, begins in zip(reversed(stacks[:-1]), reversed(starts), strict=True):
        i = bisect_right(begins, at) - 1
        if i >= 0 and at < stack[i].end:
            return stack[i]
    return None
