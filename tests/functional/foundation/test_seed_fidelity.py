"""Clients written against the seeds' own examples (seeds 000, 001, 003, 004) get what the seeds say.

Each test calls a seed path exactly as the seed's example does. Where a seed and Pagerless's
documented design disagree (the error format, list pagination), Pagerless's design stands and the
tests do not ask otherwise (docs/seed-paths.md)."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def test_seed_004_register_takes_the_nickname_as_the_users_name(api):
    # Given seed 004's registration body (email + password + nickname)
    registered = api.post(
        "/api/v1/auth/register", json={"email": "nick@example.com", "password": "securepassword", "nickname": "小王"}
    )
    assert registered.status_code == 201, registered.text
    # When the user reads themselves
    me = api.get("/api/v1/auth/me", headers=auth(registered.json()["access_token"])).json()
    # Then the nickname is their name
    assert me["name"] == "小王"


def test_seed_001_logout_with_only_the_bearer_token_ends_that_session(api):
    # Given a user signed in as seed 001 shows
    api.post("/auth/register", json={"email": "user@example.com", "name": "张三", "password": "securepassword"})
    tokens = api.post("/auth/login", json={"email": "user@example.com", "password": "securepassword"}).json()
    other = api.post("/auth/login", json={"email": "user@example.com", "password": "securepassword"}).json()
    # When the client logs out sending only its access token, as for every other call
    logout = api.post("/auth/logout", headers=auth(tokens["access_token"]))
    # Then that session ends: its refresh token no longer works; the other session is untouched
    assert logout.status_code == 204, logout.text
    refused = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401
    assert api.post("/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_seed_001_logout_without_any_token_is_refused(api):
    refused = api.post("/auth/logout")
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "UNAUTHORIZED"


def _sse(text: str) -> list[tuple[str, dict]]:
    import json

    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_seed_000_event_stream_names_the_incident_and_its_diagnosis_as_the_seed_does(api, admin_key, runtime):
    from tests.functional.intake.conftest import workflows_done

    # Given seed 000's manual alert, and its incident's workflow run to its diagnosis
    sent = api.post(
        "/api/alert",
        headers=auth(admin_key),
        json={
            "message": "[告警] Pod CrashLoopBackOff\n服务: user-service\n命名空间: production",
            "sender_id": "alert_bot",
        },
    )
    incident_id = sent.json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    # When a seed 000 client reads the event stream
    stream = api.get("/api/events", params={"last_event_id": 0, "max_seconds": 0.5}, headers=auth(admin_key))
    events = _sse(stream.text)
    # Then incident_created carries the incident's id and title, and diagnosis_completed its conclusion
    created = [data for name, data in events if name == "incident_created"]
    assert created and created[0]["id"] == incident_id and created[0]["title"] == "Pod CrashLoopBackOff", created
    diagnosed = [data for name, data in events if name == "diagnosis_completed"]
    assert len(diagnosed) == 1, [name for name, _ in events]
    assert diagnosed[0]["incident_id"] == incident_id and diagnosed[0]["conclusion"]
    # And Pagerless's own event of the diagnosis is still there, once
    assert [name for name, _ in events].count("diagnosed") == 1


def test_seed_000_incident_list_honours_page_size_and_refuses_a_page_number_it_cannot_serve(api, admin_key):
    # Given two incidents
    for n in (1, 2):
        api.post(
            "/api/webhooks/generic",
            headers=auth(admin_key),
            json={"title": f"disk {n}", "severity": "high", "fingerprint": f"page-{n}"},
        )
    # When a seed 000 client asks for its first page of one
    first = api.get("/api/incidents?page=1&page_size=1", headers=auth(admin_key))
    # Then it gets one incident, and the cursor of the next
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 1 and first.json()["next_cursor"]
    # And a page number beyond the first is refused, pointing at the cursor, instead of page 1 again
    second = api.get("/api/incidents?page=2&page_size=1", headers=auth(admin_key))
    assert second.status_code == 400, second.text
    assert second.json()["error"]["code"] == "VALIDATION_ERROR" and "cursor" in second.json()["error"]["message"]
