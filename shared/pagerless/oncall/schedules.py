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
from dataclasses import dataclass, field, replace
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


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Wall time in the zone as UTC (fold=0: the first of a repeated hour; a skipped time moves forward).

    Internally everything is UTC: Python compares and subtracts datetimes that share a tzinfo by
    wall time, which is wrong across a DST change.
    """
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _wall_bound(naive: datetime, zone: ZoneInfo) -> datetime:
    """The first moment whose wall time in the zone is ``naive`` or later, as UTC.

    It differs from `_localize` in a skipped hour: a restriction window bounds the wall times it
    covers, so a bound there is the moment the clocks jump past it (a window until 02:30 ends at
    03:00 when clocks go from 02:00 to 03:00), whereas a handoff there moves forward by the gap.
    """
    at = _localize(naive, zone)
    if at.astimezone(zone).replace(tzinfo=None) == naive:
        return at
    lo, hi = naive.replace(tzinfo=zone, fold=1).astimezone(UTC), at  # the offsets after and before the gap
    while hi - lo > timedelta(seconds=1):  # zones change their offsets on whole seconds
        mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
        lo, hi = (lo, mid) if mid.astimezone(zone).replace(tzinfo=None) >= naive else (mid, hi)
    return hi


def _occurrences(layer: Layer, zone: ZoneInfo) -> Occurrences:
    return occurrences(layer.rrule, datetime.combine(layer.rotation_start, layer.handoff_time), zone.key)


def handoffs(
    layer: Layer, zone: ZoneInfo, until: datetime, since: datetime | None = None
) -> list[tuple[datetime, int]]:
    """The layer's handoffs (aware, UTC, strictly increasing) up to ``until``, each with its occurrence count;
    with ``since``, only the one in force at ``since`` and those after it.

    A handoff in a skipped hour moves forward by the hour (`_localize`); where that reaches a later
    handoff of the layer (rotations of an hour or less), the later one wins and the moved ones are
    dropped, so shifts never overlap and the answer does not depend on how far ``until`` reaches.
    """
    # Occurrences a day or more before ``since`` are only counted: a DST change moves none that far.
    skip_before = since.astimezone(zone).replace(tzinfo=None) - timedelta(days=1) if since else None
    found: list[tuple[datetime, int]] = []
    skipped: tuple[datetime, int] | None = None
    rule = _occurrences(layer, zone)
    for count, naive in rule.since(skip_before) if skip_before is not None else rule.all():
        if skip_before is not None and naive < skip_before:
            skipped = (naive, count)
            continue
        if skipped is not None:  # the handoff in force a day before ``since``
            found.append((_localize(skipped[0], zone), skipped[1]))
            skipped = None
        at = _localize(naive, zone)
        moved = at.astimezone(zone).replace(tzinfo=None) != naive
        if at >= until:
            if moved:  # a later handoff may still come before it
                continue
            break
        while found and found[-1][0] >= at:
            found.pop()
        found.append((at, count))
    if skipped is not None and _localize(skipped[0], zone) < until:  # the rrule ended before ``since``
        found.append((_localize(skipped[0], zone), skipped[1]))
    return found


@lru_cache(maxsize=256)
def _first_handoff(layer: Layer, zone: ZoneInfo) -> datetime | None:
    """The layer's first handoff (UTC; a moved one may give way to the next, see `handoffs`), or None."""
    first = next(iter(_occurrences(layer, zone).all()), None)
    found = handoffs(layer, zone, _localize(first[1], zone) + timedelta(days=2)) if first else []
    return found[0][0] if found else None


def _layer_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    if not layer.participants:
        return []
    if len(layer.participants) == 1:  # every handoff is to the same person: one shift from the first on
        first = _first_handoff(layer, zone)
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


STILL = timedelta(days=8)  # past the last change, restriction windows repeat weekly: a week and a day shows all
MAX_DOUBLINGS = 10  # the lookup steps over at most ~2000 changes (or days of restriction windows) each way


def _edge_before(schedule: Schedule, zone: ZoneInfo, t: datetime, k: int, windows: bool = False) -> datetime | None:
    """A moment before ``t`` about ``k`` changes (handoffs to another person, override bounds) back, or
    the earliest change; None if nothing changes before ``t``. A one-person layer changes once, at
    its first handoff; with ``windows``, its restriction windows count as a change a day."""
    found = []
    near = t.astimezone(zone).replace(tzinfo=None) + timedelta(hours=3)  # a DST change moves wall times
    for layer in schedule.layers:
        if len(layer.participants) == 1:
            first = _first_handoff(layer, zone)
            if first is not None and first < t:
                found.append(max(first, t - k * timedelta(days=1)) if windows and layer.restrictions else first)
        elif layer.participants:
            recent = _occurrences(layer, zone).before(near, k + 3)  # not localized
            points = [at for at in (_localize(n, zone) for _, n in recent) if at < t]
            if points:
                found.append(points[max(0, len(points) - k)])
    bounds = sorted(b for o in schedule.overrides for b in (o.start.astimezone(UTC), o.end.astimezone(UTC)) if b < t)
    if bounds:
        found.append(bounds[max(0, len(bounds) - k)])
    return max(found) if found else None


