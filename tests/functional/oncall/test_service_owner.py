"""One schedule answers who is on call for a service: a second schedule listing it is refused, and where two were
stored before that (older data), `/oncall/current?service=` answers from the oldest and says it is ambiguous."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def _schedule(name: str, person: str, services: list[str]) -> dict:
    return {
        "name": name,
        "timezone": "UTC",
        "services": services,
        "layers": [{"name": "daily", "participants": [person], "rotation_start": "2026-01-01", "rrule": "FREQ=DAILY"}],
    }


@pytest.fixture
def people(runtime) -> dict[str, str]:
    from pagerless.people.service import PeopleService

    return {n: PeopleService().create("default", name=n.title(), email=f"{n}@example.com").id for n in ("ann", "zed")}


def test_a_second_schedule_for_a_service_is_refused_naming_the_one_that_covers_it(api, admin_key, people):
    h = auth(admin_key)
    owner = api.post("/api/oncall/schedules", headers=h, json=_schedule("zz payments", people["zed"], ["payments"]))
    assert owner.status_code == 201, owner.text
    # When another schedule (whose name sorts first) is created for the same service
    refused = api.post(
        "/api/oncall/schedules", headers=h, json=_schedule("aa payments", people["ann"], ["search", "payments"])
    )
    # Then it is a 409 naming the schedule that covers it, and nothing is stored
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "CONFLICT" and "zz payments" in error["message"]
    assert error["details"] == [
        {"service": "payments", "schedule_id": owner.json()["id"], "schedule_name": "zz payments"}
    ]
    assert [s["id"] for s in api.get("/api/oncall/schedules", headers=h).json()["items"]] == [owner.json()["id"]]
    # And a schedule for another service may not be edited to take it over either
    search = api.post("/api/oncall/schedules", headers=h, json=_schedule("aa search", people["ann"], ["search"]))
    assert search.status_code == 201, search.text
    edit = api.put(
        f"/api/oncall/schedules/{search.json()['id']}",
        headers=h,
        json=_schedule("aa search", people["ann"], ["search", "payments"]),
    )
    assert edit.status_code == 409 and edit.json()["error"]["details"][0]["schedule_id"] == owner.json()["id"]
    # While the owner itself is edited freely, and the service stays answered by it
    kept = api.put(
        f"/api/oncall/schedules/{owner.json()['id']}",
        headers=h,
        json=_schedule("zz payments", people["ann"], ["payments"]),
    )
    assert kept.status_code == 200, kept.text
    now = api.get("/api/oncall/current", headers=h, params={"service": "payments"}).json()
    assert (now["schedule_id"], now["oncall"], now["ambiguous"], now["other_schedules"]) == (
        owner.json()["id"],
        people["ann"],
        False,
        [],
    )


def test_schedules_stored_before_the_check_answer_from_the_oldest_and_say_it_is_ambiguous(api, admin_key, people):
    from pagerless.oncall.models import ScheduleIn
    from pagerless.store.oncall import SCHEDULES, DocumentRepository

    h = auth(admin_key)
    # Given the payments schedule, and a later one for payments stored before that was refused, named to sort first
    owner = api.post("/api/oncall/schedules", headers=h, json=_schedule("zz payments", people["zed"], ["payments"]))
    assert owner.status_code == 201, owner.text
    later = {
        **ScheduleIn.model_validate(_schedule("aa payments", people["ann"], ["payments"])).model_dump(mode="json"),
        "id": "sch-legacy01",
        "workspace": "default",
        "created_at": "2099-01-01T00:00:00+00:00",
        "updated_at": "2099-01-01T00:00:00+00:00",
    }
    DocumentRepository(SCHEDULES).create("default", later["id"], later)
    # When who is on call for payments is asked, on both paths
    for path in ("/api/oncall/current", "/oncall/current"):
        body = api.get(path, headers=h, params={"service": "payments"}).json()
        # Then the oldest schedule answers, not the one whose name sorts first, and the answer says it is ambiguous
        assert (body["schedule_id"], body["oncall"]) == (owner.json()["id"], people["zed"]), body
        assert body["ambiguous"] is True
        assert body["other_schedules"] == [{"schedule_id": "sch-legacy01", "schedule_name": "aa payments"}]
