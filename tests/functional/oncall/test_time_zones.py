"""Time zones through the API: local wall times of a schedule carry no offset, and overrides given
in any offset are ordered by the moment they start."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

LAYER = {"name": "daily", "rotation_start": "2026-03-25", "handoff_time": "09:00", "rrule": "FREQ=DAILY"}


def _person(api, h, name: str) -> str:
    return api.post("/api/people", json={"name": name.title(), "email": f"{name}@example.com"}, headers=h).json()["id"]


@pytest.mark.parametrize(
    "layer",
    [
        {"handoff_time": "09:00+08:00"},
        {"handoff_time": "09:00Z", "rrule": "FREQ=DAILY;UNTIL=20270101T000000"},
        {"restrictions": [{"start": "09:00+02:00", "end": "18:00"}]},
        {"restrictions": [{"start": "09:00", "end": "18:00Z"}]},
    ],
)
def test_a_local_time_with_an_offset_is_refused_rather_than_ignored(api, admin_key, layer):
    # Given a Berlin schedule whose handoff or restriction time names another offset
    h = auth(admin_key)
    ann = _person(api, h, "ann")
    body = {"name": "berlin", "timezone": "Europe/Berlin", "layers": [{**LAYER, "participants": [ann], **layer}]}
    # When it is created
    created = api.post("/api/oncall/schedules", json=body, headers=h)
    # Then it is a 422 naming the field (before: 201, and then the offset was silently dropped, or
    # rendering the schedule and resolving it for a page failed with a 500)
    assert created.status_code == 422, created.text
    assert created.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "schedule's time zone" in created.text


def test_quiet_hours_with_an_offset_are_refused(api, admin_key):
    h = auth(admin_key)
    ann = _person(api, h, "ann")
    body = {"timezone": "Asia/Shanghai", "start": "22:00+08:00", "end": "07:30"}
    response = api.put(f"/api/oncall/quiet-hours/{ann}", json=body, headers=h)
    assert response.status_code == 422, response.text
    assert api.put(f"/api/oncall/quiet-hours/{ann}", json={**body, "start": "22:00"}, headers=h).status_code == 200


def test_a_schedule_stored_with_an_offset_in_its_local_times_still_renders(api, admin_key):
    from pagerless.store.oncall import SCHEDULES, DocumentRepository

    # Given a schedule written before offsets were refused (its times read as Berlin wall time)
    h = auth(admin_key)
    ann = _person(api, h, "ann")
    layer = {
        **LAYER,
        "participants": [ann],
        "handoff_time": "09:00:00Z",
        "rrule": "FREQ=DAILY;UNTIL=20270101T000000",
        "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00:00+02:00", "end": "18:00:00"}],
    }
    doc = {"id": "sch-legacy", "workspace": "default", "name": "old", "timezone": "Europe/Berlin", "layers": [layer]}
    DocumentRepository(SCHEDULES).create("default", "sch-legacy", doc)
    # When its shifts over the March change are asked for
    response = api.get(
        "/api/oncall/schedules/sch-legacy/shifts",
        params={"start": "2026-03-27T00:00:00+01:00", "end": "2026-03-31T00:00:00+02:00"},
        headers=h,
    )
    # Then they are the weekday 09:00-18:00 Berlin windows, not a 500
    assert response.status_code == 200, response.text
    assert [(s["start"], s["end"]) for s in response.json()["shifts"]] == [
        ("2026-03-27T09:00:00+01:00", "2026-03-27T18:00:00+01:00"),
        ("2026-03-30T09:00:00+02:00", "2026-03-30T18:00:00+02:00"),
    ]


def test_overrides_given_in_other_offsets_are_listed_by_when_they_start(api, admin_key):
    # Given a Berlin schedule and two overrides, the earlier one written in Shanghai's offset
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    body = {"name": "berlin", "timezone": "Europe/Berlin", "layers": [{**LAYER, "participants": [ann]}]}
    sid = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]
    url = f"/api/oncall/schedules/{sid}/overrides"
    later = api.post(
        url,
        headers=h,
        json={"person_id": ann, "start": "2026-03-28T20:00:00-04:00", "end": "2026-03-29T20:00:00-04:00"},
    ).json()  # Sunday 01:00 CET
    earlier = api.post(
        url,
        headers=h,
        json={"person_id": ben, "start": "2026-03-29T06:00:00+08:00", "end": "2026-03-29T08:00:00+08:00"},
    ).json()  # Saturday 23:00 CET, over the change
    # When they are listed ("by start")
    listed = api.get(url, headers=h).json()["items"]
    # Then the one that starts first comes first, whatever the text of its offset
    assert [o["id"] for o in listed] == [earlier["id"], later["id"]]

    # and who is on call agrees: ben from Saturday 23:00 CET to Sunday 01:00 CET, then ann
    def oncall(at: str) -> str:
        return api.get("/api/oncall/current", params={"schedule": sid, "at": at}, headers=h).json()["oncall"]

    assert oncall("2026-03-28T23:00:00+01:00") == ben
    assert oncall("2026-03-29T01:00:00+01:00") == ann
    assert oncall("2026-03-29T03:30:00+02:00") == ann


def test_half_hourly_handoffs_in_the_skipped_hour_agree_between_shifts_and_current(api, admin_key):
    # Given a New York rotation handing over every half hour (02:00 and 02:30 do not exist on 8 March)
    h = auth(admin_key)
    people = [_person(api, h, n) for n in ("ann", "ben", "cy", "dee")]
    layer = {**LAYER, "participants": people, "rotation_start": "2026-03-08", "handoff_time": "00:00"}
    body = {"name": "ny", "timezone": "America/New_York", "layers": [{**layer, "rrule": "FREQ=HOURLY;BYMINUTE=0,30"}]}
    sid = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]
    url = f"/api/oncall/schedules/{sid}/shifts"
    # When who is on call at 03:10 EDT is asked, and the shifts up to 03:15 EDT are rendered
    current = api.get("/api/oncall/current", params={"schedule": sid, "at": "2026-03-08T03:10:00-04:00"}, headers=h)
    shifts = api.get(
        url, params={"start": "2026-03-08T00:00:00-05:00", "end": "2026-03-08T03:15:00-04:00"}, headers=h
    ).json()["shifts"]
    # Then both name the same person: the 03:00 handoff's (cy), which the moved 02:00 and 02:30 ones
    # (ann, ben) do not push aside, however far the rendered range reaches
    assert current.json()["oncall"] == people[2]
    assert [(s["person_id"], s["start"], s["end"]) for s in shifts] == [
        (people[0], "2026-03-08T00:00:00-05:00", "2026-03-08T00:30:00-05:00"),
        (people[1], "2026-03-08T00:30:00-05:00", "2026-03-08T01:00:00-05:00"),
        (people[2], "2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00"),
        (people[3], "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00"),
        (people[2], "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"),
    ]
