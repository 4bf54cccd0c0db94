"""People over the real admin API on the embedded AWS: admins write, viewers read, bad input is refused."""

import json
import re

import pytest

from tests.conftest import auth
from tests.e2e.harness import ROOT

pytestmark = pytest.mark.functional


@pytest.fixture
def viewer_key(runtime) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="viewer", name="dashboards").secret


ALICE = {
    "name": "Alice Chen",
    "email": "alice@example.com",
    "timezone": "Asia/Shanghai",
    "role": "operator",
    "contacts": [
        {"kind": "phone", "value": "+86 138 0000 0000"},
        {"kind": "slack", "value": "T0CAG1234/U0G9QF9C6"},
        {"kind": "lark", "value": "cli_a1b2c3d4e5f6a7b8/ou_3c14f3a59eaf2825dbe25359f15d4c56"},
    ],
}


def test_an_admin_creates_reads_updates_and_deletes_a_person(api, admin_key, viewer_key):
    # Given an admin creates Alice
    created = api.post("/api/people", json=ALICE, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    alice = created.json()
    assert alice["id"].startswith("per_") and alice["role"] == "operator" and alice["workspace"] == "default"
    # When a viewer reads the list and the person
    listed = api.get("/api/people", headers=auth(viewer_key)).json()["items"]
    one = api.get(f"/api/people/{alice['id']}", headers=auth(viewer_key)).json()
    # Then both show her with her contacts
    assert [p["email"] for p in listed] == ["alice@example.com"]
    assert one["contacts"] == ALICE["contacts"] and one["timezone"] == "Asia/Shanghai"
    # When the admin changes her role, then it is changed and the rest kept
    patched = api.patch(f"/api/people/{alice['id']}", json={"role": "admin"}, headers=auth(admin_key))
    assert patched.status_code == 200 and patched.json()["role"] == "admin" and patched.json()["name"] == "Alice Chen"
    # When the admin deletes her, then she is gone
    assert api.delete(f"/api/people/{alice['id']}", headers=auth(admin_key)).status_code == 200
    missing = api.get(f"/api/people/{alice['id']}", headers=auth(viewer_key))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_a_viewer_cannot_write_people(api, viewer_key):
    response = api.post("/api/people", json=ALICE, headers=auth(viewer_key))
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"


def test_bad_people_are_refused_with_the_fields_named(api, admin_key):
    # Given an unknown timezone and a bad email
    bad = {**ALICE, "email": "not-an-email", "timezone": "Mars/Olympus"}
    response = api.post("/api/people", json=bad, headers=auth(admin_key))
    # Then one validation error names both fields and nothing is stored
    assert response.status_code in (400, 422) and response.json()["error"]["code"] == "VALIDATION_ERROR"
    fields = {d.get("field") for d in response.json()["error"]["details"]}
    assert {"email", "timezone"} <= fields
    assert api.get("/api/people", headers=auth(admin_key)).json()["items"] == []


def test_an_email_is_one_person_per_workspace(api, admin_key):
    assert api.post("/api/people", json=ALICE, headers=auth(admin_key)).status_code == 201
    again = api.post("/api/people", json={**ALICE, "name": "Other Alice"}, headers=auth(admin_key))
    assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"


def test_resolve_contacts_groups_every_address_by_kind(runtime):
    from pagerless.people.service import PeopleService, resolve_contacts

    person = PeopleService().create("default", **ALICE)
    contacts = resolve_contacts(person)
    assert contacts["email"] == ["alice@example.com"]
    assert contacts["phone"] == ["+86 138 0000 0000"]
    assert contacts["slack"] == ["T0CAG1234/U0G9QF9C6"]
    assert contacts["lark"] == ["cli_a1b2c3d4e5f6a7b8/ou_3c14f3a59eaf2825dbe25359f15d4c56"]
    assert person.label == f"Alice Chen ({person.id})"


def test_an_email_freed_by_a_change_or_a_delete_can_be_used_again(api, admin_key):
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    other = api.post("/api/people", json={**ALICE, "email": "other@example.com"}, headers=auth(admin_key)).json()
    # Taking Alice's email by a change is refused; case does not make it another email
    taken = api.patch(f"/api/people/{other['id']}", json={"email": "ALICE@example.com"}, headers=auth(admin_key))
    assert taken.status_code == 409
    # When Alice moves to a new address, her old one is free
    assert (
        api.patch(
            f"/api/people/{alice['id']}", json={"email": "alice.chen@example.com"}, headers=auth(admin_key)
        ).status_code
        == 200
    )
    assert (
        api.patch(
            f"/api/people/{other['id']}", json={"email": "alice@example.com"}, headers=auth(admin_key)
        ).status_code
        == 200
    )
    # and a deleted person's email is free too
    assert api.delete(f"/api/people/{alice['id']}", headers=auth(admin_key)).status_code == 200
    again = api.post("/api/people", json={**ALICE, "email": "alice.chen@example.com"}, headers=auth(admin_key))
    assert again.status_code == 201
    emails = sorted(p["email"] for p in api.get("/api/people", headers=auth(admin_key)).json()["items"])
    assert emails == ["alice.chen@example.com", "alice@example.com"]


def test_a_time_zone_folder_name_is_refused_not_a_server_error(api, admin_key):
    # "America" is a folder of the time-zone database, not a zone
    response = api.post("/api/people", json={**ALICE, "timezone": "America"}, headers=auth(admin_key))
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert {d.get("field") for d in response.json()["error"]["details"]} == {"timezone"}


@pytest.mark.parametrize("zone", ["", "  "])
def test_an_empty_time_zone_is_refused_like_any_unknown_one_not_taken_as_utc(api, admin_key, zone):
    # When a person is added, or edited, with an empty time zone
    created = api.post("/api/people", json={**ALICE, "timezone": zone}, headers=auth(admin_key))
    # Then it is refused naming the field, as a schedule's or quiet hours' empty zone is, and nobody is added
    assert created.status_code in (400, 422), created.text
    assert created.json()["error"]["code"] == "VALIDATION_ERROR"
    assert [d.get("field") for d in created.json()["error"]["details"]] == ["timezone"]
    assert api.get("/api/people", headers=auth(admin_key)).json()["items"] == []
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    edited = api.patch(f"/api/people/{alice['id']}", json={"timezone": zone}, headers=auth(admin_key))
    assert edited.status_code in (400, 422) and [d["field"] for d in edited.json()["error"]["details"]] == ["timezone"]
    assert api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()["timezone"] == "Asia/Shanghai"


def test_a_person_who_is_on_call_or_an_escalation_target_cannot_be_deleted(api, admin_key):
    # Given Alice, bound on Slack, is the only participant of a schedule and a step of a policy
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    bob = api.post("/api/people", json={"name": "Bob Li", "email": "bob@example.com"}, headers=auth(admin_key)).json()
    identity = {"provider": "slack", "tenant": "T0CAG1234", "user": "U0ALICE01", "person_id": alice["id"]}
    assert api.post("/api/chat-identities", json=identity, headers=auth(admin_key)).status_code in (200, 201)
    layer = {"name": "weekly", "participants": [alice["id"]], "rotation_start": "2026-03-02"}
    schedule = api.post(
        "/api/oncall/schedules", json={"name": "primary", "timezone": "UTC", "layers": [layer]}, headers=auth(admin_key)
    ).json()
    steps = [{"delay_seconds": 300, "targets": [{"kind": "person", "id": alice["id"]}]}]
    policy = api.post(
        "/api/escalation-policies", json={"name": "payments", "steps": steps}, headers=auth(admin_key)
    ).json()
    # When an admin deletes her
    refused = api.delete(f"/api/people/{alice['id']}", headers=auth(admin_key))
    # Then it is refused, naming what still pages her, and she is still there and reachable
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "CONFLICT"
    assert {"schedule_id": schedule["id"]} in refused.json()["error"]["details"]
    assert {"policy_id": policy["id"]} in refused.json()["error"]["details"]
    assert api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).status_code == 200
    bound = api.get("/api/chat-identities", params={"person_id": alice["id"]}, headers=auth(admin_key)).json()
    assert len(bound["items"] if isinstance(bound, dict) else bound) == 1
    # When the schedule and the policy name Bob instead, then she can be deleted
    layer["participants"] = [bob["id"]]
    steps[0]["targets"] = [{"kind": "person", "id": bob["id"]}]
    put = api.put(
        f"/api/oncall/schedules/{schedule['id']}",
        json={"name": "primary", "timezone": "UTC", "layers": [layer]},
        headers=auth(admin_key),
    )
    assert put.status_code == 200, put.text
    put = api.put(
        f"/api/escalation-policies/{policy['id']}", json={"name": "payments", "steps": steps}, headers=auth(admin_key)
    )
    assert put.status_code == 200, put.text
    assert api.delete(f"/api/people/{alice['id']}", headers=auth(admin_key)).status_code == 200