def _edge_after(schedule: Schedule, zone: ZoneInfo, t: datetime, k: int, windows: bool = False) -> datetime | None:
    """A moment after ``t`` about ``k`` changes on, or the last change; None if nothing changes after ``t``
    (every rrule ended, every one-person layer began, and no override bound is later). With
    ``windows``, a one-person layer's restriction windows count as a change a day while anything does."""
    found = []
    for layer in schedule.layers:
        if len(layer.participants) == 1:
            first = _first_handoff(layer, zone)
            if first is not None and first > t:
                found.append(first)
            continue
        if not layer.participants:
            continue
        since = t.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)  # a DST change moves wall times
        seen, last = 0, None
        for _, naive in _occurrences(layer, zone).since(since):
            if naive < since:
                continue
            at = _localize(naive, zone)
            if at > t:
                seen, last = seen + 1, at
                if seen >= k:
                    break
        if last is not None:
            found.append(last)
    bounds = sorted(b for o in schedule.overrides for b in (o.start.astimezone(UTC), o.end.astimezone(UTC)) if b > t)
    if bounds:
        found.append(bounds[min(len(bounds), k) - 1])
    if found and windows and any(len(layer.participants) == 1 and layer.restrictions for layer in schedule.layers):
        found.append(t + k * timedelta(days=1))
    return min(found) if found else None


def _above(schedule: Schedule, shift: Shift) -> Schedule:
    """The schedule without the layers below the shift's (nor any, for an override's): they cannot end it."""
    if shift.override_id is not None:
        return replace(schedule, layers=())
    lowest = next(i for i, layer in enumerate(schedule.layers) if layer.name == shift.layer)
    return replace(schedule, layers=schedule.layers[lowest:])


def on_call(schedule: Schedule, at: datetime) -> Shift | None:
    """Who is on call at ``at`` and their whole shift around it (not cut at ``at``), or None.

    The shift runs from the change that started it to the change that ends it however far apart they
    are: the lookup steps through the changes that can end it (the handoffs to another person of its
    layer and those above, override bounds), twice as many each time, rather than rendering a fixed
    window; a one-person layer's handoffs are not changes, so its shift is found at once. ``end`` is
    None when nothing ends the shift: its layer's rrule ended (its last person stays on call) or has
    one person, and nothing above it comes later. A stretch longer than the ~2000 changes (or days
    of restriction windows) the lookup steps over is cut where it stopped, its end None.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    at, zone = at.astimezone(UTC), ZoneInfo(schedule.timezone)
    lo = _edge_before(schedule, zone, at, 2, windows=True) or at - STILL  # the shift usually starts after lo
    hi = _edge_after(schedule, zone, at, 2, windows=True)
    hi, open_end = (hi, False) if hi is not None else (at + STILL, True)
    shift, k = None, 2
    for attempt in range(MAX_DOUBLINGS):
        shift = next((s for s in render(schedule, lo, hi) if s.start <= at < s.end), None)
        if shift is None:
            return None
        schedule = _above(schedule, shift)
        earlier = _edge_before(schedule, zone, lo, k, windows=True) if shift.start == lo else None
        later = None
        if shift.end == hi and not open_end:
            later = _edge_after(schedule, zone, hi, k, windows=True)
            if later is None:
                later, open_end = hi + STILL, True
        if earlier is None and later is None:
            break
        if attempt == MAX_DOUBLINGS - 1:  # the same person after all those changes: no handoff ahead
            return replace(shift, end=None) if later is not None else shift
        lo, hi, k = earlier or lo, later or hi, k * 2
    if open_end and shift.end == hi:
        return replace(shift, end=None)
    return shift


def render_whole(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """`render`, but the first and last shifts keep their real bounds instead of being cut at
    ``start`` and ``end`` (a last shift that nothing ends stays cut at ``end``)."""
    shifts = render(schedule, start, end)
    if shifts and shifts[0].start == start.astimezone(UTC):
        whole = on_call(schedule, shifts[0].start)
        if whole is not None:
            shifts[0] = replace(shifts[0], start=whole.start)
    if shifts and shifts[-1].end == end.astimezone(UTC):
        whole = on_call(schedule, shifts[-1].end - timedelta(microseconds=1))
        if whole is not None and whole.end is not None:
            shifts[-1] = replace(shifts[-1], end=whole.end)
    return shifts


MAX_JUMPS = 12  # after a gap, horizons that hold changes but no other person before giving up


def next_handoff(schedule: Schedule, at: datetime, horizon: timedelta = timedelta(days=45)) -> Shift | None:
    """The first shift after ``at`` whose person differs from the one on call at ``at``, whole as
    `on_call` gives it, or None.

    After a gap with nobody on call it is looked for a ``horizon`` at a time; where a horizon holds
    none, the search goes on from a week and a day before the next handoff or override bound past it
    (nothing changes in between, and restriction windows repeat weekly: once what follows the last
    change was seen for a week and a day, it holds no one else), so a rotation that starts months
    later is found. None when nothing changes any more, or after `MAX_JUMPS` horizons that
    held changes but no other person (a one-person layer with restrictions).
    """
    current = on_call(schedule, at)
    shift = current
    for _ in range(64):  # pieces of the same person (across layers or overrides) before a handoff
        if shift is None or shift.end is None:
            break
        following = on_call(schedule, shift.end)
        if following is None:
            at = shift.end
            break
        if current is None or following.person_id != current.person_id:
            return following
        shift = following
    if shift is not None and shift.end is None:
        return None
    zone, at = ZoneInfo(schedule.timezone), at.astimezone(UTC)
    horizon, start = max(horizon, 2 * STILL), at
    for _ in range(MAX_JUMPS):
        end = start + horizon
        for shift in render(schedule, start, end):
            if shift.start > at and (current is None or shift.person_id != current.person_id):
                return on_call(schedule, shift.start)
        last = _edge_before(schedule, zone, end, 1)
        if last is not None and last > end - STILL:  # what follows it was seen for less than a week and a day
            start = end - STILL
            continue
        change = _edge_after(schedule, zone, end, 1)
        if change is None:
            return None
        start = change - STILL
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
