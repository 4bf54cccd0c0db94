"""Seeded random schedules in zones with odd DST rules (a half-hour change on Lord Howe, a midnight one
in Santiago, Dublin's negative "winter time", Chatham's +12:45) against the independent computation of
tests/functional/oncall/oracle.py: the final shifts of four days around a change, who is on call (the
whole shift) and who is next, at random instants. Handoffs and restriction bounds are drawn near the
skipped or repeated hour."""

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pagerless.oncall import lookup, models, schedules
from tests.functional.oncall.oracle import DAYS, Oracle, transitions

ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "Pacific/Chatham",
    "America/Havana",
)


def _wall(rnd: random.Random, near) -> str:
    if rnd.random() < 0.6:
        return (near + timedelta(minutes=rnd.choice([0, 15, 30, 45, -15, -30, 59, 60, -60]))).strftime("%H:%M")
    return f"{rnd.randrange(24):02d}:{rnd.choice([0, 0, 30, 15, 45, 7]):02d}"


def _random_schedule(rnd: random.Random, tz: str):
    change, before, after = rnd.choice(transitions(ZoneInfo(tz), 2026))
    odd = (change + min(before, after)).replace(tzinfo=None) + abs(after - before) / 2
    layers = []
    for i in range(rnd.randint(1, 3)):
        restrictions = [
            {"days": rnd.sample(DAYS, rnd.randint(1, 7)), "start": _wall(rnd, odd), "end": _wall(rnd, odd)}
            for _ in range(rnd.choice([0, 0, 1, 2]))
        ]
        layers.append(
            {
                "name": f"l{i}",
                "participants": [f"p{j}" for j in rnd.sample(range(5), rnd.randint(1, 4))],
                "rotation_start": str(odd.date() + timedelta(days=rnd.randint(-10, 3))),
                "handoff_time": _wall(rnd, odd) + ":00",
                "rrule": rnd.choice(
                    [
                        "FREQ=DAILY",
                        "FREQ=WEEKLY",
                        "FREQ=DAILY;INTERVAL=2",
                        f"FREQ=HOURLY;INTERVAL={rnd.choice([1, 6, 8, 25])}",
                    ]
                ),
                "restrictions": restrictions,
            }
        )
    overrides = []
    for k in range(rnd.randint(0, 2)):
        start = change + timedelta(minutes=rnd.randint(-600, 600), seconds=rnd.randint(0, 59))
        end = start + timedelta(minutes=rnd.randint(1, 900))
        overrides.append(
            {
                "id": f"o{k}",
                "person_id": f"q{k}",
                "start": start.isoformat(),
                "end": end.isoformat(),
                "created_at": str(k),
            }
        )
    return change, {"id": "s", "name": "n", "timezone": tz, "layers": layers}, overrides


@pytest.mark.parametrize("tz", ZONES)
def test_random_schedules_agree_with_the_independent_computation(tz):
    rnd = random.Random(f"oncall-{tz}")
    for _ in range(25):
        change, doc, overrides = _random_schedule(rnd, tz)
        schedule, oracle = models.to_schedule(doc, overrides), Oracle(doc, overrides)
        start, end = change - timedelta(days=2, minutes=rnd.randint(0, 300)), change + timedelta(days=2)
        got = [
            (s.start, s.end, s.person_id, s.layer, s.rotation_index, s.override_id)
            for s in schedules.render(schedule, start, end)
        ]
        assert got == [(s.start, s.end, s.person, s.layer, s.index, s.override) for s in oracle.shifts(start, end)], doc
        wide = oracle.shifts(start - timedelta(days=20), end + timedelta(days=20))
        for _ in range(6):
            at = change + timedelta(minutes=rnd.randint(-1500, 1500))
            seg = next((s for s in wide if s.start <= at < s.end), None)
            shift = lookup.on_call(schedule, at)
            assert (shift.person_id, shift.start) == (seg.person, seg.start) if seg else shift is None, (doc, at)
            if seg and seg.end < wide[-1].end:
                assert shift.end == seg.end, (doc, at)
            following = next((s for s in wide if s.start > at and s.person != (seg.person if seg else None)), None)
            if following is not None and following.end < wide[-1].end:
                handoff = lookup.next_handoff(schedule, at)
                assert (handoff.person_id, handoff.start) == (following.person, following.start), (doc, at)
