"""Times on console pages are in the browser's time zone (the pl_tz cookie console.js sets), with
their offset; UTC when it is not known."""

from datetime import UTC, datetime

import pytest

from tests.functional.console.test_console import sign_in

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
        ("Factory", "2026-12-01 23:30:05 UTC"),  # no IANA zone: tzcode's placeholder (before: shown as +00:00)
        ("posix/Asia/Shanghai", "2026-12-01 23:30:05 UTC"),  # a copy of the database, not a zone name
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
    assert re.search(r"<td class=\"when\">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00</td>", page.text)
    assert not re.search(r"<td[^>]*>\d{4}-\d\d-\d\dT\d\d:", page.text)


RAW_ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d"  # a timestamp as stored, not as pages show times


def test_on_call_shifts_are_shown_in_the_browsers_time_zone(api, admin_user, admin_key):  # noqa: F811
    import re

    from pagerless.people.service import PeopleService
    from tests.conftest import auth

    # Given a Berlin schedule whose shifts hand off at 09:00 there (08:00 UTC in winter)
    people = PeopleService()
    ids = [people.create("default", name=n, email=f"{n.lower()}@example.com").id for n in ("Carol", "Dave")]
    layer = {"name": "daily", "participants": ids, "rotation_start": "2026-01-05", "handoff_time": "09:00"}
    schedule = {"name": "payments primary", "timezone": "Europe/Berlin", "layers": [{**layer, "rrule": "FREQ=DAILY"}]}
    assert api.post("/api/oncall/schedules", json=schedule, headers=auth(admin_key)).status_code == 201
    # When a New York engineer reads the on-call page
    sign_in(api, "root@example.com")
    api.cookies.set("pl_tz", "America/New_York")
    page = api.get("/console/oncall")
    # Then the handoffs are at 03:00 their time, shown with their offset, as every other time on the console
    assert page.status_code == 200
    assert re.search(r"<td class=\"when\">\d{4}-\d\d-\d\d 03:00:00 -05:00</td>", page.text)
    assert re.search(r"until \d{4}-\d\d-\d\d 03:00:00 -05:00", page.text)
    assert not re.search(RAW_ISO, page.text)


def test_slo_windows_and_report_periods_are_shown_in_the_browsers_time_zone(api, admin_user, admin_key):  # noqa: F811
    import re

    from tests.conftest import FIXTURES, auth
    from tests.functional.console.test_ops_pages import post

    imported = api.post(
        "/api/slo/import",
        content=(FIXTURES / "slo" / "payments.yaml").read_bytes(),
        headers={**auth(admin_key), "content-type": "application/yaml"},
    )
    assert imported.status_code == 200, imported.text
    sign_in(api, "root@example.com")
    assert post(api, "/console/reports", {"report_type": "daily"}).status_code == 303
    api.cookies.set("pl_tz", "Asia/Shanghai")
    # The SLO's window and the report's period (UTC midnights: 08:00 in Shanghai) are shown like every other time
    budget = api.get("/console/slo/payments-api-availability")
    assert budget.status_code == 200 and not re.search(RAW_ISO, budget.text)
    assert re.search(r"<dd>[0-9-]{10} [0-9:]{8} \+08:00 – [0-9-]{10} [0-9:]{8} \+08:00</dd>", budget.text)
    reports = api.get("/console/reports")
    assert reports.status_code == 200 and not re.search(RAW_ISO, reports.text)
    assert re.search(r"<td>\d{4}-\d\d-\d\d 08:00:00 \+08:00 – \d{4}-\d\d-\d\d 08:00:00 \+08:00</td>", reports.text)
