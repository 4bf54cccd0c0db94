"""A channel an escalation policy pages must exist: a policy naming an unknown channel is refused as an unknown
person is, and a channel a policy pages (and no other channel answers to) cannot be deleted from under it."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def _channel(api, key, name: str) -> dict:
    body = {"name": name, "channel_type": "webhook", "config": {"url": f"https://{name}.test/hook"}}
    response = api.post("/api/notifications/channels", headers=auth(key), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _policy(*targets: dict) -> dict:
    return {"name": "payments", "steps": [{"delay_seconds": 60, "targets": list(targets)}]}


def test_a_policy_naming_a_channel_that_does_not_exist_is_refused(api, admin_key):
    h = auth(admin_key)
    ops = _channel(api, admin_key, "ops")
    # When a policy names a channel nobody created
    refused = api.post("/api/escalation-policies", headers=h, json=_policy({"kind": "channel", "id": "ch-nope"}))
    # Then it is refused, naming the step and the channel, and nothing is stored
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"] == [{"step": 0, "channel_id": "ch-nope"}]
    assert api.get("/api/escalation-policies", headers=h).json()["items"] == []
    # And an edit to name one is refused the same way
    created = api.post("/api/escalation-policies", headers=h, json=_policy({"kind": "channel", "id": ops["id"]}))
    assert created.status_code == 201, created.text
    edit = api.put(
        f"/api/escalation-policies/{created.json()['id']}",
        headers=h,
        json=_policy({"kind": "channel", "id": ops["id"]}, {"kind": "channel", "id": "ch-gone"}),
    )
    assert edit.status_code == 400 and edit.json()["error"]["details"] == [{"step": 0, "channel_id": "ch-gone"}]
    # While a channel's name and type name it, as a job's channel targets do
    for ref in ("ops", "webhook"):
        by = api.post("/api/escalation-policies", headers=h, json=_policy({"kind": "channel", "id": ref}))
        assert by.status_code == 201, by.text


def test_a_channel_a_policy_pages_cannot_be_deleted_until_the_policy_no_longer_names_it(api, admin_key):
    h = auth(admin_key)
    ops, pager = _channel(api, admin_key, "ops"), _channel(api, admin_key, "pager")
    policy = api.post("/api/escalation-policies", headers=h, json=_policy({"kind": "channel", "id": ops["id"]})).json()
    by_name = api.post("/api/escalation-policies", headers=h, json=_policy({"kind": "channel", "id": "ops"})).json()
    by_type = api.post("/api/escalation-policies", headers=h, json=_policy({"kind": "channel", "id": "webhook"}))
    # When an admin deletes the channel the policies page
    refused = api.delete(f"/api/notifications/channels/{ops['id']}", headers=h)
    # Then it is a 409 listing the policies (the one naming the type still has the pager channel), and it stays
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "CONFLICT" and ops["id"] in error["message"]
    assert sorted(error["details"], key=lambda d: d["policy_id"]) == sorted(
        [
            {"policy_id": policy["id"], "step": 0, "channel": ops["id"]},
            {"policy_id": by_name["id"], "step": 0, "channel": "ops"},
        ],
        key=lambda d: d["policy_id"],
    )
    assert by_type.status_code == 201
    assert api.get(f"/api/notifications/channels/{ops['id']}", headers=h).status_code == 200
    # When the policies page the pager channel instead
    for doc in (policy, by_name):
        moved = api.put(
            f"/api/escalation-policies/{doc['id']}", headers=h, json=_policy({"kind": "channel", "id": pager["id"]})
        )
        assert moved.status_code == 200, moved.text
    # Then the channel can go
    assert api.delete(f"/api/notifications/channels/{ops['id']}", headers=h).status_code == 204


def test_a_channel_a_policy_pages_by_name_cannot_be_renamed_away(api, admin_key):
    h = auth(admin_key)
    ops = _channel(api, admin_key, "ops")
    by_name = api.post("/api/escalation-policies", headers=h, json=_policy({"kind": "channel", "id": "ops"})).json()
    # When an admin renames the channel a policy pages by its name
    refused = api.put(f"/api/notifications/channels/{ops['id']}", headers=h, json={"name": "ops-old"})
    # Then it is a 409 naming the policy's step, and the channel keeps its name
    assert refused.status_code == 409, refused.text
    assert "renamed to 'ops-old'" in refused.json()["error"]["message"]
    assert refused.json()["error"]["details"] == [{"policy_id": by_name["id"], "step": 0, "channel": "ops"}]
    assert api.get(f"/api/notifications/channels/{ops['id']}", headers=h).json()["name"] == "ops"
    # While a policy that pages it by its id lets it be renamed, and so does keeping its name
    moved = api.put(
        f"/api/escalation-policies/{by_name['id']}", headers=h, json=_policy({"kind": "channel", "id": ops["id"]})
    )
    assert moved.status_code == 200, moved.text
    for name in ("ops", "ops-primary"):
        renamed = api.put(f"/api/notifications/channels/{ops['id']}", headers=h, json={"name": name})
        assert renamed.status_code == 200 and renamed.json()["name"] == name, renamed.text


def test_the_escalation_preview_marks_a_deleted_channel_missing_and_does_not_wait_on_it(api, admin_key):
    from pagerless.notify.config import ChannelService
    from pagerless.people.service import PeopleService
    from pagerless.store.notify import ConfigRepository

    h = auth(admin_key)
    ops = _channel(api, admin_key, "ops")
    eve = PeopleService().create("default", name="Eve", email="eve@example.com")
    body = {
        "name": "payments",
        "steps": [
            {"delay_seconds": 600, "targets": [{"kind": "channel", "id": ops["id"]}]},
            {"delay_seconds": 60, "targets": [{"kind": "person", "id": eve.id}]},
        ],
    }
    assert api.post("/api/escalation-policies", headers=h, json=body).status_code == 201
    # Given the channel deleted all the same (data from before a policy's channel was kept)
    ChannelService(ConfigRepository()).delete("default", ops["id"])
    # When the preview is asked who is paged when
    preview = api.get("/api/notifications/escalation", headers=h, params={"severity": "critical"}).json()
    # Then the channel's level reaches nobody, says so, and Eve's level follows at once
    assert [(lvl["level"], lvl["at_minutes"]) for lvl in preview["levels"]] == [(1, 0.0), (2, 0.0)]
    assert preview["levels"][0]["targets"] == [
        {
            "kind": "channel",
            "id": ops["id"],
            "persons": [],
            "person_names": [],
            "held": [],
            "held_names": [],
            "missing": True,
        }
    ]
