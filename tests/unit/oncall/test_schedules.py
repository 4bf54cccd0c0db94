"""Rotations resolved against hand-written expectations across both DST changes and month ends."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pagerless.oncall.lookup import handoffs_between, next_handoff, on_call
from pagerless.oncall.schedules import Layer, Override, Restriction, Schedule, render

NY = "America/New_York"  # 2026: clocks go forward on Sun 8 March, back on Sun 1 November


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(start: date, people=("alice", "bob", "carol"), **kw) -> Layer:
    return Layer("primary", tuple(people), start, time(9, 0), "FREQ=WEEKLY", **kw)


def schedule(*layers, tz=NY, overrides=()) -> Schedule:
    return Schedule("s1", "payments", tz, tuple(layers), tuple(overrides))


def test_a_weekly_0900_handoff_stays_at_0900_local_when_clocks_go_forward():
    # Given a Monday 09:00 weekly rotation starting the week before the March change
    s = schedule(weekly(date(2026, 3, 2)))
    # Then Monday 2 March hands over at 09:00 EST (14:00Z) and Monday 9 March at 09:00 EDT (13:00Z)
    assert on_call(s, utc(2026, 3, 2, 13, 59)) is None
    assert on_call(s, utc(2026, 3, 2, 14, 0)).person_id == "alice"
    assert on_call(s, utc(2026, 3, 9, 12, 59)).person_id == "alice"
    bob = on_call(s, utc(2026, 3, 9, 13, 30))  # 09:30 EDT: a UTC-fixed handoff would still say alice
    assert (bob.person_id, bob.rotation_index) == ("bob", 1)
    assert bob.start == utc(2026, 3, 9, 13, 0) and bob.end == utc(2026, 3, 16, 13, 0)
    assert bob.start.astimezone(ZoneInfo(NY)).hour == 9
    # and the rotation wraps around
    assert on_call(s, utc(2026, 3, 23, 13, 0)).person_id == "alice"


def test_a_weekly_0900_handoff_stays_at_0900_local_when_clocks_go_back():
    s = schedule(weekly(date(2026, 10, 26)))
    assert on_call(s, utc(2026, 11, 2, 13, 30)).person_id == "alice"  # 08:30 EST
    assert on_call(s, utc(2026, 11, 2, 14, 0)).person_id == "bob"  # 09:00 EST
    [(outgoing, incoming)] = handoffs_between(s, utc(2026, 11, 1), utc(2026, 11, 3))
    assert (outgoing.person_id, incoming.person_id, incoming.start) == ("alice", "bob", utc(2026, 11, 2, 14, 0))


def test_daily_shifts_on_the_change_days_last_23_and_25_hours():
    s = schedule(Layer("daily", ("ann", "ben"), date(2026, 3, 1), time(9, 0), "FREQ=DAILY"))
    spring = on_call(s, utc(2026, 3, 8, 12, 0))  # Sunday 8 March, 08:00 EDT: the Saturday shift
    assert (spring.start, spring.end) == (utc(2026, 3, 7, 14, 0), utc(2026, 3, 8, 13, 0))
    assert spring.end - spring.start == timedelta(hours=23)
    autumn = on_call(s, utc(2026, 11, 1, 12, 0))  # Sunday 1 November, 07:00 EST: the Saturday shift
    assert (autumn.start, autumn.end) == (utc(2026, 10, 31, 13, 0), utc(2026, 11, 1, 14, 0))
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_a_handoff_inside_the_repeated_hour_takes_the_first_one_and_inside_the_skipped_hour_moves_forward():
    s = schedule(Layer("night", ("ann", "ben"), date(2026, 10, 31), time(1, 30), "FREQ=DAILY"))
    assert on_call(s, utc(2026, 11, 1, 5, 30)).person_id == "ben"  # 01:30 EDT, the first 01:30
    assert on_call(s, utc(2026, 11, 1, 5, 29)).person_id == "ann"
    s = schedule(Layer("night", ("ann", "ben"), date(2026, 3, 7), time(2, 30), "FREQ=DAILY"))
    assert on_call(s, utc(2026, 3, 8, 7, 30)).person_id == "ben"  # 02:30 does not exist: 03:30 EDT
    assert on_call(s, utc(2026, 3, 8, 7, 29)).person_id == "ann"


def test_month_end_rotation_hands_over_on_the_last_day_of_each_month():
    # Given a monthly rotation on the last day at 18:00 Berlin (DST starts there on 29 March)
    layer = Layer("monthly", ("ann", "ben", "cy"), date(2026, 1, 31), time(18, 0), "FREQ=MONTHLY;BYMONTHDAY=-1")
    s = schedule(layer, tz="Europe/Berlin")
    shifts = render(s, utc(2026, 1, 1), utc(2026, 5, 15))
    assert [(x.person_id, x.start) for x in shifts] == [
        ("ann", utc(2026, 1, 31, 17, 0)),  # 18:00 CET
        ("ben", utc(2026, 2, 28, 17, 0)),  # 28 February, 18:00 CET
        ("cy", utc(2026, 3, 31, 16, 0)),  # 18:00 CEST
        ("ann", utc(2026, 4, 30, 16, 0)),
    ]
    assert shifts[-1].end == utc(2026, 5, 15)


def test_restricted_layer_over_a_base_layer_with_an_override_on_top():
    # Given a 24/7 weekly base layer and a business-hours layer on top, Friday to Monday in New York
    base = weekly(date(2026, 3, 2), people=("night-owl",))
    office = Layer(
        "office",
        ("dev1", "dev2"),
        date(2026, 3, 2),
        time(9, 0),
        "FREQ=DAILY",
        (Restriction(time(9, 0), time(18, 0), ("mon", "tue", "wed", "thu", "fri")),),
    )
    cover = Override("o1", "carol", utc(2026, 3, 7, 15, 0), utc(2026, 3, 7, 19, 0))  # Sat 10:00-14:00 EST
    s = schedule(base, office, overrides=[cover])
    # When the weekend across the March change is rendered
    shifts = render(s, utc(2026, 3, 6, 12, 0), utc(2026, 3, 9, 23, 0))
    # Then
    assert [(x.person_id, x.start, x.end, x.override_id) for x in shifts] == [
        ("night-owl", utc(2026, 3, 6, 12, 0), utc(2026, 3, 6, 14, 0), None),  # Fri before 09:00 EST
        ("dev1", utc(2026, 3, 6, 14, 0), utc(2026, 3, 6, 23, 0), None),  # Fri 09:00-18:00 EST (5th day: index 4 -> 0)
        ("night-owl", utc(2026, 3, 6, 23, 0), utc(2026, 3, 7, 15, 0), None),
        ("carol", utc(2026, 3, 7, 15, 0), utc(2026, 3, 7, 19, 0), "o1"),
        ("night-owl", utc(2026, 3, 7, 19, 0), utc(2026, 3, 9, 13, 0), None),
        ("dev2", utc(2026, 3, 9, 13, 0), utc(2026, 3, 9, 22, 0), None),  # Mon 09:00-18:00 EDT (8th day: index 7)
        ("night-owl", utc(2026, 3, 9, 22, 0), utc(2026, 3, 9, 23, 0), None),
    ]
    assert shifts[1].rotation_index == 0 and shifts[1].layer == "office"


def test_next_handoff_skips_shifts_of_the_same_person():
    s = schedule(Layer("daily", ("ann", "ann", "ben"), date(2026, 3, 1), time(9, 0), "FREQ=DAILY"))
    nxt = next_handoff(s, utc(2026, 3, 1, 15, 0))
    assert (nxt.person_id, nxt.start) == ("ben", utc(2026, 3, 3, 14, 0))


def test_where_overrides_overlap_the_later_one_wins_and_the_earlier_one_resumes():
    day = Override("o1", "erin", utc(2026, 3, 10, 4, 0), utc(2026, 3, 11, 4, 0))
    afternoon = Override("o2", "frank", utc(2026, 3, 10, 16, 0), utc(2026, 3, 10, 22, 0))
    s = schedule(weekly(date(2026, 3, 2)), overrides=[day, afternoon])
    shifts = render(s, utc(2026, 3, 10, 0, 0), utc(2026, 3, 11, 6, 0))
    assert [(x.person_id, x.start, x.end) for x in shifts] == [
        ("bob", utc(2026, 3, 10, 0, 0), utc(2026, 3, 10, 4, 0)),
        ("erin", utc(2026, 3, 10, 4, 0), utc(2026, 3, 10, 16, 0)),
        ("frank", utc(2026, 3, 10, 16, 0), utc(2026, 3, 10, 22, 0)),
        ("erin", utc(2026, 3, 10, 22, 0), utc(2026, 3, 11, 4, 0)),
        ("bob", utc(2026, 3, 11, 4, 0), utc(2026, 3, 11, 6, 0)),
    ]


def eight_weekly(**kw) -> Layer:
    return Layer("primary", ("alice", "bob", "carol"), date(2026, 1, 5), time(9, 0), "FREQ=WEEKLY;INTERVAL=8", **kw)


def test_the_next_handoff_of_a_long_rotation_is_found_however_far_it_is():
    # Given an 8-weekly rotation: bob from Mon 2 March (09:00 EST) to Mon 27 April (09:00 EDT)
    s = schedule(eight_weekly())
    # When the next handoff is asked for 48 days before it (a 45-day horizon found none)
    nxt = next_handoff(s, utc(2026, 3, 10, 12, 0))
    # Then it is carol's, at the real handoff
    assert (nxt.person_id, nxt.start) == ("carol", utc(2026, 4, 27, 13, 0))


def test_an_override_inside_a_long_shift_leaves_the_rest_of_it_whole():
    # Given bob's 8-week shift with a two-day override in its middle
    s = schedule(eight_weekly(), overrides=[Override("o1", "erin", utc(2026, 4, 1), utc(2026, 4, 3))])
    # Then the override and the shift after it have their real bounds
    cover = on_call(s, utc(2026, 4, 2))
    after = on_call(s, utc(2026, 4, 20))
    assert (cover.person_id, cover.start, cover.end) == ("erin", utc(2026, 4, 1), utc(2026, 4, 3))
    assert (after.person_id, after.start, after.end) == ("bob", utc(2026, 4, 3), utc(2026, 4, 27, 13, 0))


def test_a_one_person_layer_is_on_call_with_no_handoff_ahead():
    # Given one person rotating weekly since 2024 (every shift is theirs)
    s = schedule(weekly(date(2024, 1, 1), people=("solo",)))
    # When who is on call is asked
    shift = on_call(s, utc(2026, 6, 2, 12, 0))
    # Then it is them since the first handoff, with no handoff ahead
    assert (shift.person_id, shift.start, shift.end) == ("solo", utc(2024, 1, 1, 14, 0), None)
    assert next_handoff(s, utc(2026, 6, 2, 12, 0)) is None


def test_a_utc_until_is_the_zones_wall_time_of_that_moment():
    # Given a daily 09:00 New York rotation whose UNTIL is 13:00Z on 9 March (09:00 EDT, after the change)
    s = schedule(Layer("daily", ("ann", "ben"), date(2026, 3, 6), time(9, 0), "FREQ=DAILY;UNTIL=20260309T130000Z"))
    # Then the 9 March handoff is the last one, and ben stays on call after it
    shifts = render(s, utc(2026, 3, 6), utc(2026, 3, 12))
    assert [(x.person_id, x.start) for x in shifts][-1] == ("ben", utc(2026, 3, 9, 13, 0))
    assert on_call(s, utc(2026, 3, 11)).end is None


def test_the_next_handoff_after_a_gap_longer_than_45_days_is_found():
    # Given a rotation that starts on 1 June, asked about in March (nobody on call until then)
    later = Layer("daily", ("ann", "ben"), date(2026, 6, 1), time(9, 0), "FREQ=DAILY")
    # When the next handoff is asked for
    nxt = next_handoff(schedule(later), utc(2026, 3, 1))
    # Then it is ann's first shift, whole
    assert (nxt.person_id, nxt.start, nxt.end) == ("ann", utc(2026, 6, 1, 13, 0), utc(2026, 6, 2, 13, 0))


def test_the_next_handoff_after_an_override_and_a_long_gap_is_found():
    # Given an override in March and a rotation that starts on 1 June
    later = Layer("daily", ("ann", "ben"), date(2026, 6, 1), time(9, 0), "FREQ=DAILY")
    cover = Override("o1", "zoe", utc(2026, 3, 1), utc(2026, 3, 2))
    # When the next handoff is asked for during the override
    nxt = next_handoff(schedule(later, overrides=[cover]), utc(2026, 3, 1, 5, 0))
    # Then it is ann's, not "no handoff ahead"
    assert (nxt.person_id, nxt.start) == ("ann", utc(2026, 6, 1, 13, 0))


def test_no_next_handoff_when_nothing_changes_after_a_gap():
    # Given a schedule with one override and no layer
    s = schedule(overrides=[Override("o1", "zoe", utc(2026, 3, 1), utc(2026, 3, 2))])
    # Then after the override there is nobody, and no handoff ahead
    assert next_handoff(s, utc(2026, 3, 1, 5, 0)) is None


def test_the_next_handoff_after_a_long_gap_is_the_first_restricted_shift_not_a_later_one():
    # Given a business-hours rotation starting on Thursday 30 April, and an override ending in March
    office = Layer(
        "office",
        ("ann", "ben"),
        date(2026, 4, 30),
        time(9, 0),
        "FREQ=WEEKLY",
        (Restriction(time(9, 0), time(17, 0), ("thu",)),),
    )
    cover = Override("o1", "zoe", utc(2026, 3, 1), utc(2026, 3, 2))
    # When the next handoff is asked for during the override
    nxt = next_handoff(schedule(office, overrides=[cover]), utc(2026, 3, 1, 5, 0))
    # Then it is ann's first Thursday, 09:00 to 17:00 EDT
    assert (nxt.person_id, nxt.start, nxt.end) == ("ann", utc(2026, 4, 30, 13, 0), utc(2026, 4, 30, 21, 0))


def test_a_restriction_ending_in_the_skipped_hour_ends_when_the_clocks_jump():
    # Given a night window 18:00-02:30 over a New York rotation: on 8 March 02:30 does not exist
    night = Layer(
        "night", ("ann", "ben"), date(2026, 3, 2), time(9, 0), "FREQ=WEEKLY", (Restriction(time(18), time(2, 30)),)
    )
    s = schedule(night)
    # When who is on call is asked at 01:10 EST, before the change
    shift = on_call(s, utc(2026, 3, 8, 6, 10))
    # Then the shift ends at 03:00 EDT, when the wall clock passes 02:30 (not 03:30 EDT, half an hour on)
    assert (shift.person_id, shift.start, shift.end) == ("ann", utc(2026, 3, 7, 23, 0), utc(2026, 3, 8, 7, 0))
    assert on_call(s, utc(2026, 3, 8, 7, 10)) is None  # 03:10 EDT is outside 18:00-02:30


def test_a_restriction_starting_in_the_skipped_hour_starts_when_the_clocks_jump():
    # Given an early window 02:30-06:00: on 8 March the wall clock goes from 02:00 EST to 03:00 EDT
    early = Layer(
        "early", ("ann", "ben"), date(2026, 3, 2), time(9, 0), "FREQ=WEEKLY", (Restriction(time(2, 30), time(6)),)
    )
    # Then ann is on call at 03:10 EDT, from 03:00 EDT to 06:00 EDT
    shift = on_call(schedule(early), utc(2026, 3, 8, 7, 10))
    assert (shift.person_id, shift.start, shift.end) == ("ann", utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 10, 0))
