"""Overrides on the days that break schedulers, asked through `/api/oncall/current?at=`: one across New York's
spring-forward night (its bounds are moments, so it lasts 11 hours, not 12, and says each bound with its own offset),
overrides that overlap (the newest wins where they do), and one deleted (the one beneath it answers again)."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

NY = "America/New_York"  # clocks go forward at 02:00 EST on Sunday 8 March 2026


@pytest.fixture
def setup(api, admin_key):
    h = auth(admin_key)
    ids = {
        n: api.post("/api/people", json={"name": n.title(), "email": f"{n}@example.com"}, headers=h).json()["id"]
        for n in ("ann", "ben", "cy", "dee")
    }
    layer = {"name": "weekly", "participants": [ids["ann"]], "rotation_start": "2026-03-02", "handoff_time": "09:00"}
    body = {"name": "primary", "timezone": NY, "services": ["payments"], "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=body, headers=h)
    assert created.status_code == 201, created.text
    return ids, created.json()["id"]


def _override(api, admin_key, schedule: str, person: str, start: str, end: str) -> str:
    body = {"person_id": person, "start": start, "end": end}
    added = api.post(f"/api/oncall/schedules/{schedule}/overrides", json=body, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    return added.json()["id"]


def _at(api, admin_key, schedule: str, at: str) -> dict:
    found = api.get("/api/oncall/current", params={"schedule": schedule, "at": at}, headers=auth(admin_key))
    assert found.status_code == 200, found.text
    return found.json()


def test_an_override_across_the_spring_forward_night_keeps_its_moments(api, admin_key, setup):
    ids, schedule = setup
    # Given ben covering the night from Saturday 22:00 EST to Sunday 10:00 EDT
    override = _override(api, admin_key, schedule, ids["ben"], "2026-03-07T22:00:00-05:00", "2026-03-08T10:00:00-04:00")
    # Then at 03:30 EDT (the hour after the skipped one) ben is on call, his shift said with each bound's offset
    night = _at(api, admin_key, schedule, "2026-03-08T03:30:00-04:00")
    assert (night["oncall"], night["override_id"]) == (ids["ben"], override)
    assert (night["shift_start"], night["shift_end"]) == ("2026-03-07T22:00:00-05:00", "2026-03-08T10:00:00-04:00")
    # And ann is back at 10:00 EDT, her shift starting then
    morning = _at(api, admin_key, schedule, "2026-03-08T10:00:00-04:00")
    assert (morning["oncall"], morning["shift_start"]) == (ids["ann"], "2026-03-08T10:00:00-04:00")


def test_overlapping_overrides_the_newest_wins_and_a_deleted_one_gives_way_to_the_one_beneath(api, admin_key, setup):
    ids, schedule = setup
    # Given cy from 10:00 to 14:00, then dee from 12:00 to 16:00, then ben from 11:00 to 13:00 (New York, 9 March)
    _override(api, admin_key, schedule, ids["cy"], "2026-03-09T10:00:00-04:00", "2026-03-09T14:00:00-04:00")
    dee = _override(api, admin_key, schedule, ids["dee"], "2026-03-09T12:00:00-04:00", "2026-03-09T16:00:00-04:00")
    ben = _override(api, admin_key, schedule, ids["ben"], "2026-03-09T11:00:00-04:00", "2026-03-09T13:00:00-04:00")

    def who(hour: str) -> str:
        return _at(api, admin_key, schedule, f"2026-03-09T{hour}:00-04:00")["oncall"]

    # Then where they overlap the newest wins: ben from 11:00 to 13:00, dee from 13:00 (over cy's last hour)
    assert [who(h) for h in ("10:30", "11:30", "12:30", "13:30", "15:30", "16:30")] == [
        ids["cy"],
        ids["ben"],
        ids["ben"],
        ids["dee"],
        ids["dee"],
        ids["ann"],
    ]
    # When ben's override is deleted, the ones beneath it answer again
    assert api.delete(f"/api/oncall/schedules/{schedule}/overrides/{ben}", headers=auth(admin_key)).status_code == 204
    assert [who(h) for h in ("11:30", "12:30")] == [ids["cy"], ids["dee"]]
    # And dee's shift is said as it is now: from 12:00, when she took over from cy
    assert _at(api, admin_key, schedule, "2026-03-09T12:30:00-04:00")["shift_start"] == "2026-03-09T12:00:00-04:00"
    assert _at(api, admin_key, schedule, "2026-03-09T12:30:00-04:00")["override_id"] == dee
