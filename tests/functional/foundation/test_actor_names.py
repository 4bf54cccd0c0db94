"""Actors are shown by name and id on the timeline, approvals and audit, even after their key is gone."""

from datetime import timedelta

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.fixture
def ops_bot(runtime):
    from pagerless.api.security import key_service

    created = key_service().create(workspace="default", role="operator", name="ops-bot")
    return created.record.key_id, created.secret


@pytest.fixture
def incident_id(runtime) -> str:
    from pagerless.clock import utcnow
    from tests.functional.slo.history import seed_incident

    seed_incident(
        "INC-ACT1",
        service="payments-api",
        severity="critical",
        opened=utcnow() - timedelta(minutes=5),
        title="payments-api 5xx",
    )
    return "INC-ACT1"


def _forget_key(key_id: str) -> None:
    """Delete the key's record outright (not a revoke), and the names cached in this process."""
    from pagerless.auth.actors import clear_cache
    from pagerless.store.keys import ApiKeyRecord

    for record in ApiKeyRecord.scan(ApiKeyRecord.key_id == key_id):
        record.delete()
    clear_cache()


def test_the_timeline_names_the_key_and_still_does_once_the_key_is_deleted(api, admin_key, ops_bot, incident_id):
    key_id, secret = ops_bot
    # When ops-bot comments and acknowledges
    commented = api.post(f"/api/incidents/{incident_id}/comment", json={"text": "looking"}, headers=auth(secret))
    assert commented.status_code == 201, commented.text
    assert api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(secret)).status_code == 200
    shown = f"ops-bot ({key_id[:8]}…)"
    assert commented.json()["actor"] == key_id and commented.json()["actor_label"] == shown
    # And its key is deleted afterwards
    _forget_key(key_id)
    # Then the timeline still shows the name beside the id, as written at the time
    items = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    mine = [i for i in items if i["actor"] == key_id]
    assert {i["type"] for i in mine} == {"comment", "acknowledged"}
    assert all(i["actor_name"] == "ops-bot" and i["actor_label"] == shown for i in mine)
    assert any(i["message"] == f"acknowledged by {shown}" for i in mine)
    # And so does the audit log
    audit = api.get("/api/audit-logs", headers=auth(admin_key)).json()["items"]
    assert any(a["actor"] == key_id and a["actor_label"] == shown for a in audit)


def test_approvals_keep_the_deciders_name_in_lists(api, admin_key, ops_bot, incident_id):
    from pagerless.auth.actors import name_of
    from pagerless.clock import utcnow
    from pagerless.store.approvals import ApprovalRecord, ApprovalRepository

    key_id, _ = ops_bot
    now = utcnow()
    record = ApprovalRepository().create(
        ApprovalRecord(
            incident_id,
            f"{now.isoformat()}#a1",
            workspace="default",
            expires_at=now + timedelta(minutes=30),
            timeout_seconds=1800,
            task_token="token",
            proposal={"action": "restart_pod"},
        )
    )
    # When ops-bot's decision is recorded (the name is looked up at write time), then the key is deleted
    assert ApprovalRepository().decide(
        record, "approved", actor=key_id, role="operator", actor_name=name_of("default", key_id)
    )
    _forget_key(key_id)
    # Then the approvals list (read through the status index) shows the decider by name and id
    listed = api.get("/api/approvals?status=approved", headers=auth(admin_key)).json()["items"]
    assert [(a["decided_by"], a["decided_by_label"]) for a in listed] == [(key_id, f"ops-bot ({key_id[:8]}…)")]


def test_a_signed_in_user_is_shown_by_name_and_email(api, incident_id):
    # Given the first user, registered with a name (the first one is the admin)
    tokens = api.post(
        "/auth/register", json={"email": "alice@example.com", "name": "Alice", "password": "securepassword-1"}
    ).json()
    # When she comments
    commented = api.post(
        f"/api/incidents/{incident_id}/comment", json={"text": "on it"}, headers=auth(tokens["access_token"])
    )
    # Then the entry reads as her name and her user id
    assert commented.status_code == 201, commented.text
    assert commented.json()["actor_label"] == "Alice (user:alice@example.com)"
