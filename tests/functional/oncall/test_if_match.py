"""Conditional PUTs of on-call documents (schedules, escalation policies, quiet hours): an SRE who read a
document and replaces it with If-Match cannot overwrite a colleague's change made meanwhile; a PUT without
If-Match is last-writer-wins as before (the real apps on the embedded AWS)."""

import pytest

from tests.conftest import auth
from tests.functional import conditional
from tests.functional.conditional import Resource, assert_precondition_failed, etag_of, put, stored_label
from tests.functional.interleave import before_writing
from tests.functional.oncall.test_api import SCHEDULE

pytestmark = pytest.mark.functional

KINDS = ["schedule", "policy", "quiet-hours"]


@pytest.fixture
def person(runtime) -> str:
    from pagerless.people.service import PeopleService

    return PeopleService().create("default", name="Carol", email="carol@example.com").id


def _schedule_body(person: str, n: int) -> dict:
    return {**SCHEDULE, "name": f"primary v{n}", "layers": [{**SCHEDULE["layers"][0], "participants": [person]}]}


def _policy_body(person: str, n: int) -> dict:
    return {"name": f"critical v{n}", "steps": [{"delay_seconds": 300, "targets": [{"kind": "person", "id": person}]}]}


def _quiet_body(n: int) -> dict:
    return {"timezone": "Europe/Paris", "start": f"1{n}:00", "end": "07:00"}


def _start(doc: dict) -> str:
    return doc["start"][:5]


def _name(doc: dict) -> str:
    return doc["name"]


def make(kind: str, api, key: str, person: str) -> Resource:
    """Create a document of ``kind`` and describe it."""
    h = auth(key)
    if kind == "schedule":
        created = api.post("/api/oncall/schedules", json=_schedule_body(person, 0), headers=h)
        assert created.status_code == 201, created.text
        return Resource(f"/api/oncall/schedules/{created.json()['id']}", lambda n: _schedule_body(person, n), _name)
    if kind == "policy":
        created = api.post("/api/escalation-policies", json=_policy_body(person, 0), headers=h)
        assert created.status_code == 201, created.text
        return Resource(f"/api/escalation-policies/{created.json()['id']}", lambda n: _policy_body(person, n), _name)
    path = f"/api/oncall/quiet-hours/{person}"
    assert api.put(path, json=_quiet_body(0), headers=h).status_code == 200
    return Resource(path, _quiet_body, _start)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "check",
    conditional.CHECKS,
    ids=lambda f: f.__name__.removeprefix("check_") if callable(f) else f,
)
def test_conditional_put(api, admin_key, person, kind, check):
    check(api, admin_key, make(kind, api, admin_key, person))


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_landing_between_the_read_and_the_write_is_not_overwritten(api, runtime, admin_key, person, kind):
    from pagerless.store.system import SystemRecord

    resource = make(kind, api, admin_key, person)
    etag = etag_of(api, admin_key, resource)

    # When a colleague's PUT lands after this PUT's request read the document, just before it writes
    def colleague():
        return put(api, admin_key, resource, 2)

    table = runtime.provisioned.tables["SystemTable"]
    documents = ("oncall-schedule", "escalation-policy", "oncall-quiet#default")
    with before_writing(SystemRecord, table, lambda key: key.get("pk", {}).get("S") in documents, colleague) as others:
        response = put(api, admin_key, resource, 3, if_match=etag)

    # Then the write itself was conditional: 412, and the colleague's change stands
    assert others and others[0].status_code == 200
    assert_precondition_failed(response)
    assert stored_label(api, admin_key, resource) == resource.label(resource.edit(2))


def test_if_match_any_on_quiet_hours_never_set_is_refused(api, admin_key, person):
    # If-Match: * is "only if it exists": it does not create
    path = f"/api/oncall/quiet-hours/{person}"
    response = api.put(path, json=_quiet_body(1), headers=auth(admin_key) | {"If-Match": "*"})
    assert_precondition_failed(response)
    assert api.get(path, headers=auth(admin_key)).status_code == 404
    # without If-Match a PUT still creates them
    assert api.put(path, json=_quiet_body(1), headers=auth(admin_key)).status_code == 200


