"""Two admins editing one person at once: neither change is lost, and a person whose stored contact this version
does not know still reads, edits and pages (over the real admin API on the embedded AWS)."""

import logging

import pytest

from tests.conftest import auth
from tests.functional.interleave import before_writing

pytestmark = pytest.mark.functional

ALICE = {
    "name": "Alice Chen",
    "email": "alice@example.com",
    "timezone": "Asia/Shanghai",
    "role": "operator",
    "contacts": [{"kind": "phone", "value": "+86 138 0000 0000"}],
}


def _person_item(person_id: str):
    return lambda key: key.get("pk", {}).get("S") == f"person#{person_id}"


def _people_table(runtime) -> str:
    return runtime.provisioned.tables["PeopleTable"]


def test_two_patches_of_one_person_at_once_both_survive(api, runtime, admin_key):
    from pagerless.store.people import PeopleRecord

    # Given Alice
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    new_phone = [{"kind": "phone", "value": "+49 30 1234567"}]

    # When one admin's PATCH of her timezone lands between another's read of her and its write of her new phone
    def other_admin():
        return api.patch(f"/api/people/{alice['id']}", json={"timezone": "Europe/Berlin"}, headers=auth(admin_key))

    with before_writing(PeopleRecord, _people_table(runtime), _person_item(alice["id"]), other_admin) as others:
        phone = api.patch(f"/api/people/{alice['id']}", json={"contacts": new_phone}, headers=auth(admin_key))

    # Then both answered 200 and both changes are stored
    assert len(others) == 1 and others[0].status_code == 200, others[0].text
    assert phone.status_code == 200, phone.text
    stored = api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()
    assert stored["timezone"] == "Europe/Berlin"
    assert stored["contacts"] == new_phone
    assert stored["name"] == "Alice Chen" and stored["role"] == "operator"
    # and the answer to the later write is the person as stored
    assert phone.json()["timezone"] == "Europe/Berlin" and phone.json()["contacts"] == new_phone


def test_a_person_that_keeps_changing_answers_409_and_keeps_the_others_changes(api, runtime, admin_key):
    from pagerless.store.people import PeopleRecord

    # Given Alice, and another admin whose edits land before every write of the PATCH under test
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    names = iter(f"Alice {n}" for n in range(100))

    def other_admin():
        return api.patch(f"/api/people/{alice['id']}", json={"name": next(names)}, headers=auth(admin_key))

    # When the PATCH (a role and a new email) meets a change before each of its writes
    with before_writing(
        PeopleRecord, _people_table(runtime), _person_item(alice["id"]), other_admin, times=100
    ) as others:
        response = api.patch(
            f"/api/people/{alice['id']}",
            json={"role": "admin", "email": "alice.chen@example.com"},
            headers=auth(admin_key),
        )

    # Then it answers 409 in the API's error format after a bounded number of tries
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "CONFLICT" and error["message"] and isinstance(error["details"], list)
    from pagerless.store.versions import EDIT_ATTEMPTS

    assert len(others) == EDIT_ATTEMPTS and all(o.status_code == 200 for o in others)
    # and nothing of it is stored; the other admin's last change is
    stored = api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()
    assert stored["role"] == "operator" and stored["email"] == "alice@example.com"
    assert stored["name"] == f"Alice {EDIT_ATTEMPTS - 1}"
    # and the new email it claimed on the way is free again
    bob = {"name": "Bob Li", "email": "alice.chen@example.com"}
    assert api.post("/api/people", json=bob, headers=auth(admin_key)).status_code == 201


def test_a_person_stored_before_versions_is_still_updated(api, runtime, admin_key):
    from pagerless.store.people import PERSON_SK, PeopleRecord

    # Given Alice as an older version stored her (no version attribute)
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    runtime.client("dynamodb").update_item(
        TableName=_people_table(runtime),
        Key={"pk": {"S": f"person#{alice['id']}"}, "sk": {"S": PERSON_SK}},
        UpdateExpression="REMOVE version",
    )
    assert PeopleRecord.get(f"person#{alice['id']}", PERSON_SK).attribute_values.get("version") is None

    # When an admin changes her timezone, then it is stored
    patched = api.patch(f"/api/people/{alice['id']}", json={"timezone": "UTC"}, headers=auth(admin_key))
    assert patched.status_code == 200, patched.text
    assert api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()["timezone"] == "UTC"


