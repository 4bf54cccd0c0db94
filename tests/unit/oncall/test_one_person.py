"""A layer whose handoffs all go to the same person, answered without stepping over those handoffs,
against the lookup that steps over every one of them (`reference`, the algorithm as it was).

The answers must be the same person with the same shift and the same next handoff, around both DST
changes in Berlin and New York, at handoffs, restriction and override bounds, with COUNT/UNTIL and a
rotation that has ended. Where the reference gave up stepping (a stretch longer than the ~2000
handoffs it steps over), it cut the shift's start and reported no end: there the new answer must be
the same shift with its real bounds.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from pagerless.oncall.lookup import next_handoff, on_call
from pagerless.oncall.schedules import Layer, Override, Restriction, Schedule
from tests.unit.oncall import reference

ZONES = ("Europe/Berlin", "America/New_York")
CHANGES = (  # 2026 in UTC: Berlin 29 March and 25 October at 01:00Z; New York 8 March 07:00Z and 1 November 06:00Z
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
)
OFFICE = (Restriction(time(9, 0), time(17, 0), ("mon", "tue", "wed", "thu", "fri")),)
NIGHTS = (Restriction(time(22, 0), time(2, 30)), Restriction(time(2, 30), time(6, 0), ("sun",)))
ALWAYS = (Restriction(time(0, 0), time(0, 0)),)  # every day, midnight to midnight: never a gap


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def solo(rrule="FREQ=HOURLY", first=date(2026, 2, 23), at=time(0, 30), restrictions=(), people=("ann",)) -> Layer:
    return Layer("solo", people, first, at, rrule, restrictions)


BASE = Layer("base", ("ben", "cy"), date(2026, 1, 5), time(9, 0), "FREQ=WEEKLY")
COVERS = (
    Override("o1", "erin", utc(2026, 3, 8, 5), utc(2026, 3, 8, 9)),
    Override("o2", "ann", utc(2026, 3, 29, 0, 15), utc(2026, 3, 29, 3)),  # the solo person covering themself
    Override("o3", "frank", utc(2026, 10, 24, 22), utc(2026, 11, 2, 12)),
)
LAYERS = {
    "hourly": (solo(),),
    "hourly in the skipped hour": (solo(first=date(2026, 3, 1), at=time(2, 30)),),
    "daily since 2020": (solo("FREQ=DAILY", date(2020, 1, 1), time(9)),),
    "weekly, office hours": (solo("FREQ=WEEKLY", date(2025, 6, 2), time(9), OFFICE),),
    "hourly, nights": (solo(restrictions=NIGHTS),),
    "weekly 30 times, always": (solo("FREQ=WEEKLY;COUNT=30", date(2025, 12, 1), time(9), ALWAYS),),
    "over a rotation": (BASE, solo("FREQ=DAILY;INTERVAL=2", date(2026, 1, 1), time(8), NIGHTS)),
    "under a rotation": (solo(), Layer("top", ("dan", "eve"), date(2026, 3, 2), time(9), "FREQ=WEEKLY", OFFICE)),
    "count": (BASE, solo("FREQ=DAILY;COUNT=40", date(2026, 3, 1), time(9))),
    "until": (solo("FREQ=HOURLY;UNTIL=20261025T003000Z"),),
    "ended": (solo("FREQ=WEEKLY;UNTIL=20251229", date(2025, 6, 2), time(9), OFFICE),),
    "counted": (solo("FREQ=WEEKLY;BYDAY=MO,TH", date(2026, 1, 5), time(9)),),
    "twice the same person": (solo("FREQ=DAILY", date(2026, 3, 1), time(9), people=("ann", "ann")),),
}


def instants(seed: int) -> list[datetime]:
    """Every hour from 2.5 hours before to 2.5 hours after each DST change; a second before and at
    each override bound, of handoffs and restriction bounds (09:00, 17:00, 22:00, 02:30 local on
    days around the changes) and of the rotations' ends; and a few random instants of 2026."""
    rng = random.Random(seed)
    found = [c + timedelta(minutes=m) for c in CHANGES for m in range(-150, 151, 60)]
    bounds = [t for o in COVERS for t in (o.start, o.end)]
    bounds += [utc(2026, 3, 9, h) for h in (8, 13, 16, 21)] + [utc(2026, 3, 30, h) for h in (7, 15, 20)]
    bounds += [utc(2026, 4, 9, 7), utc(2026, 4, 9, 8), utc(2025, 12, 29, 8), utc(2025, 12, 26, 16), utc(2026, 1, 1, 8)]
    found += [b + timedelta(seconds=s) for b in bounds for s in (-1, 0)]
    found += [utc(2026, 1, 1) + timedelta(minutes=rng.randrange(366 * 24 * 60)) for _ in range(6)]
    return found


