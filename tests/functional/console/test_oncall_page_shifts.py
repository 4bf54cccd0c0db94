"""The console's on-call page lists the shifts of the next 14 days as they are: the first is the shift on call now,
from its real handoff (not from the moment the page was read), and the last ends at its real handoff (not where the
14 days end), as the API's `/api/oncall/current` and the iCal feed say."""

import re
from datetime import datetime

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import sign_in

pytestmark = pytest.mark.functional

NY = "America/New_York"


def test_the_first_and_last_shifts_on_the_oncall_page_keep_their_real_handoffs(api, admin_user, admin_key):
    from pagerless.people.service import PeopleService

    # Given a New York weekly rotation of Carol and Dave, Mondays at 09:00
    people = PeopleService()
    ids = [people.create("default", name=n, email=f"{n.lower()}@example.com").id for n in ("Carol", "Dave")]
    layer = {"name": "weekly", "participants": ids, "rotation_start": "2026-01-05", "handoff_time": "09:00"}
    created = api.post(
        "/api/oncall/schedules",
        json={"name": "payments primary", "timezone": NY, "layers": [layer]},
        headers=auth(admin_key),
    )
    assert created.status_code == 201, created.text
    now = api.get("/api/oncall/current", params={"schedule": created.json()["id"]}, headers=auth(admin_key)).json()
    # When a New York engineer reads the on-call page
    sign_in(api, "root@example.com")
    api.cookies.set("pl_tz", NY)
    page = api.get("/console/oncall")
    assert page.status_code == 200
    rows = re.findall(r"<tr><td class=\"when\">([^<]*)</td><td class=\"when\">([^<]*)</td><td>([^<]*)</td>", page.text)
    # Then the first shift is the one on call now, from the Monday 09:00 it began, until the next Monday 09:00
    started, ends = (datetime.fromisoformat(now[k]) for k in ("shift_start", "shift_end"))
    assert rows[0][0] == _shown(started) and rows[0][1] == _shown(ends) and rows[0][2] == now["oncall_name"]
    # And every shift, the last too, runs from a Monday 09:00 to the next
    assert all(" 09:00:00 " in start and " 09:00:00 " in end for start, end, _ in rows), rows


def _shown(moment: datetime) -> str:
    """A time as the console shows it in the browser's zone: ``2026-12-07 09:00:00 -05:00``."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"
