"""An incident's open periods (its impact): from the first alert to a resolve, from each reopen to the next."""

from datetime import UTC, datetime, timedelta

import pytest

from pagerless.domain.incidents import REOPENED_EVENT, RESOLVED_EVENT, Incident, open_periods

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def incident(**fields) -> Incident:
    return Incident(
        id="INC-1", workspace="default", title="t", severity="critical", created_at=T0, first_seen=T0, **fields
    )


def test_a_reopened_incident_was_open_before_its_resolve_and_after_its_reopen_only():
    # Given an incident resolved after 20 min, reopened at 120 and resolved again at 130
    events = [(at(130), RESOLVED_EVENT), (at(20), RESOLVED_EVENT), (at(120), REOPENED_EVENT), (at(5), "comment")]
    reopened = incident(status="resolved", reopened_at=at(120), resolved_at=at(130))
    # Then its open periods leave the 100 min it sat resolved out
    assert open_periods(reopened, events, at(500)) == [(T0, at(20)), (at(120), at(130))]


def test_an_incident_without_resolve_entries_is_open_from_its_first_alert_to_its_resolve_or_now():
    assert open_periods(incident(status="resolved", resolved_at=at(30)), [], at(500)) == [(T0, at(30))]
    assert open_periods(incident(), [], at(45)) == [(T0, at(45))]


def test_a_reopen_missing_from_the_timeline_still_starts_a_period_from_reopened_at():
    # Given the first resolve on the timeline but the reopen's entry never written, still open
    reopened = incident(reopened_at=at(60))
    assert open_periods(reopened, [(at(10), RESOLVED_EVENT)], at(90)) == [(T0, at(10)), (at(60), at(90))]
