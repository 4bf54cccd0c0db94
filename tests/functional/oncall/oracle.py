"""An independent reading of a schedule document, for the property tests: who is on call at an instant
and the final shifts of a window, computed from the document's definition with zoneinfo alone (none
of pagerless.oncall's code).

It reads the documented rules literally: handoffs at ``rotation_start + n * step`` in local wall time
(FREQ=HOURLY, DAILY or WEEKLY with INTERVAL); a handoff in a repeated hour takes its first instant,
one in a skipped hour moves forward by the gap, and a moved one that reaches a later handoff gives way
to it (its turn is still counted). A restriction window on a day covers from the first instant whose
wall time is its start to the first instant whose wall time is its end (the next day when ``end <=
start``). Later layers win over earlier ones, overrides over every layer, the newest override first.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

STEPS = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@cache
def transitions(zone: ZoneInfo, year: int) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """(UTC instant, offset before, offset after) of each offset change of ``zone`` in ``year``."""
    found, at = [], datetime(year, 1, 1, tzinfo=UTC)
    before = at.astimezone(zone).utcoffset()
    while at.year == year:
        step = at + timedelta(minutes=15)
        after = step.astimezone(zone).utcoffset()
        if after != before:
            found.append((step, before, after))
        at, before = step, after
    return tuple(found)


@cache
def gaps(zone: ZoneInfo, year: int) -> tuple[tuple[datetime, datetime, datetime], ...]:
    """(first skipped wall time, first wall time after the gap, UTC instant of the jump)."""
    out = []
    for t, before, after in transitions(zone, year):
        if after > before:
            naive = t.replace(tzinfo=None)
            out.append((naive + before, naive + after, t))
    return tuple(out)


@dataclass(frozen=True)
class Seg:
    start: datetime
    end: datetime
    person: str
    layer: str | None
    index: int | None
    override: str | None


class Oracle:
    def __init__(self, doc: dict, overrides: list[dict]):
        self.zone = ZoneInfo(doc["timezone"])
        self.doc = doc
        self.overrides = [
            (datetime.fromisoformat(o["start"]).astimezone(UTC), datetime.fromisoformat(o["end"]).astimezone(UTC), o)
            for o in overrides
        ]  # oldest first
        self._gaps = [g for year in range(2024, 2029) for g in gaps(self.zone, year)]

    # --- wall time to instants
    def _in_gap(self, naive: datetime):
        return next((g for g in self._gaps if g[0] <= naive < g[1]), None)

    def handoff_instant(self, naive: datetime) -> datetime:
        gap = self._in_gap(naive)
        if gap is not None:  # moves forward by the gap: the wall time read with the offset before it
            return gap[2] + (naive - gap[0])
        return naive.replace(tzinfo=self.zone, fold=0).astimezone(UTC)  # fold=0: the first of a repeated hour

    def wall_bound(self, naive: datetime) -> datetime:
        gap = self._in_gap(naive)
        return gap[2] if gap is not None else naive.replace(tzinfo=self.zone, fold=0).astimezone(UTC)

    # --- one layer
    def handoffs(self, layer: dict, until: datetime) -> list[tuple[datetime, int]]:
        parts = dict(p.split("=") for p in layer.get("rrule", "FREQ=WEEKLY").upper().split(";"))
        assert set(parts) <= {"FREQ", "INTERVAL"}, parts
        step = STEPS[parts["FREQ"]] * int(parts.get("INTERVAL", "1"))
        naive = datetime.combine(date.fromisoformat(layer["rotation_start"]), time.fromisoformat(layer["handoff_time"]))
        found: list[tuple[datetime, int]] = []
        n = 0
        limit = until.astimezone(self.zone).replace(tzinfo=None) + timedelta(hours=3)
        while naive + n * step <= limit:
            at = self.handoff_instant(naive + n * step)
            while found and found[-1][0] >= at:
                found.pop()
            found.append((at, n))
            n += 1
        return [(at, n) for at, n in found if at < until]

    def windows(self, layer: dict, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        out = []
        day = start.astimezone(self.zone).date() - timedelta(days=2)
        while day <= end.astimezone(self.zone).date() + timedelta(days=1):
            for r in layer.get("restrictions") or []:
                if DAYS[day.weekday()] in r.get("days", DAYS):
                    s, e = time.fromisoformat(r["start"]), time.fromisoformat(r["end"])
                    stop = day + timedelta(days=1) if e <= s else day
                    out.append((self.wall_bound(datetime.combine(day, s)), self.wall_bound(datetime.combine(stop, e))))
            day += timedelta(days=1)
        return out

    # --- the final schedule
    def who(self, t: datetime, cache: dict) -> tuple[str, str | None, int | None, str | None] | None:
        for start, end, o in reversed(self.overrides):
            if start <= t < end:
                return (o["person_id"], None, None, o["id"])
        for i, layer in reversed(list(enumerate(self.doc["layers"]))):
            points, windows = cache[i]
            before = [p for p in points if p[0] <= t]
            if not before:
                continue
            if layer.get("restrictions") and not any(a <= t < b for a, b in windows):
                continue
            n = before[-1][1]
            people = layer["participants"]
            return (people[n % len(people)], layer["name"], n % len(people), None)
        return None

    def shifts(self, start: datetime, end: datetime) -> list[Seg]:
        cache = {}
        edges = {start, end}
        for i, layer in enumerate(self.doc["layers"]):
            points = self.handoffs(layer, end)
            windows = self.windows(layer, start, end) if layer.get("restrictions") else []
            cache[i] = (points, windows)
            edges |= {p for p, _ in points} | {b for w in windows for b in w}
        edges |= {b for s, e, _ in self.overrides for b in (s, e)}
        edges = sorted(e for e in edges if start <= e <= end)
        segs: list[Seg] = []
        for lo, hi in zip(edges, edges[1:], strict=False):
            who = self.who(lo, cache)
            if who is None:
                continue
            if (
                segs
                and segs[-1].end == lo
                and (segs[-1].person, segs[-1].layer, segs[-1].index, segs[-1].override) == who
            ):
                segs[-1] = Seg(segs[-1].start, hi, *who)
            else:
                segs.append(Seg(lo, hi, *who))
        return segs
