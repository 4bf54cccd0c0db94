"""A page to a Teams channel @-mentions the paged people by their Teams identity (a ``teams`` contact: the
sign-in name or the Microsoft Entra object ID), or by their email when they have none, in the Adaptive Card's
``msteams.entities`` as Microsoft documents for incoming webhooks."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import create_channel, save_incident

pytestmark = pytest.mark.functional


def _person(api, key, name: str, email: str, contacts: list[dict] | None = None) -> dict:
    body = {"name": name, "email": email, "role": "operator", "contacts": contacts or []}
    response = api.post("/api/people", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def _page(incident_id: str, targets: list[dict]):
    from pagerless.outbox.jobs import NotifyJob

    data = {"step": 1, "repeat": 0}
    return NotifyJob("default", "escalation.page", incident_id, generation="0-0", targets=targets, data=data)


def _unreachable(api, key, incident_id: str) -> list[dict]:
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(key)).json()
    items = timeline.get("items", timeline) if isinstance(timeline, dict) else timeline
    return [i for i in items if i["type"] == "page_unreachable"]


def test_a_teams_page_mentions_people_by_their_teams_identity_or_else_their_email(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    # Given Alice signs in to Teams with a UPN that is not her email, Bob's Teams identity is his Entra object
    # ID, and Carol has none (her email is her UPN); none has a phone or a chat address, and there is no email
    # channel: the card's mentions are the only way the page reaches them
    alice = _person(
        api, admin_key, "Alice Chen", "alice.chen@corp.com", [{"kind": "teams", "value": "alice@corp.onmicrosoft.com"}]
    )
    bob = _person(
        api, admin_key, "Bob Li", "bob@corp.com", [{"kind": "teams", "value": "87d349ed-44d7-43e1-9a83-5f2406dee5bd"}]
    )
    carol = _person(api, admin_key, "Carol Wu", "carol@corp.com")
    teams = create_channel(api, admin_key, "ops-teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/w1"})
    incident = save_incident()
    # When a step pages the Teams channel and the three of them
    people = [{"kind": "person", "id": p["id"]} for p in (alice, bob, carol)]
    enqueue(_page(incident.id, [{"kind": "channel", "id": teams["id"]}, *people]))
    notify_env.poller.drain()
    # Then the card @-mentions each by the id Teams resolves: the UPN, the object ID, else the email
    [request] = vendors.to("/workflows/")
    card = request.body["attachments"][0]["content"]
    assert card["body"][1] == {
        "type": "TextBlock",
        "text": "<at>Alice Chen</at> <at>Bob Li</at> <at>Carol Wu</at>",
        "wrap": True,
    }
    assert card["msteams"] == {
        "entities": [
            {
                "type": "mention",
                "text": "<at>Alice Chen</at>",
                "mentioned": {"id": "alice@corp.onmicrosoft.com", "name": "Alice Chen"},
            },
            {
                "type": "mention",
                "text": "<at>Bob Li</at>",
                "mentioned": {"id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd", "name": "Bob Li"},
            },
            {"type": "mention", "text": "<at>Carol Wu</at>", "mentioned": {"id": "carol@corp.com", "name": "Carol Wu"}},
        ]
    }
    # And the delivered card reached them all: nobody is on the timeline as unreachable
    assert _unreachable(api, admin_key, incident.id) == []
    # And the page's notification log says that Carol was mentioned by her email, for lack of a teams contact
    # (Teams notifies her only if it is her sign-in name, and says nothing when it is not); the others were not
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    [log] = [entry for entry in logs["items"] if entry["channel_id"] == teams["id"]]
    assert log["mentioned_by_email"] == [{"person_id": carol["id"], "name": "Carol Wu", "email": "carol@corp.com"}]


def test_a_changed_teams_identity_is_what_the_next_page_mentions(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    # Given Dana had no Teams identity, and an admin then adds her UPN through the people API
    dana = _person(api, admin_key, "Dana Zhou", "dana.zhou@corp.com")
    patched = api.patch(
        f"/api/people/{dana['id']}",
        json={"contacts": [{"kind": "teams", "value": "dzhou@corp.onmicrosoft.com"}]},
        headers=auth(admin_key),
    )
    assert patched.status_code == 200, patched.text
    teams = create_channel(api, admin_key, "ops-teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/w1"})
    incident = save_incident()
    # When she is paged through the Teams channel
    enqueue(_page(incident.id, [{"kind": "channel", "id": teams["id"]}, {"kind": "person", "id": dana["id"]}]))
    notify_env.poller.drain()
    # Then the mention names her by that UPN, and her page's log names nobody mentioned by email
    [request] = vendors.to("/workflows/")
    [entity] = request.body["attachments"][0]["content"]["msteams"]["entities"]
    assert entity["mentioned"] == {"id": "dzhou@corp.onmicrosoft.com", "name": "Dana Zhou"}
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["mentioned_by_email"] for entry in logs["items"]] == [[]]


def _stored_with_contacts(person_id: str, contacts: list[dict]) -> None:
    """The person's stored contacts replaced as they are, unchecked: what a restore of the table, or a migration
    that wrote it, can leave behind (the people API refuses a malformed Teams identity)."""
    from pagerless.store.people import PERSON_SK, PeopleRepository

    repository = PeopleRepository()
    record = repository.get(f"person#{person_id}", PERSON_SK)
    record.data = {**record.data, "contacts": contacts}
    repository.replace(record)


def test_a_person_is_mentioned_once_by_their_first_valid_teams_identity(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    # Given Erin's first Teams identity is not one (her display name, left in the table by a restore) and her
    # second is her UPN; Frank has two valid ones, his UPN first and then his Entra object ID; Gina's only one is
    # malformed, and her email is her UPN
    erin = _person(api, admin_key, "Erin Sun", "erin.sun@corp.com")
    _stored_with_contacts(
        erin["id"],
        [{"kind": "teams", "value": "Erin Sun"}, {"kind": "teams", "value": "esun@corp.onmicrosoft.com"}],
    )
    frank = _person(
        api,
        admin_key,
        "Frank Ma",
        "frank.ma@corp.com",
        [
            {"kind": "teams", "value": "fma@corp.onmicrosoft.com"},
            {"kind": "teams", "value": "5b2c6a1e-0d4f-4c8e-9a3b-7f1e2d3c4b5a"},
        ],
    )
    gina = _person(api, admin_key, "Gina Ho", "gina@corp.com")
    _stored_with_contacts(gina["id"], [{"kind": "teams", "value": "{not-a-guid}"}])
    teams = create_channel(api, admin_key, "ops-teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/w1"})
    incident = save_incident()
    # When a step pages the Teams channel and the three of them
    people = [{"kind": "person", "id": p["id"]} for p in (erin, frank, gina)]
    enqueue(_page(incident.id, [{"kind": "channel", "id": teams["id"]}, *people]))
    notify_env.poller.drain()
    # Then each is mentioned once: Erin by her UPN (the malformed one skipped), Frank by the first of his two,
    # Gina by her email; no id Teams cannot resolve goes out
    [request] = vendors.to("/workflows/")
    card = request.body["attachments"][0]["content"]
    assert card["body"][1]["text"] == "<at>Erin Sun</at> <at>Frank Ma</at> <at>Gina Ho</at>"
    assert [e["mentioned"] for e in card["msteams"]["entities"]] == [
        {"id": "esun@corp.onmicrosoft.com", "name": "Erin Sun"},
        {"id": "fma@corp.onmicrosoft.com", "name": "Frank Ma"},
        {"id": "gina@corp.com", "name": "Gina Ho"},
    ]
    # And the delivered card reached them all
    assert _unreachable(api, admin_key, incident.id) == []


def test_two_people_with_one_name_are_two_distinguishable_mentions(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue
    from tests.fakes.chat_vendors import teams_mentions

    # Given two different people named Alex Wang (one signs in with a UPN, the other's Teams identity is an object
    # ID), and a third, Bo, whose name nobody shares
    upn = _person(
        api, admin_key, "Alex Wang", "alex.wang@corp.com", [{"kind": "teams", "value": "awang@corp.onmicrosoft.com"}]
    )
    oid = _person(
        api,
        admin_key,
        "Alex Wang",
        "alex.wang2@corp.com",
        [{"kind": "teams", "value": "5b2c6a1e-0d4f-4c8e-9a3b-7f1e2d3c4b5a"}],
    )
    bo = _person(api, admin_key, "Bo Zhang", "bo@corp.com")
    teams = create_channel(api, admin_key, "ops-teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/w1"})
    incident = save_incident()
    # When a step pages the Teams channel and the three of them
    people = [{"kind": "person", "id": p["id"]} for p in (upn, oid, bo)]
    enqueue(_page(incident.id, [{"kind": "channel", "id": teams["id"]}, *people]))
    notify_env.poller.drain()
    # Then, read as Teams ties mentions to the card (by the tag's text), each tag mentions exactly one person, and
    # the three tags mention the three of them: the two Alexes are told apart by their email, Bo is only his name
    [request] = vendors.to("/workflows/")
    assert teams_mentions(request.body) == [
        ("<at>Alex Wang (alex.wang@corp.com)</at>", ["awang@corp.onmicrosoft.com"]),
        ("<at>Alex Wang (alex.wang2@corp.com)</at>", ["5b2c6a1e-0d4f-4c8e-9a3b-7f1e2d3c4b5a"]),
        ("<at>Bo Zhang</at>", ["bo@corp.com"]),
    ]
    # And each entity still names the person by their own name, as Teams shows it on hover
    entities = request.body["attachments"][0]["content"]["msteams"]["entities"]
    assert [e["mentioned"]["name"] for e in entities] == ["Alex Wang", "Alex Wang", "Bo Zhang"]
    # And the delivered card reached them all
    assert _unreachable(api, admin_key, incident.id) == []
