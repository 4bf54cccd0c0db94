"""Whose turn it is, found without counting from the rotation's start, against counting it.

A fixed-step rule (HOURLY/DAILY/WEEKLY with INTERVAL, COUNT or UNTIL) takes the arithmetic path; the
same rule spelled with the BYxxx parts dateutil fills in anyway (BYDAY, BYHOUR, BYMINUTE, BYSECOND)
has the same occurrences but is counted. Both are asked the same questions at many instants:
around both DST changes in Berlin and New York, around handoffs, and at a few random ones. The
computed occurrences are checked against dateutil's, enumerated once per rule up to past the last
instant (counting from 2020 again at every instant is what made this file slow).
"""

import random
from bisect import bisect_left
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

import pytest

from pagerless.oncall.lookup import next_handoff, on_call
from pagerless.oncall.occurrences import occurrences
from pagerless.oncall.schedules import Layer, Override, Restriction, Schedule

ZONES = ("Europe/Berlin", "America/New_York")
# 2026 changes in UTC: Berlin 29 March and 25 October at 01:00Z; New York 8 March 07:00Z and 1 November 06:00Z
CHANGES = (
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
RULES = (
    "FREQ=HOURLY",
    "FREQ=HOURLY;INTERVAL=5",
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2;WKST=SU",
    "FREQ=DAILY;COUNT=40",
    "FREQ=HOURLY;UNTIL=20260329T013000Z",
    "FREQ=DAILY;UNTIL=20261101",
    "freq=weekly;interval=3;until=20261102T080000",
)


def counted(rrule: str, start: datetime) -> str:
    """The same rule with the parts dateutil fills in from the start written out: counted, not computed."""
    freq = rrule.upper().split(";")[0]
    parts = [f"BYMINUTE={start.minute}", f"BYSECOND={start.second}"]
    if freq != "FREQ=HOURLY":
        parts.append(f"BYHOUR={start.hour}")
    if freq == "FREQ=WEEKLY":
        parts.append(f"BYDAY={WEEKDAYS[start.weekday()]}")
    return rrule + ";" + ";".join(parts)


def instants(seed: int, *extra: datetime, step: int = 15, spread: int = 40) -> list[datetime]:
    """Every ``step`` minutes from 2.5 hours before to 2.5 hours after each DST change, a second
    either side of each ``extra``, and ``spread`` random instants of 2026."""
    rng = random.Random(seed)
    found = [c + timedelta(minutes=m) for c in CHANGES for m in range(-150, 151, step)]
    found += [e + timedelta(seconds=s) for e in extra for s in (-1, 0, 1)]
    found += [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(366 * 24 * 60)) for _ in range(spread)]
    return found


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("rrule", RULES)
@pytest.mark.parametrize(
    "start", [datetime(2020, 1, 1, 0, 0), datetime(2026, 3, 7, 2, 30), datetime(2026, 10, 24, 2, 15, 30)]
)
def test_occurrences_computed_match_occurrences_counted(zone, rrule, start):
    # Given a fixed-step rule, and its occurrences counted by dateutil once up to past every instant
    fast = occurrences(rrule, start, zone)
    assert fast.step is not None
    asked = [at.replace(tzinfo=None) for at in instants(len(rrule), step=30, spread=20)]
    horizon = max(asked) + timedelta(days=70)  # three occurrences of the longest step (3 weeks) past the last
    truth = list(takewhile(lambda item: item[1] < horizon, enumerate(fast.rule)))
    moments = [naive for _, naive in truth]
    # Then at every wall time the computed ones are the counted ones with the same counts, before and after
    for naive in asked:
        i = bisect_left(moments, naive)
        assert fast.before(naive, 4) == truth[max(0, i - 4) : i], naive
        behind = (truth[i - 1 : i] + truth[i : i + 4] + [None] * 4)[:4]
        ahead = fast.since(naive)
        assert [next(ahead, None) for _ in range(4)] == behind, naive
    # and so does the counting path, at a few of them
    slow = replace(fast, step=None, last=None)
    for naive in asked[:: len(asked) // 6]:
        assert fast.before(naive, 4) == slow.before(naive, 4), naive


LAYER_STARTS = ((date(2026, 3, 6), time(2, 30)), (date(2026, 10, 20), time(1, 30)), (date(2025, 11, 3), time(9, 0)))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("rrule", RULES)
@pytest.mark.parametrize(("first", "handoff"), LAYER_STARTS)
@pytest.mark.parametrize("restricted", [False, True])
def test_who_is_on_call_is_the_same_whether_the_turn_is_computed_or_counted(zone, rrule, first, handoff, restricted):
    # Given two schedules that differ only in how the rule is spelled, with a layer below and overrides
    window = (Restriction(time(22, 0), time(2, 30)), Restriction(time(9, 0), time(17, 0), ("mon", "tue", "wed")))
    restrictions = window if restricted else ()
    dtstart = datetime.combine(first, handoff)
    base = Layer("base", ("night", "owl"), date(2025, 1, 6), time(9, 0), "FREQ=WEEKLY")
    covers = (
        Override("o1", "erin", datetime(2026, 3, 8, 6, tzinfo=UTC), datetime(2026, 3, 8, 9, tzinfo=UTC)),
        Override("o2", "frank", datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, tzinfo=UTC)),
    )

    def schedule(rule: str) -> Schedule:
        layer = Layer("rota", ("ann", "ben", "cy"), first, handoff, rule, restrictions)
        return Schedule("s", "n", zone, (base, layer), covers)

    fast, slow = schedule(rrule), schedule(counted(rrule, dtstart))
    assert occurrences(counted(rrule, dtstart), dtstart, zone).step is None
    handoffs = [at.replace(tzinfo=ZoneInfo(zone)) for _, at in islice(occurrences(rrule, dtstart, zone).all(), 8)]
    # Then at every instant the same person is on call with the same shift, and the same handoff is next
    for at in instants(len(rrule) + first.day, *handoffs, step=60, spread=4):
        assert on_call(fast, at) == on_call(slow, at), at
    for at in instants(7, step=150, spread=2):
        assert next_handoff(fast, at) == next_handoff(slow, at), at


@pytest.mark.parametrize("rrule", ["FREQ=HOURLY", "FREQ=DAILY", "FREQ=WEEKLY;INTERVAL=2"])
def test_a_rotation_running_since_2020_is_answered_as_counting_answers(rrule):
    # Given a two-person rotation started on 1 January 2020 (a Wednesday), computed and counted
    def schedule(rule: str) -> Schedule:
        return Schedule("s", "n", "Europe/Berlin", (Layer("rota", ("ann", "ben"), date(2020, 1, 1), time(0), rule),))

    fast, slow = schedule(rrule), schedule(counted(rrule, datetime(2020, 1, 1)))
    # Then the answers agree around both 2026 changes in Berlin and at random instants
    for at in instants(2020, step=75, spread=6):
        assert on_call(fast, at) == on_call(slow, at), at