UPN = "alice@corp.onmicrosoft.com"
ENTRA_OBJECT_ID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"


@pytest.mark.parametrize("identity", [UPN, ENTRA_OBJECT_ID])
def test_a_person_carries_a_teams_identity_as_a_upn_or_an_entra_object_id(api, admin_key, identity):
    # Given an admin gives Alice her Teams identity (her sign-in name, or her Microsoft Entra object ID)
    contacts = [{"kind": "teams", "value": identity}]
    created = api.post("/api/people", json={**ALICE, "contacts": contacts}, headers=auth(admin_key))
    # Then it is kept as given, beside her email, and read back as one of her contacts
    assert created.status_code == 201, created.text
    alice = api.get(f"/api/people/{created.json()['id']}", headers=auth(admin_key)).json()
    assert alice["contacts"] == contacts and alice["email"] == "alice@example.com"


def test_resolve_contacts_lists_the_teams_identity(runtime):
    from pagerless.people.service import PeopleService, resolve_contacts

    person = PeopleService().create("default", **{**ALICE, "contacts": [{"kind": "teams", "value": UPN}]})
    assert resolve_contacts(person)["teams"] == [UPN]


@pytest.mark.parametrize(
    "value",
    [
        "alice",  # neither a sign-in name nor an object ID
        "alice@corp",  # no domain
        "87d349ed-44d7-43e1-9a83-5f2406dee5b",  # an object ID one digit short
        "87d349ed44d743e19a835f2406dee5bd",  # a GUID without its dashes: not the form Entra shows
        "{87d349ed-44d7-43e1-9a83-5f2406dee5bd}",
    ],
)
def test_a_malformed_teams_identity_is_refused_naming_the_contact(api, admin_key, value):
    # When an admin creates Alice with a Teams identity that is neither a UPN nor a GUID
    contacts = [{"kind": "phone", "value": "+86 138 0000 0000"}, {"kind": "teams", "value": value}]
    response = api.post("/api/people", json={**ALICE, "contacts": contacts}, headers=auth(admin_key))
    # Then the API's validation error names that contact and says what a Teams identity is; nothing is stored
    assert response.status_code in (400, 422), response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == [
        {
            "field": "contacts[1]",
            "message": "a Teams identity is the user's sign-in name (UPN, name@domain) "
            "or their Microsoft Entra object ID (a GUID, 8-4-4-4-12 hex digits)",
        }
    ]
    assert api.get("/api/people", headers=auth(admin_key)).json()["items"] == []


