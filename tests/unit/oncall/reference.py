"""The lookup as it was before one-person layers were made cheap, kept as the oracle the new one is
compared with: it steps over every handoff, the same person's ones too, and renders every layer.

It is slow (a one-person layer costs tens of milliseconds a lookup) and, where a stretch of one
person spans more than the ~2000 changes it steps over, it gives up: it cuts the shift's start
there and reports no end. `on_call` and `next_handoff` return whether it gave up so a test can
tell that artifact from a real answer.
"""

from bisect import bisect_right
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from pagerless.oncall.lookup import STILL
from pagerless.oncall.schedules import (
    Schedule,
    Shift,
    _merge,
    _restrict,
    handoffs,
    layer_occurrences,
    localize,
)

MAX_DOUBLINGS = 10


def _layer_shifts(layer, zone, start, end):
    if not layer.participants:
        return []
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


def render(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
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


def _top(stacks, starts, at):
    for shift in reversed(stacks[-1]):
        if shift.start <= at < shift.end:
            return shift
    for stack, begins in zip(reversed(stacks[:-1]), reversed(starts), strict=True):
        i = bisect_right(begins, at) - 1
        if i >= 0 and at < stack[i].end:
            return stack[i]
    return None


def _edge_before(schedule, zone, t, k):
    found = []
    near = t.astimezone(zone).replace(tzinfo=None) + timedelta(hours=3)
    for layer in schedule.layers:
        if not layer.participants:
            continue
        recent = layer_occurrences(layer, zone).before(near, k + 3)
        points = [at for at in (localize(n, zone) for _, n in recent) if at < t]
        if points:
            found.append(points[max(0, len(points) - k)])
    bounds = sorted(b for o in schedule.overrides for b in (o.start.astimezone(UTC), o.end.astimezone(UTC)) if b < t)
    if bounds:
        found.append(bounds[max(0, len(bounds) - k)])
    return max(found) if found else None


def _edge_after(schedule, zone, t, k):
    found = []
    for layer in schedule.layers:
        if not layer.participants:
            continue
        since = t.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)
        seen, last = 0, None
        for _, naive in layer_occurrences(layer, zone).since(since):
            if naive < since:
                continue
            at = localize(naive, zone)
            if at > t:
                seen, last = seen + 1, at
                if seen >= k:
                    break
        if last is not None:
            found.append(last)
    bounds = sorted(b for o in schedule.overrides for b in (o.start.astimezone(UTC), o.end.astimezone(UTC)) if b > t)
    if bounds:
        found.append(bounds[min(len(bounds), k) - 1])
    return min(found) if found else None


def on_call(schedule: Schedule, at: datetime) -> tuple[Shift | None, bool]:
    """(the shift, whether the lookup gave up stepping before finding its real bounds)."""
    at, zone = at.astimezone(UTC), ZoneInfo(schedule.timezone)
    lo = _edge_before(schedule, zone, at, 2) or at - STILL
    hi = _edge_after(schedule, zone, at, 2)
    hi, open_end = (hi, False) if hi is not None else (at + STILL, True)
    shift, k = None, 2
    for attempt in range(MAX_DOUBLINGS):
        shift = next((s for s in render(schedule, lo, hi) if s.start <= at < s.end), None)
        if shift is None:
            return None, False
        earlier = _edge_before(schedule, zone, lo, k) if shift.start == lo else None
        later = None
        if shift.end == hi and not open_end:
            later = _edge_after(schedule, zone, hi, k)
            if later is None:
                later, open_end = hi + STILL, True
        if earlier is None and later is None:
            break
        if attempt == MAX_DOUBLINGS - 1:
            return (replace(shift, end=None) if later is not None else shift), True
        lo, hi, k = earlier or lo, later or hi, k * 2
    if open_end and shift.end == hi:
        return replace(shift, end=None), False
    return shift, False


MAX_JUMPS = 12


def next_handoff(
    schedule: Schedule, at: datetime, horizon: timedelta = timedelta(days=45)
) -> tuple[Shift | None, bool]:
    """(the next handoff, whether a lookup on the way gave up stepping)."""
    current, gave_up = on_call(schedule, at)
    shift = current
    for _ in range(64):
        if shift is None or shift.end is None:
            break
        following, stopped = on_call(schedule, shift.end)
        gave_up = gave_up or stopped
        if following is None:
            at = shift.end
            break
        if current is None or following.person_id != current.person_id:
            return following, gave_up
        shift = following
    if shift is not None and shift.end is None:
        return None, gave_up
    zone, at = ZoneInfo(schedule.timezone), at.astimezone(UTC)
    horizon, start = max(horizon, 2 * STILL), at
    for _ in range(MAX_JUMPS):
        end = start + horizon
        for shift in render(schedule, start, end):
            if shift.start > at and (current is None or shift.person_id != current.person_id):
                found, stopped = on_call(schedule, shift.start)
                return found, gave_up or stopped
        last = _edge_before(schedule, zone, end, 1)
        if last is not None and last > end - STILL:
            start = end - STILL
            continue
        change = _edge_after(schedule, zone, end, 1)
        if change is None:
            return None, gave_up
        start = change - STILL
    return None, gave_up
