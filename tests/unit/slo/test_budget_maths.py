"""Error-budget maths with exact fractions: every expected number is worked out by hand."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from pagerless.slo import budget as maths

END = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
THREE_NINES = maths.Objective(target=Fraction(999, 1000))


def buckets(start: datetime, count: int, good: int, total: int) -> list[maths.Bucket]:
    return [maths.Bucket(start + i * maths.BUCKET, Fraction(good), Fraction(total)) for i in range(count)]


def rolling_30d():
    return maths.rolling_window(END, 30)


def test_budget_total_is_window_times_allowed_error():
    # Given a 30-day window and 99.9 %
    # When nothing was served yet
    status = maths.evaluate([], THREE_NINES, rolling_30d())
    # Then the budget is 43,200 min × 0.001 = 43.2 min, nothing consumed, level ok
    assert status.total_minutes == Fraction(216, 5)
    assert status.consumed_minutes == 0
    assert status.remaining_fraction == 1
    assert status.alert_level == "ok"
    assert status.time_to_exhaustion_hours(THREE_NINES) is None


def test_occurrences_consume_in_proportion_to_the_error_ratio():
    # Given 30 days of 2,000 requests per bucket with 1 error each (error ratio 1/2000 = half the allowed)
    start = END - timedelta(days=30)
    data = buckets(start, 30 * 288, good=1999, total=2000)
    # When
    status = maths.evaluate(data, THREE_NINES, rolling_30d())
    # Then half the budget is spent, every burn rate is 1/2, and 21.6 min remain
    assert status.consumed_minutes == Fraction(108, 5)
    assert status.remaining_minutes == Fraction(108, 5)
    assert all(rate == Fraction(1, 2) for rate in status.burn_rates.values())
    assert status.burn_rate == Fraction(1, 2)
    # 21.6 min / (0.5 × 0.001) / 60 = 720 h
    assert status.time_to_exhaustion_hours(THREE_NINES) == 720
    assert status.alert_level == "ok"


def test_fast_burn_pages_only_when_long_and_short_windows_both_exceed_14_4():
    # Given a clean 3 days, then an hour at 15 errors per 1,000 (burn 15)
    clean = buckets(END - timedelta(days=3), 3 * 288 - 12, good=1000, total=1000)
    burning = buckets(END - timedelta(hours=1), 12, good=985, total=1000)
    # When
    status = maths.evaluate(clean + burning, THREE_NINES, rolling_30d())
    # Then 1 h and 5 m burn at exactly 15: critical
    assert status.burn_rates["1h"] == 15
    assert status.burn_rates["5m"] == 15
    assert status.burn_rates["6h"] == Fraction(15 * 12, 72)
    assert status.alert_level == "critical"


def test_fast_burn_that_has_stopped_does_not_page():
    # Given the same hour of burn, but the last 5 minutes are clean (the short window resets the alert)
    clean = buckets(END - timedelta(days=3), 3 * 288 - 12, good=1000, total=1000)
    burning = buckets(END - timedelta(hours=1), 11, good=985, total=1000)
    recovered = buckets(END - timedelta(minutes=5), 1, good=1000, total=1000)
    # When
    status = maths.evaluate(clean + burning + recovered, THREE_NINES, rolling_30d())
    # Then the 1 h rate is 15 × 11/12 = 13.75 and the 5 m rate 0
    assert status.burn_rates["1h"] == Fraction(55, 4)
    assert status.burn_rates["5m"] == 0
    assert status.alert_level == "ok"


def test_exactly_the_threshold_is_not_above_it():
    clean = buckets(END - timedelta(hours=6), 60, good=10000, total=10000)
    data = clean + buckets(END - timedelta(hours=1), 12, good=9856, total=10000)  # 144/10000 = 14.4 × 0.001
    status = maths.evaluate(data, THREE_NINES, rolling_30d())
    # Then 1 h and 5 m are exactly 14.4 (not above it: no page); 6 h is 14.4 × 12/72 = 2.4 (not above 6),
    # while 3 d (the same 6 hours of data) and 6 h are above 1: the slow-burn ticket
    assert status.burn_rates["1h"] == Fraction(72, 5) and status.burn_rates["5m"] == Fraction(72, 5)
    assert status.burn_rates["6h"] == Fraction(12, 5) and status.burn_rates["3d"] == Fraction(12, 5)
    assert status.alert_level == "warning"


def test_six_hour_pair_pages_at_six():
    # Given 6 hours at 7 errors per 1,000 (burn 7): 1 h is 7 (not > 14.4), 6 h and 30 m are 7 (> 6)
    data = buckets(END - timedelta(hours=6), 72, good=993, total=1000)
    status = maths.evaluate(data, THREE_NINES, rolling_30d())
    assert status.burn_rates["6h"] == 7 and status.burn_rates["30m"] == 7
    assert status.alert_level == "critical"


def test_slow_burn_is_a_warning():
    # Given 3 days at 1.5 errors per 1,000 (burn 1.5): above 1 over 3 d and 6 h, below 6
    data = buckets(END - timedelta(days=3), 3 * 288, good=9985, total=10000)
    status = maths.evaluate(data, THREE_NINES, rolling_30d())
    assert status.burn_rates["3d"] == Fraction(3, 2) and status.burn_rates["6h"] == Fraction(3, 2)
    assert status.alert_level == "warning"


def test_spent_budget_is_a_warning_even_when_nothing_burns_now():
    # Given a bad day long ago that spent more than the budget, and a clean last 3 days
    bad_day = buckets(END - timedelta(days=20), 288, good=900, total=1000)
    clean = buckets(END - timedelta(days=3), 3 * 288, good=1000, total=1000)
    status = maths.evaluate(bad_day + clean, THREE_NINES, rolling_30d())
    assert status.remaining_minutes < 0
    assert status.time_to_exhaustion_hours(THREE_NINES) == 0
    assert status.alert_level == "warning"


def test_buckets_outside_the_window_do_not_count():
    old = buckets(END - timedelta(days=31), 12, good=0, total=1000)
    status = maths.evaluate(old, THREE_NINES, rolling_30d())
    assert status.consumed_minutes == 0 and status.total == 0


def test_timeslices_count_bad_five_minute_slices():
    # Given 99 % of good slices required... objective: 95 % good events per slice, 99.9 % good slices
    objective = maths.Objective(target=Fraction(999, 1000), timeslices=True, time_slice_target=Fraction(95, 100))
    good = buckets(END - timedelta(days=1), 278, good=96, total=100)
    bad = buckets(END - timedelta(minutes=50), 10, good=94, total=100)
    # When
    status = maths.evaluate(good + bad, objective, rolling_30d())
    # Then 10 bad slices = 50 bad minutes of 43.2 allowed; the last hour had 50 bad minutes of 60
    assert status.consumed_minutes == 50
    assert status.burn_rates["1h"] == Fraction(50, 60) * 1000
    assert status.alert_level == "critical"


def test_timeslices_without_data_are_not_bad():
    objective = maths.Objective(target=Fraction(99, 100), timeslices=True, time_slice_target=Fraction(1, 2))
    empty = buckets(END - timedelta(hours=1), 12, good=0, total=0)
    assert maths.evaluate(empty, objective, rolling_30d()).consumed_minutes == 0


@pytest.mark.parametrize(
    ("moment", "zone", "minutes"),
    [
        (datetime(2026, 2, 10, tzinfo=UTC), "Asia/Shanghai", 28 * 1440),
        (datetime(2026, 3, 30, tzinfo=UTC), "Europe/Berlin", 31 * 1440 - 60),  # spring forward
        (datetime(2026, 10, 30, tzinfo=UTC), "Europe/Berlin", 31 * 1440 + 60),  # fall back
        (datetime(2026, 2, 28, 17, 0, tzinfo=UTC), "Asia/Shanghai", 31 * 1440),  # already 1 March in Shanghai
    ],
)
def test_calendar_month_has_its_real_length_in_its_time_zone(moment, zone, minutes):
    start, end, length = maths.calendar_month(moment, zone)
    assert length == minutes
    assert start.day == 1 and start.hour == 0
    assert end == maths.align(moment)


def test_calendar_month_budget_uses_the_whole_month():
    # February 2026, 99.9 %: 40,320 min × 0.001 = 40.32 min
    status = maths.evaluate([], THREE_NINES, maths.calendar_month(datetime(2026, 2, 10, tzinfo=UTC), "UTC"))
    assert status.total_minutes == Fraction(4032, 100)


def test_align_floors_to_five_minutes():
    assert maths.align(datetime(2026, 1, 1, 10, 7, 59, tzinfo=UTC)) == datetime(2026, 1, 1, 10, 5, tzinfo=UTC)


def test_a_month_that_ended_is_that_month_not_the_next_ones_empty_start():
    # Given the first instant of December in New York (05:00 UTC)
    december = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    # When the month is taken as of that moment, and as a period ending there left it
    start, end, length = maths.calendar_month(december, "America/New_York")
    ended_start, ended_end, ended_length = maths.calendar_month(december, "America/New_York", ended=True)
    # Then December has just begun (nothing in it yet); the month that ended is November, all of it:
    # 30 days and the hour its fall-back day added
    assert start == end == december and length == 31 * 1440
    assert ended_start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC) and ended_end == december
    assert ended_length == 30 * 1440 + 60


def test_a_new_slos_short_burst_spends_its_hour_not_the_whole_window():
    # Given a new 30-day SLO of 99.9 % whose SLI began an hour ago, with 1 % errors all along
    data = buckets(END - timedelta(hours=1), 12, good=990, total=1000)
    # When
    status = maths.evaluate(data, THREE_NINES, rolling_30d())
    # Then the hour spent 10x its own budget (0.6 min of 0.06), 1.39 % of the window's 43.2 min, not 10x the window's
    assert status.elapsed_start == END - timedelta(hours=1) and status.elapsed_minutes == 60
    assert status.consumed_minutes == Fraction(6, 10)
    assert status.elapsed_budget_minutes == Fraction(6, 100)
    assert status.remaining_fraction == 1 - Fraction(6, 10) / Fraction(216, 5)
    assert status.burn_rate == 10


def test_a_quiet_start_is_no_data_not_a_later_start():
    # Given a 30-day SLO of 99.9 % created 60 days ago whose service served nothing in the window's first 20 days,
    # then 1 % errors for its last 10
    created = END - timedelta(days=60)
    data = buckets(END - timedelta(days=10), 10 * 288, good=990, total=1000)
    # When
    status = maths.evaluate(data, THREE_NINES, rolling_30d(), started=created)
    # Then the window's elapsed part is all 30 days (the quiet days are no data): the 1 % error ratio over the
    # window spends 10x the 43.2 min budget, not the 10 days' 14.4 min x 10
    assert status.elapsed_start == END - timedelta(days=30) and status.elapsed_minutes == 43200
    assert status.consumed_minutes == Fraction(432)


def test_an_slo_created_in_the_window_starts_at_its_creation():
    # Given a 30-day SLO created 10 days ago (2 minutes into a 5-minute bucket), whose first samples came 2 days ago
    created = END - timedelta(days=10) + timedelta(minutes=2)
    data = buckets(END - timedelta(days=2), 2 * 288, good=990, total=1000)
    # When
    status = maths.evaluate(data, THREE_NINES, rolling_30d(), started=created)
    # Then its window starts at its creation's bucket: 10 days elapsed, of which 8 without data
    assert status.elapsed_start == END - timedelta(days=10) and status.elapsed_minutes == 14400
    assert status.consumed_minutes == Fraction(144)


def test_an_slo_created_over_a_metric_with_history_covers_the_history_its_backfill_read():
    # Given an SLO created an hour ago whose backfill read 4 days of samples
    data = buckets(END - timedelta(days=4), 4 * 288, good=999, total=1000)
    # When
    status = maths.evaluate(data, THREE_NINES, rolling_30d(), started=END - timedelta(hours=1))
    # Then the SLO starts at that first bucket
    assert status.elapsed_start == END - timedelta(days=4) and status.elapsed_minutes == 4 * 1440