def _same_bounds(schedule: Schedule, shift, at: datetime) -> None:
    """The shift ends where the final schedule changes: someone else (or nobody) just before its start
    and just at its end."""
    second = timedelta(seconds=1)
    before = [s for s in reference.render(schedule, shift.start - second, shift.start)]
    assert not before or (before[-1].person_id, before[-1].layer, before[-1].override_id) != (
        shift.person_id,
        shift.layer,
        shift.override_id,
    ), at
    if shift.end is not None:
        after = reference.render(schedule, shift.end, shift.end + second)
        assert not after or (after[0].person_id, after[0].layer, after[0].override_id) != (
            shift.person_id,
            shift.layer,
            shift.override_id,
        ), at


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", list(LAYERS))
def test_a_one_person_layer_is_answered_as_stepping_over_every_handoff_answers(zone, name):
    # Given a schedule with a layer whose handoffs all go to the same person, and overrides
    schedule = Schedule("s", "n", zone, LAYERS[name], COVERS)
    # Then at every instant the same person is on call with the same shift as the reference finds
    for at in instants(len(name)):
        expected, gave_up = reference.on_call(schedule, at)
        got = on_call(schedule, at)
        if not gave_up:
            assert got == expected, at
            continue
        # where the reference gave up, it is the same shift with its real bounds
        assert (got.person_id, got.layer, got.rotation_index, got.override_id) == (
            expected.person_id,
            expected.layer,
            expected.rotation_index,
            expected.override_id,
        ), at
        assert got.start <= expected.start and got.start <= at, at
        assert expected.end is None or got.end == expected.end, at
        _same_bounds(schedule, got, at)
    # and the same handoff is next; where the reference gave up (it saw no end), the first other person
    for at in instants(len(name))[::9]:
        current, _ = reference.on_call(schedule, at)
        expected, gave_up = reference.next_handoff(schedule, at)
        following = next_handoff(schedule, at)
        if not gave_up:
            assert following == expected, at
        elif following is None:
            assert on_call(schedule, at).end is None, at
        else:
            assert following.person_id != current.person_id and following == on_call(schedule, following.start), at
            assert {s.person_id for s in reference.render(schedule, at, following.start)} == {current.person_id}, at


@pytest.mark.parametrize("rrule", ["FREQ=HOURLY", "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TH"])
def test_a_one_person_layer_since_2020_has_been_on_call_since_its_first_handoff(rrule):
    # Given one person on call in Berlin since midnight on 1 January 2020, handing over to themself
    schedule = Schedule("s", "n", "Europe/Berlin", (solo(rrule, date(2020, 1, 2), time(0)),))
    # When who is on call is asked in 2026
    shift = on_call(schedule, utc(2026, 10, 25, 1, 30))
    # Then it is them since that first handoff (not since some 2000 handoffs back), with no end
    assert (shift.person_id, shift.start, shift.end) == ("ann", utc(2020, 1, 1, 23), None)
    assert next_handoff(schedule, utc(2026, 10, 25, 1, 30)) is None


@pytest.mark.parametrize(
    ("zone", "day"), [("Europe/Berlin", date(2026, 3, 29)), ("America/New_York", date(2026, 3, 8))]
)
def test_a_one_person_layer_starting_in_the_skipped_hour_starts_where_its_handoffs_do(zone, day):
    # Given one person handing over to themself at :15 and :45 from 02:45 on the day clocks skip 02:00-03:00
    schedule = Schedule("s", "n", zone, (solo("FREQ=HOURLY;BYMINUTE=15,45", day, time(2, 45)),))
    change = next(c for c in CHANGES if c.date() == day)
    # Then the shift starts at 03:15, where the first handoff (02:45, moved to 03:45) gave way to the next
    for at in [change + timedelta(minutes=m) for m in (-1, 0, 14, 15, 16, 30, 44, 45, 46, 120)]:
        expected, _ = reference.on_call(schedule, at)
        got = on_call(schedule, at)
        assert (got and (got.person_id, got.start)) == (expected and (expected.person_id, expected.start)), at
    assert on_call(schedule, change + timedelta(minutes=15)).start == change + timedelta(minutes=15)
