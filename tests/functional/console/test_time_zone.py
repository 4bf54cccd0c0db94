"""Times on console pages are in the browser's time zone (the pl_tz cookie console.js sets), with
their offset; UTC when it is not known."""

from datetime import UTC, datetime

import pytest

from tests.functional.console.test_console import admin_user, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.functional
SEEN = datetime(2026, 12, 1, 23, 30, 5, tzinfo=UTC)


def _save_incident() -> None:
    from pagerless.store.incidents import IncidentRecord

    IncidentRecord(
        "INC-20261201-0001",
        workspace="default",
        created_key=f"{SEEN.isoformat()}#INC-20261201-0001",
        service_key="default#prod#payments",
        title="payments 5xx",
        severity="critical",
        first_seen=SEEN,
        last_seen=SEEN,
        created_at=SEEN,
    ).save()


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Shanghai", "2026-12-02 07:30:05 +08:00"),  # the next day there
        ("America/New_York", "2026-12-01 18:30:05 -05:00"),
        ("America%2FNew_York", "2026-12-01 18:30:05 -05:00"),  # as a script that encodes it writes it
        (None, "2026-12-01 23:30:05 UTC"),  # not known yet
        ("Etc/UTC", "2026-12-01 23:30:05 UTC"),
        ("Mars/Olympus_Mons", "2026-12-01 23:30:05 UTC"),  # names no zone
    ],
)
def test_the_incident_list_shows_times_in_the_browsers_time_zone(api, admin_user, zone, shown):  # noqa: F811
    _save_incident()
    sign_in(api, "root@example.com")
    if zone:
        api.cookies.set("pl_tz", zone)
    page = api.get("/console/incidents")
    assert page.status_code == 200
    assert shown in page.text


def test_table_pages_show_formatted_times_not_raw_timestamps(api, admin_user):  # noqa: F811
    import re

    # Given an audit log with the sign-in in it
    sign_in(api, "root@example.com")
    api.cookies.set("pl_tz", "Asia/Shanghai")
    # When the audit page is read
    page = api.get("/console/audit")
    # Then its times are the page's, in the browser's zone, not ISO strings
    assert page.status_code == 200
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00</td>", page.text)
    assert not re.search(r"<td>\d{4}-\d\d-\d\dT\d\d:", page.text)
