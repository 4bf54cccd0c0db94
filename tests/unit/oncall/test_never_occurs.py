"""A rule is called never-occurring only when it has no occurrence: rules whose only dates are rare
(leap days, the 31st of the long months, a month's last day counted from its end) are not refused;
rules that step over their only dates (every fourth year from a common year, on 29 February) are."""

from datetime import datetime

import pytest
from dateutil.rrule import rrulestr

from pagerless.oncall.occurrences import findable, never_occurs

pytestmark = pytest.mark.unit

START = datetime(2026, 3, 30, 9)  # a Monday


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
        "FREQ=YEARLY;BYYEARDAY=366",
        "FREQ=YEARLY;BYYEARDAY=-366",
        "FREQ=YEARLY;BYYEARDAY=60;BYMONTH=2",
        "FREQ=MONTHLY;BYMONTHDAY=-29;BYMONTH=2",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=MONTHLY",
        "FREQ=YEARLY",
        "FREQ=WEEKLY;BYMONTH=12;BYMONTHDAY=31",
        "FREQ=DAILY;INTERVAL=7;BYDAY=MO,TU",
        "FREQ=DAILY;INTERVAL=3;BYDAY=SU",
        "FREQ=HOURLY;INTERVAL=5;BYHOUR=9,14",
        "freq=yearly;interval=2;bymonth=2;bymonthday=29",  # 2026, 2028
        "FREQ=MONTHLY;INTERVAL=11;BYMONTH=2;BYMONTHDAY=1",  # from March 2026, eleven months at a time: February 2027
    ],
)
def test_a_rule_with_an_occurrence_is_not_called_never_occurring(rule):
    parsed = rrulestr(rule, dtstart=START)
    assert parsed.after(START, inc=True) is not None  # the rule does occur
    assert never_occurs(rule, START) is False


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=YEARLY;BYMONTH=2",
        "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=-31",
        "FREQ=MONTHLY;INTERVAL=12;BYMONTH=2;BYMONTHDAY=1",
        "FREQ=DAILY;INTERVAL=14;BYDAY=TU",
    ],
)
def test_a_rule_no_date_can_satisfy_is_never_occurring(rule):
    # FREQ=YEARLY;BYMONTH=2 takes its day from the 30 March start: 30 February;
    # FREQ=MONTHLY;INTERVAL=12 from March is in March every year, never in February
    assert never_occurs(rule, START) is True


LEAP_DAY = "FREQ=YEARLY;INTERVAL={};BYMONTH=2;BYMONTHDAY=29"


@pytest.mark.parametrize(
    ("interval", "year", "never"),
    [
        (4, 2025, True),  # 2025, 2029, 2033...: never divisible by 4
        (4, 2026, True),
        (4, 2024, False),
        (4, 2100, False),  # 2100 is no leap year, 2104 is
        (2, 2025, True),  # odd years only
        (2, 2026, False),  # 2028
        (3, 2025, False),  # 2028
        (8, 2028, False),
        (100, 2000, False),  # 2000 (divisible by 400)
        (100, 2100, False),  # 2100, 2200, 2300: centuries; 2400 is a leap year
        (200, 2100, True),  # 2100, 2300, 2500...: centuries never divisible by 400
        (400, 2100, True),
        (400, 2004, False),
        (1000, 2025, True),  # 2025, 3025...: odd
        (8000, 2000, False),  # 2000 itself
        (8000, 2001, True),  # 2001, then 10001: past the year 9999, where dateutil stops
    ],
)
def test_a_yearly_leap_day_rule_occurs_only_if_its_years_reach_a_leap_year(interval, year, never):
    # Given a rotation on 29 February every ``interval`` years, from 1 January of ``year``
    rule, start = LEAP_DAY.format(interval), datetime(year, 1, 1, 9)
    # Then it is called never-occurring exactly when dateutil finds none within the 400 years the calendar repeats in
    found = rrulestr(rule, dtstart=start).before(datetime(min(year + 800, 9999), 1, 1))
    assert (found is None) is never
    assert never_occurs(rule, start) is never


def test_a_monthly_rule_stepping_over_the_leap_februaries_is_never_occurring():
    # From February 2025, 48 months at a time: February 2029, 2033...: never a leap year's
    start = datetime(2025, 2, 1, 9)
    assert never_occurs("FREQ=MONTHLY;INTERVAL=48;BYMONTHDAY=29", start) is True
    assert never_occurs("FREQ=MONTHLY;INTERVAL=48;BYMONTHDAY=28", start) is False
    assert never_occurs("FREQ=MONTHLY;INTERVAL=36;BYMONTHDAY=29", start) is False  # February 2028


def test_a_rule_stepping_far_is_told_at_once():
    # No walk to the year 9999: the years repeat their leap pattern every 400
    import time

    began = time.perf_counter()
    for _ in range(100):
        never_occurs(LEAP_DAY.format(4), datetime(2025, 1, 1))
        never_occurs("FREQ=MONTHLY;INTERVAL=48;BYMONTHDAY=29", datetime(2025, 2, 1))
    assert time.perf_counter() - began < 1.0


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY;BYSETPOS=30",  # dateutil: minutes, hour by hour to the year 9999
        "FREQ=DAILY;BYSETPOS=-2",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
        "FREQ=YEARLY;BYWEEKNO=54",
        "FREQ=HOURLY;INTERVAL=7;BYDAY=MO;BYHOUR=3",  # from Monday 09:00, 7 hours at a time: never Monday 03:00
        "FREQ=DAILY;UNTIL=20200101",  # over before the rotation starts
    ],
)
def test_a_rule_whose_walk_finds_no_occurrence_is_not_findable_and_the_walk_is_cut_short(rule):
    # never_occurs cannot tell these; the bounded walk can, at once
    assert never_occurs(rule, START) is False
    assert findable(rrulestr(rule, dtstart=START), START) is False


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY",
        "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",  # the last Friday of the month
        "FREQ=MONTHLY;BYMONTH=2;BYDAY=MO;BYSETPOS=5",  # February 2044
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",  # 2044
        "FREQ=HOURLY;INTERVAL=5;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=7",  # 2140
        "FREQ=DAILY;INTERVAL=400;BYMONTH=2;BYMONTHDAY=29",  # 2520
    ],
)
def test_a_rotation_with_a_rare_first_handover_is_findable(rule):
    assert findable(rrulestr(rule, dtstart=START), START) is True


def test_the_bounded_walk_puts_back_the_trace_function_it_found():
    import sys

    def tracer(frame, event, arg):
        return None

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        findable(rrulestr("FREQ=HOURLY;BYSETPOS=30", dtstart=START), START)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(before)
