"""Rotations that name no turn (or that never hand over), and moments too far out to resolve, are refused with a 422 in the API's
error format (nothing stored); a schedule stored before they were refused still answers who is on call."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

LAYER = {"name": "daily", "rotation_start": "2026-03-01", "handoff_time": "09:00", "rrule": "FREQ=DAILY"}


def _person(api, h, name: str) -> str:
    return api.post("/api/people", json={"name": name.title(), "email": f"{name}@example.com"}, headers=h).json()["id"]


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=DAILY;INTERVAL=0",  # before: stored, then every lookup looped on one handoff until memory ran out
        "FREQ=WEEKLY;BYDAY=MO,TH;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=-1",  # before: stored, then every lookup failed (500) or hung
        "FREQ=HOURLY;INTERVAL=x",
        "FREQ=DAILY;COUNT=0",  # before: stored, and nobody was ever on call
        "FREQ=WEEKLY;COUNT=-2",
        # before: stored, and every lookup walked the rule to the year 9999 (seconds) to find no handoff
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31",
        "FREQ=YEARLY;BYYEARDAY=1;BYMONTH=2",
        "FREQ=DAILY;INTERVAL=7;BYDAY=MO",  # from Sunday 2026-03-01, a week at a time: never a Monday
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",  # 2026, 2030, 2034...: never a leap year
        "FREQ=MONTHLY;INTERVAL=12;BYMONTH=2",  # from March, twelve months at a time: never February
        "FREQ=DAILY;BYHOUR=24",  # before: stored, then every lookup failed (500)
        "FREQ=HOURLY;BYMINUTE=0,60",
        # before: stored, and every lookup walked to the year 9999 (an hourly one hour by hour: minutes)
        "FREQ=HOURLY;BYSETPOS=30",  # an hour's set holds one time
        "FREQ=DAILY;BYSETPOS=-2",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",  # no month has six Mondays
        "FREQ=YEARLY;BYWEEKNO=54",
        "FREQ=HOURLY;INTERVAL=7;BYDAY=MO;BYHOUR=3",  # from Sunday 09:00, 7 hours at a time: never Monday 03:00
    ],
)
def test_a_rotation_that_names_no_turn_is_refused(api, admin_key, rrule):
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    body = {"name": "ny", "timezone": "America/New_York", "layers": [{**LAYER, "participants": [ann, ben]}]}
    body["layers"][0]["rrule"] = rrule
    response = api.post("/api/oncall/schedules", json=body, headers=h)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"][0]["field"] == "body.layers.0.rrule"
    assert api.get("/api/oncall/schedules", headers=h).json()["items"] == []


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=MONTHLY;BYMONTHDAY=29;BYMONTH=2",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYYEARDAY=366",
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29",  # 2026, 2028 (a leap year)...
        "FREQ=MONTHLY;BYMONTH=2;BYDAY=MO;BYSETPOS=5",  # a February with five Mondays: 2044
        "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",  # the last Friday of every month
    ],
)
def test_a_rotation_on_leap_days_only_is_accepted(api, admin_key, rrule):
    h = auth(admin_key)
    ann = _person(api, h, "ann")
    body = {"name": "ny", "timezone": "America/New_York", "layers": [{**LAYER, "participants": [ann], "rrule": rrule}]}
    assert api.post("/api/oncall/schedules", json=body, headers=h).status_code == 201


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYHOUR=24",
        "FREQ=DAILY;BYSETPOS=-2",  # before: each lookup walked to the year 9999 (seconds)
    ],
)
def test_a_stored_rotation_with_no_turn_gives_way_to_the_other_layers(api, admin_key, rrule):
    from pagerless.store.oncall import SCHEDULES, DocumentRepository

    # Given a schedule stored before its rule was refused, over a base layer that has someone
    h = auth(admin_key)
    ann, ben, cy = _person(api, h, "ann"), _person(api, h, "ben"), _person(api, h, "cy")
    layers = [
        {**LAYER, "name": "base", "participants": [cy], "handoff_time": "09:00:00"},
        {
            **LAYER,
            "name": "broken",
            "participants": [ann, ben],
            "handoff_time": "09:00:00",
            "rrule": rrule,
        },
    ]
    doc = {"id": "sch-legacy", "workspace": "default", "name": "old", "timezone": "America/New_York", "layers": layers}
    DocumentRepository(SCHEDULES).create("default", "sch-legacy", doc)
    # When who is on call is asked, and the shifts of a day
    now = api.get("/api/oncall/current", params={"schedule": "sch-legacy", "at": "2026-03-08T12:00:00Z"}, headers=h)
    shifts = api.get(
        "/api/oncall/schedules/sch-legacy/shifts",
        params={"start": "2026-03-08T00:00:00Z", "end": "2026-03-09T00:00:00Z"},
        headers=h,
    )
    # Then the broken layer has nobody (it names no turn) and the base layer's person is on call
    # (before, for BYHOUR=24: a 500 each time)
    assert now.status_code == 200, now.text
    assert now.json()["oncall"] == cy
    assert [s["person_id"] for s in shifts.json()["shifts"]] == [cy]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/oncall/current", {"at": "9999-12-31T23:00:00Z"}),
        ("/api/oncall/current", {"at": "0001-01-01T00:00:00Z"}),
        ("shifts", {"start": "9999-12-30T00:00:00Z"}),
        ("shifts", {"start": "0001-01-01T00:00:00Z", "end": "0001-01-05T00:00:00Z"}),
        ("ical", {"start": "9999-12-30T00:00:00Z"}),
    ],
)
def test_a_moment_out_of_range_is_a_422_not_a_500(api, admin_key, path, params):
    h = auth(admin_key)
    ann = _person(api, h, "ann")
    body = {"name": "ny", "timezone": "America/New_York", "layers": [{**LAYER, "participants": [ann]}]}
    sid = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]
    url = path if path.startswith("/") else f"/api/oncall/schedules/{sid}/{path}"
    response = api.get(url, params={"schedule": sid, **params} if path.startswith("/") else params, headers=h)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("where", "value"),
    [("rotation_start", "9999-12-31"), ("rotation_start", "0001-01-01"), ("override_end", "9999-12-31T00:00:00Z")],
)
def test_a_date_out_of_range_is_refused_rather_than_breaking_every_lookup(api, admin_key, where, value):
    # Before: a rotation starting 9999-12-31, or an override "for ever" (until 9999-12-31), was stored,
    # and from then on every lookup of the schedule failed (500), so its escalations paged nobody.
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    layer = {**LAYER, "participants": [ann]}
    if where == "rotation_start":
        layer["rotation_start"] = value
    body = {"name": "ny", "timezone": "America/New_York", "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=body, headers=h)
    if where == "rotation_start":
        assert created.status_code == 422, created.text
        assert created.json()["error"]["details"][0]["field"] == "body.layers.0.rotation_start"
        assert api.get("/api/oncall/schedules", headers=h).json()["items"] == []
        return
    sid = created.json()["id"]
    url = f"/api/oncall/schedules/{sid}/overrides"
    cover = api.post(url, json={"person_id": ben, "start": "2026-03-05T00:00:00Z", "end": value}, headers=h)
    assert cover.status_code == 422, cover.text
    assert cover.json()["error"]["details"][0]["field"] == "body.end"
    assert api.get(url, headers=h).json()["items"] == []
    now = api.get("/api/oncall/current", params={"schedule": sid, "at": "2026-03-08T12:00:00Z"}, headers=h)
    assert now.status_code == 200 and now.json()["oncall"] == ann


def test_a_stored_override_for_ever_still_resolves(api, admin_key):
    from pagerless.store.oncall import OverrideRepository

    # Given an override until 9999-12-31 stored before such dates were refused
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    body = {"name": "ny", "timezone": "America/New_York", "layers": [{**LAYER, "participants": [ann]}]}
    sid = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]
    cover = {"id": "ovr-old", "schedule_id": sid, "person_id": ben, "created_at": "2026-01-01T00:00:00+00:00"}
    OverrideRepository().put("default", sid, {**cover, "start": "2026-03-05T00:00:00Z", "end": "9999-12-31T00:00:00Z"})
    # When who is on call is asked, before and during it, and the shifts over its start
    before = api.get("/api/oncall/current", params={"schedule": sid, "at": "2026-03-02T12:00:00Z"}, headers=h)
    during = api.get("/api/oncall/current", params={"schedule": sid, "at": "2026-03-08T12:00:00Z"}, headers=h)
    shifts = api.get(
        f"/api/oncall/schedules/{sid}/shifts",
        params={"start": "2026-03-04T00:00:00Z", "end": "2026-03-06T00:00:00Z"},
        headers=h,
    )
    # Then ann hands over to ben for good (before: a 500 each time, so escalations through it paged nobody)
    assert before.status_code == 200, before.text
    assert (before.json()["oncall"], before.json()["shift_end"]) == (ann, "2026-03-04T19:00:00-05:00")
    assert during.status_code == 200, during.text
    assert (during.json()["oncall"], during.json()["override_id"]) == (ben, "ovr-old")
    assert [s["person_id"] for s in shifts.json()["shifts"]] == [ann, ben]


def test_quiet_hours_that_start_when_they_end_are_refused(api, admin_key):
    # A window from 07:00 to 07:00 held nothing back (a restriction window with the same bounds lasts a
    # whole day): it was stored and the person was paged through what they took for quiet hours
    h = auth(admin_key)
    ann = _person(api, h, "ann")
    body = {"timezone": "Europe/London", "start": "07:00", "end": "07:00:00"}
    response = api.put(f"/api/oncall/quiet-hours/{ann}", json=body, headers=h)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.get(f"/api/oncall/quiet-hours/{ann}", headers=h).status_code == 404
