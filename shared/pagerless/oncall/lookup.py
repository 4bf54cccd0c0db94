"""Who is on call at a moment, and the handoffs around it, looked up on a `schedules.Schedule`.

`schedules.render` gives the shifts of a window; a lookup needs the whole shift around a moment,
however far apart its bounds are, so it steps over the changes that can end it (handoffs to another
person, override bounds) rather than rendering a fixed window.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pagerless.oncall.schedules import Schedule, Shift, first_handoff, layer_occurrences, localize, render

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
            first = first_handoff(layer, zone)
            if first is not None and first < t:
                found.append(max(first, t - k * timedelta(days=1)) if windows and layer.restrictions else first)
        elif layer.participants:
            recent = layer_occurrences(layer, zone).before(near, k + 3)  # not localized
            points = [at for at in (localize(n, zone) for _, n in recent) if at < t]
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
            first = first_handoff(layer, zone)
            if first is not None and first > t:
                found.append(first)
            continue
        if not layer.participants:
            continue
        since = t.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)  # a DST change moves wall times
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


def beneath(schedule: Schedule, at: datetime, top: Shift | None) -> list[Shift]:
    """Who else is on call at ``at`` beside the answer ``top``, one per person: under an override, each other
    override in force (the newest wins); under a layer's shift, each other layer's shift there (the last layer wins).
    Not empty: the answer is ambiguous. An override over a layer is what overrides are for: not ambiguous."""
    if top is None:
        return []
    at = at.astimezone(UTC)
    if top.override_id is not None:
        found = [Shift(o.start, o.end, o.person_id, override_id=o.id) for o in reversed(schedule.overrides)]
        found = [s for s in found if s.start <= at < s.end]
    else:
        found = [
            shift
            for layer in reversed(schedule.layers)
            for shift in render(replace(schedule, layers=(layer,), overrides=()), at, at + timedelta(seconds=1))
        ]
    people, out = {top.person_id}, []
    for shift in found:
        if shift.person_id not in people:
            people.add(shift.person_id)
            out.append(shift)
    return out


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
