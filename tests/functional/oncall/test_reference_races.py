"""A schedule, an override or an escalation policy never names a person or a schedule that is gone, even when the
write naming it and the delete of it race (the real apps on the embedded AWS; each race forced at the AWS
boundary, the other request run just before this one's write: after its checks passed)."""

import pytest

from tests.conftest import auth
from tests.functional.interleave import before_writing
from tests.functional.oncall.test_api import SCHEDULE

pytestmark = pytest.mark.functional


@pytest.fixture
def people(runtime) -> dict[str, str]:
    from pagerless.people.service import PeopleService

    service = PeopleService()
    return {
        name: service.create("default", name=name.title(), email=f"{name}@example.com").id for name in ("ann", "bo")
    }


def _schedule(participants: list[str]) -> dict:
    return {**SCHEDULE, "services": [], "layers": [{**SCHEDULE["layers"][0], "participants": participants}]}


def _policy(targets: list[dict]) -> dict:
    return {"name": "payments", "steps": [{"delay_seconds": 300, "targets": targets}]}


def _writes(runtime, table: str, pk_prefix: str):
    """Matches a write of an item of ``table`` whose partition key starts with ``pk_prefix``."""
    from pagerless.store.system import SystemRecord

    return (
        SystemRecord,
        runtime.provisioned.tables[table],
        lambda key: key.get("pk", {}).get("S", "").startswith(pk_prefix),
    )


def _all(api, key: str, path: str) -> list[dict]:
    return api.get(path, headers=auth(key)).json()["items"]


def test_a_person_deleted_while_a_schedule_naming_them_is_created_is_not_named_by_it(api, runtime, admin_key, people):
    ann = people["ann"]
    model, table, schedule_write = _writes(runtime, "SystemTable", "oncall-schedule")

    # When ann is deleted after the schedule's checks found her, before the schedule is written
    def delete_ann():
        return api.delete(f"/api/people/{ann}", headers=auth(admin_key))

    with before_writing(model, table, schedule_write, delete_ann) as others:
        created = api.post("/api/oncall/schedules", headers=auth(admin_key), json=_schedule([ann, people["bo"]]))

    # Then the delete went through, and the schedule is refused as naming an unknown person: nothing dangles
    assert others[0].status_code == 200, others[0].text
    assert created.status_code == 400, created.text
    assert created.json()["error"]["details"] == [{"person_id": ann}]
    assert _all(api, admin_key, "/api/oncall/schedules") == []


def test_a_schedule_created_while_a_person_it_names_is_deleted_keeps_the_person(api, runtime, admin_key, people):
    from pagerless.store.people import PeopleRecord

    ann = people["ann"]
    table = runtime.provisioned.tables["PeopleTable"]

    # When a schedule naming ann is created after her delete found nothing naming her, before the delete is written
    def create_schedule():
        return api.post("/api/oncall/schedules", headers=auth(admin_key), json=_schedule([ann]))

    deletes = before_writing(
        PeopleRecord, table, lambda key: key.get("pk", {}).get("S") == f"person#{ann}", create_schedule
    )
    with deletes as others:
        deleted = api.delete(f"/api/people/{ann}", headers=auth(admin_key))

    # Then the schedule is stored, and the delete, checking again, is refused naming it: ann is still there
    assert others[0].status_code == 201, others[0].text
    assert deleted.status_code == 409, deleted.text
    assert deleted.json()["error"]["details"] == [{"schedule_id": others[0].json()["id"]}]
    assert api.get(f"/api/people/{ann}", headers=auth(admin_key)).status_code == 200


def test_a_schedule_deleted_while_a_policy_naming_it_is_created_is_not_named_by_it(api, runtime, admin_key, people):
    schedule = api.post("/api/oncall/schedules", headers=auth(admin_key), json=_schedule([people["ann"]])).json()
    model, table, policy_write = _writes(runtime, "SystemTable", "escalation-policy")

    # When the schedule is deleted after the policy's checks found it, before the policy is written
    def delete_schedule():
        return api.delete(f"/api/oncall/schedules/{schedule['id']}", headers=auth(admin_key))

    with before_writing(model, table, policy_write, delete_schedule) as others:
        created = api.post(
            "/api/escalation-policies",
            headers=auth(admin_key),
            json=_policy([{"kind": "schedule", "id": schedule["id"]}]),
        )

    # Then the schedule is gone and the policy refused as naming it
    assert others[0].status_code == 204, others[0].text
    assert created.status_code == 400, created.text
    assert created.json()["error"]["details"] == [{"step": 0, "schedule_id": schedule["id"]}]
    assert _all(api, admin_key, "/api/escalation-policies") == []


def test_an_override_added_while_its_schedule_is_deleted_is_not_left_behind(api, runtime, admin_key, people):
    schedule = api.post("/api/oncall/schedules", headers=auth(admin_key), json=_schedule([people["ann"]])).json()
    model, table, override_write = _writes(runtime, "SystemTable", "oncall-override")

    # When the schedule is deleted after the override's checks found it, before the override is written
    def delete_schedule():
        return api.delete(f"/api/oncall/schedules/{schedule['id']}", headers=auth(admin_key))

    with before_writing(model, table, override_write, delete_schedule) as others:
        added = api.post(
            f"/api/oncall/schedules/{schedule['id']}/overrides",
            headers=auth(admin_key),
            json={"person_id": people["bo"], "start": "2026-03-03T09:00:00Z", "end": "2026-03-04T09:00:00Z"},
        )

    # Then the override is refused with the schedule gone, and no override item is left under it
    from pagerless.store.system import SystemRecord

    assert others[0].status_code == 204, others[0].text
    assert added.status_code == 404, added.text
    assert list(SystemRecord.query(f"oncall-override#default#{schedule['id']}")) == []


def test_two_schedules_created_at_once_for_one_service_are_not_both_stored(api, runtime, admin_key, people):
    model, table, schedule_write = _writes(runtime, "SystemTable", "oncall-schedule")
    body = {**_schedule([people["ann"]]), "services": ["payments"]}

    # When another schedule for payments is created after this one's check found the service free
    def create_other():
        return api.post("/api/oncall/schedules", headers=auth(admin_key), json={**body, "name": "payments other"})

    with before_writing(model, table, schedule_write, create_other) as others:
        created = api.post("/api/oncall/schedules", headers=auth(admin_key), json=body)

    # Then one of them is stored and the other refused, naming it
    assert others[0].status_code == 201, others[0].text
    assert created.status_code == 409, created.text
    assert created.json()["error"]["details"][0]["schedule_id"] == others[0].json()["id"]
    assert [s["name"] for s in _all(api, admin_key, "/api/oncall/schedules")] == ["payments other"]