def _store_contacts(runtime, person_id: str, contacts: list[dict]) -> None:
    """What a newer version of Pagerless (or a hand edit) stores: a contact kind this version does not know."""
    import json

    from pagerless.store.people import PERSON_SK, PeopleRecord

    data = PeopleRecord.get(f"person#{person_id}", PERSON_SK).data
    runtime.client("dynamodb").update_item(
        TableName=_people_table(runtime),
        Key={"pk": {"S": f"person#{person_id}"}, "sk": {"S": PERSON_SK}},
        UpdateExpression="SET #d = :d",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":d": {"S": json.dumps({**data, "contacts": contacts})}},
    )


PAGER = {"kind": "pager", "value": "PD-4711"}


def test_a_contact_of_a_kind_this_version_does_not_know_is_read_and_kept(api, runtime, admin_key):
    # Given Alice with a stored contact of a kind this version does not know
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    _store_contacts(runtime, alice["id"], [*ALICE["contacts"], PAGER])

    # When she is read, alone and in the list, then she is there with the contact as stored
    one = api.get(f"/api/people/{alice['id']}", headers=auth(admin_key))
    assert one.status_code == 200, one.text
    assert one.json()["contacts"] == [*ALICE["contacts"], PAGER]
    listed = api.get("/api/people", headers=auth(admin_key))
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"][0]["contacts"] == [*ALICE["contacts"], PAGER]

    # When an admin changes her timezone (not her contacts), then the contact is kept
    patched = api.patch(f"/api/people/{alice['id']}", json={"timezone": "Europe/Berlin"}, headers=auth(admin_key))
    assert patched.status_code == 200, patched.text
    again = api.get(f"/api/people/{alice['id']}", headers=auth(admin_key)).json()
    assert again["timezone"] == "Europe/Berlin" and again["contacts"] == [*ALICE["contacts"], PAGER]


def test_notifications_skip_a_contact_of_an_unknown_kind_with_a_warning(api, runtime, admin_key, caplog):
    from pagerless import settings
    from pagerless.notify.recipients import addresses, mentions
    from pagerless.people.service import PeopleService, resolve_contacts

    # Given Alice with a Slack contact and a contact of a kind this version does not know
    alice = api.post("/api/people", json=ALICE, headers=auth(admin_key)).json()
    _store_contacts(runtime, alice["id"], [PAGER, {"kind": "slack", "value": "T0CAG1234/U0ALICE01"}])
    person = PeopleService().get("default", alice["id"])

    # When the notification code reads her addresses
    # the service's logger by name: its own level is POWERTOOLS_LOG_LEVEL's, whatever ran before
    with caplog.at_level(logging.WARNING, logger=settings.observability().powertools_service_name):
        contacts = resolve_contacts(person)
        chat = addresses("default", person)
        paged = mentions("default", [{"kind": "person", "id": alice["id"]}])

    # Then the known ones are used, the unknown one skipped, and a warning says so
    assert contacts["slack"] == ["T0CAG1234/U0ALICE01"] and "pager" not in contacts
    assert chat["slack"] == [("T0CAG1234", "U0ALICE01")]
    assert [m.person_id for m in paged] == [alice["id"]]
    assert any("contact kind" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_an_edit_is_one_write_and_one_that_met_another_adds_one_refused_write(runtime):
    from pagerless.local.write_meter import WriteMeter
    from pagerless.people.service import PeopleService
    from pagerless.store.people import PeopleRecord

    # Given Alice, and the write meter (docs/writes.md, "Edits that change part of a record")
    people, meter = PeopleService(), WriteMeter().install()
    alice = people.create("default", **ALICE)
    table = _people_table(runtime)
    try:
        # When her timezone is changed alone, and then her role while another edit lands before its write
        with meter.measure("edit"):
            people.update("default", alice.id, timezone="UTC")

        def other_edit():
            with meter.measure("other"):
                return people.update("default", alice.id, name="Alice C.")

        with before_writing(PeopleRecord, table, _person_item(alice.id), other_edit), meter.measure("raced"):
            people.update("default", alice.id, role="admin")
    finally:
        meter.uninstall()

    # Then an edit is one write of the person (as before versions), and the one that met another adds one refused
    # conditional write (1 WCU, nothing changed) and its second try's write
    assert (meter.costs["edit"].writes, meter.costs["edit"].failed) == (1, 0)
    assert meter.costs["edit"].tables[table]["writes"] == 1
    assert (meter.costs["raced"].writes, meter.costs["raced"].failed) == (1, 1)
    assert people.get("default", alice.id).name == "Alice C." and people.get("default", alice.id).role == "admin"