def test_a_malformed_teams_identity_is_refused_on_a_change_too(api, admin_key):
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    # When an admin replaces her contacts with a malformed Teams identity
    patched = api.patch(
        f"/api/people/{alice['id']}",
        json={"contacts": [{"kind": "teams", "value": "Alice Chen"}]},
        headers=auth(admin_key),
    )
    # Then it is refused and her contacts are unchanged
    assert patched.status_code in (400, 422) and patched.json()["error"]["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in patched.json()["error"]["details"]] == ["contacts[0]"]
    assert api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()["contacts"] == ALICE["contacts"]


def _stored_with_contacts(person_id: str, contacts: list[dict]) -> None:
    """The person's stored contacts replaced as they are, unchecked: what a restore of the table, a migration
    that wrote it or an older version with looser checks can leave behind."""
    from pagerless.store.people import PERSON_SK, PeopleRepository

    repository = PeopleRepository()
    record = repository.get(f"person#{person_id}", PERSON_SK)
    record.data = {**record.data, "contacts": contacts}
    repository.replace(record)


def test_a_change_of_other_fields_keeps_stored_contacts_the_api_now_refuses(api, admin_key):
    # Given Alice's stored contacts hold a Teams identity that is not one and a phone that is not one (left by a
    # restore), next to a valid Slack user
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    stored = [
        {"kind": "teams", "value": "Alice Chen"},
        {"kind": "phone", "value": "ask the front desk"},
        {"kind": "slack", "value": "T0CAG1234/U0G9QF9C6"},
    ]
    _stored_with_contacts(alice["id"], stored)
    # When an admin changes her name and role, and nothing else
    patched = api.patch(
        f"/api/people/{alice['id']}", json={"name": "Alice Chen-Wu", "role": "admin"}, headers=auth(admin_key)
    )
    # Then the change is made: what the admin did not send is not checked again, and is kept as it is stored
    assert patched.status_code == 200, patched.text
    read = api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()
    assert (read["name"], read["role"], read["email"], read["timezone"]) == (
        "Alice Chen-Wu",
        "admin",
        "alice@example.com",
        "Asia/Shanghai",
    )
    assert read["contacts"] == stored
    # And what the admin sends is still checked: the same malformed identity sent back is refused, naming it
    refused = api.patch(f"/api/people/{alice['id']}", json={"contacts": stored}, headers=auth(admin_key))
    assert refused.status_code in (400, 422) and refused.json()["error"]["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in refused.json()["error"]["details"]] == ["contacts[0]", "contacts[1]"]
    assert api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()["contacts"] == stored
    # And a change of a field the admin sends is checked too, with the malformed contacts left alone
    bad_zone = api.patch(f"/api/people/{alice['id']}", json={"timezone": "Mars/Olympus"}, headers=auth(admin_key))
    assert [d["field"] for d in bad_zone.json()["error"]["details"]] == ["timezone"]
    # And replacing the contacts with valid ones works
    fixed = api.patch(f"/api/people/{alice['id']}", json={"contacts": stored[2:]}, headers=auth(admin_key))
    assert fixed.status_code == 200 and fixed.json()["contacts"] == stored[2:]


def test_the_readme_person_example_is_accepted_as_written(api, admin_key):
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "<!-- people-contacts-example -->" in readme, "the README shows no person with contacts"
    block = readme.split("<!-- people-contacts-example -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    body = json.loads(re.search(r"-d '(.*)'", block, re.S)[1])
    created = api.post("/api/people", json=body, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    assert created.json()["contacts"] == body["contacts"]