def test_an_if_match_put_of_a_missing_schedule_is_404(api, admin_key, person):
    response = api.put(
        "/api/oncall/schedules/sch-missing", json=_schedule_body(person, 1), headers=auth(admin_key) | {"If-Match": "*"}
    )
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("kind", KINDS)
def test_a_document_stored_before_versions_has_an_etag_that_works_once(api, admin_key, person, kind):
    from pagerless.store.system import SystemRecord

    # Given a document an older Pagerless wrote: the same item, without `version`
    resource = make(kind, api, admin_key, person)
    doc = api.get(resource.path, headers=auth(admin_key)).json()
    pk, sk = {
        "schedule": ("oncall-schedule", f"default#{doc.get('id')}"),
        "policy": ("escalation-policy", f"default#{doc.get('id')}"),
        "quiet-hours": ("oncall-quiet#default", person),
    }[kind]
    SystemRecord(pk, sk, data=doc).save()
    assert SystemRecord.get(pk, sk, consistent_read=True).version is None

    # When it is read twice, then replaced with If-Match
    etag = etag_of(api, admin_key, resource)
    assert etag_of(api, admin_key, resource) == etag  # derived the same way every time
    first = put(api, admin_key, resource, 1, if_match=etag)

    # Then the first PUT with it succeeds, and a second with the same ETag is stale
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != etag
    assert_precondition_failed(put(api, admin_key, resource, 2, if_match=etag))
    assert stored_label(api, admin_key, resource) == resource.label(resource.edit(1))


@pytest.mark.parametrize("kind", ["schedule", "policy"])
def test_a_created_document_answers_the_etag_a_put_can_send_back(api, admin_key, person, kind):
    # When a schedule or policy is created
    path, body = {
        "schedule": ("/api/oncall/schedules", lambda n: _schedule_body(person, n)),
        "policy": ("/api/escalation-policies", lambda n: _policy_body(person, n)),
    }[kind]
    created = api.post(path, json=body(0), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # Then it answers the ETag of what it stored, the one a GET gives, and a PUT with it is applied
    resource = Resource(f"{path}/{created.json()['id']}", body, _name)
    assert created.headers.get("etag") == etag_of(api, admin_key, resource) == '"v1"'
    assert put(api, admin_key, resource, 1, if_match=created.headers["etag"]).status_code == 200


def test_an_etag_read_before_quiet_hours_were_deleted_and_set_again_is_stale(api, admin_key, person):
    # Given an SRE who read a person's quiet hours
    resource = make("quiet-hours", api, admin_key, person)
    etag = etag_of(api, admin_key, resource)
    # When a colleague deletes them and sets them again (an old client: no If-Match)
    assert api.delete(resource.path, headers=auth(admin_key)).status_code == 204
    assert api.get(resource.path, headers=auth(admin_key)).status_code == 404
    assert_precondition_failed(put(api, admin_key, resource, 1, if_match="*"))  # deleted: nothing to replace
    assert put(api, admin_key, resource, 2).status_code == 200
    # Then the ETag read before the delete names none of what is stored since: the SRE's PUT is a 412
    assert_precondition_failed(put(api, admin_key, resource, 3, if_match=etag))
    assert stored_label(api, admin_key, resource) == resource.label(resource.edit(2))
    # and a delete of quiet hours already deleted is a 404
    assert api.delete(resource.path, headers=auth(admin_key)).status_code == 204
    assert api.delete(resource.path, headers=auth(admin_key)).status_code == 404


def test_a_first_save_of_quiet_hours_with_if_none_match_sets_them_once(api, admin_key, person):
    conditional.check_a_first_save(api, admin_key, Resource(f"/api/oncall/quiet-hours/{person}", _quiet_body, _start))


@pytest.mark.parametrize("kind", ["schedule", "policy"])
def test_if_none_match_on_a_document_a_put_only_replaces_is_a_404_when_there_is_none(api, admin_key, person, kind):
    # A schedule or an escalation policy is created by its POST; a PUT only replaces, with or without a condition
    if kind == "schedule":
        path, body = "/api/oncall/schedules/sched-missing", _schedule_body(person, 1)
    else:
        path, body = "/api/escalation-policies/pol-missing", _policy_body(person, 1)
    response = api.put(path, json=body, headers=auth(admin_key) | {"If-None-Match": "*"})
    assert response.status_code == 404, response.text
    assert api.get(path, headers=auth(admin_key)).status_code == 404
