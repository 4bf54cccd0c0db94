"""The one lenient timestamp parser: what vendors, Kubernetes and our own records write."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pagerless.clock import parse_time, utcnow

pytestmark = pytest.mark.unit
MOMENT = datetime(2026, 3, 11, 2, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-11T02:14:05Z",
        "2026-03-11T02:14:05z",
        "2026-03-11T02:14:05+00:00",
        "2026-03-11T02:14:05+0000",
        "2026-03-11T10:14:05+08:00",
        "2026-03-11T02:14:05",
        "2026-03-11 02:14:05",
        1773195245,
        1773195245000,
        "1773195245",
        1773195245000000000,
        MOMENT,
        MOMENT.replace(tzinfo=None),
    ],
)
def test_every_form_reads_as_the_same_moment(value):
    assert parse_time(value) == MOMENT


def test_fractions_of_any_length_are_kept_to_microseconds():
    assert parse_time("2026-03-11T02:14:05.1Z") == MOMENT + timedelta(microseconds=100000)
    assert parse_time("2026-03-11T02:14:05.123456789Z") == MOMENT + timedelta(microseconds=123456)


def test_an_offset_is_kept():
    assert parse_time("2026-03-11T10:14:05+08:00").utcoffset() == timezone(timedelta(hours=8)).utcoffset(None)


@pytest.mark.parametrize("value", [None, "", "  ", "yesterday", "0001-01-01T00:00:00Z", 0, -5, True, {}])
def test_absent_or_unreadable_values_are_none(value):
    assert parse_time(value) is None


def test_the_clock_is_aware_utc():
    assert utcnow().tzinfo is UTC


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026-03-11T02:14:05.000+0000", MOMENT),  # CloudWatch StateChangeTime
        ("2026-03-11T02:14:05.500Z", MOMENT + timedelta(milliseconds=500)),  # Sentry date_started
        (1773195245.5, MOMENT + timedelta(milliseconds=500)),  # Sentry event timestamp (float seconds)
        ("1773195245000", MOMENT),  # Datadog date as text, milliseconds
        ("1773195245000000", MOMENT),  # microseconds
        ("0001-01-01T00:00:00.000Z", None),  # Alertmanager/Grafana "no end yet"
        (["2026-03-11T02:14:05Z"], None),  # a JSON array where a timestamp belongs
    ],
)
def test_the_forms_alert_sources_send(value, expected):
    # Given a timestamp as an intake source writes it, When it is parsed, Then it is that moment (or None)
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        (None, "2026-12-06 14:03 UTC"),
        ("UTC", "2026-12-06 14:03 UTC"),
        ("Etc/UTC", "2026-12-06 14:03 UTC"),
        ("Asia/Shanghai", "2026-12-06 22:03 UTC+08:00"),
        ("Asia/Kolkata", "2026-12-06 19:33 UTC+05:30"),
        ("America/New_York", "2026-12-06 09:03 UTC-05:00"),
        ("Europe/London", "2026-12-06 14:03 UTC+00:00"),
        ("Nowhere/Atlantis", "2026-12-06 14:03 UTC"),  # a stored zone the database lost: UTC, never a failure
    ],
)
def test_a_time_is_shown_in_a_zone_with_its_offset_and_in_utc_as_before(zone, shown):
    from pagerless.clock import display_time

    assert display_time("2026-12-06T14:03:59Z", zone) == shown
