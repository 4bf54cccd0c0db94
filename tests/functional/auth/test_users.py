"""Users, sessions and agent tokens through the real admin app on the embedded AWS."""

import concurrent.futures

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def register(api, email, password="correct horse", name="Ann"):
    return api.post("/api/auth/register", json={"email": email, "name": name, "password": password})


def test_first_user_is_admin_and_later_registration_is_closed(api, monkeypatch):
    # Given an empty system
    # When the first person registers
    first = register(api, "Ann@Example.com")
    # Then they get a token pair and are admin
    assert first.status_code == 201, first.text
    me = api.get("/api/auth/me", headers=auth(first.json()["access_token"]))
    assert me.json()["role"] == "admin" and me.json()["email"] == "ann@example.com"
    assert me.json()["is_active"] is True
    # and a second registration is refused unless registration is open
    assert register(api, "bob@example.com").status_code == 403
    monkeypatch.setenv("PAGERLESS_OPEN_REGISTRATION", "true")
    from pagerless import settings

    settings.auth.cache_clear()
    second = register(api, "bob@example.com")
    assert second.status_code == 201
    assert api.get("/api/auth/me", headers=auth(second.json()["access_token"])).json()["role"] == "viewer"
    assert register(api, "BOB@example.com").status_code == 409


def test_first_admin_claim_is_race_safe(runtime):
    from pagerless.auth.users import UserService

    service = UserService()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: _try_register(service, f"u{i}@example.com"), range(8)))
    roles = [r for r in results if r is not None]
    assert roles.count("admin") == 1


def _try_register(service, email):
    try:
        return service.register(email=email, name="", password="password123").role
    except Exception:  # noqa: BLE001 - the losers are refused (registration closed)
        return None


def test_login_json_and_form_refresh_rotation_and_reuse_revokes_family(api):
    register(api, "ann@example.com")
    # form login (seed 004) and JSON login (seed 001)
    form = api.post("/api/auth/login", data={"username": "ann@example.com", "password": "correct horse"})
    assert form.status_code == 200 and form.json()["token_type"] == "bearer"
    login = api.post("/api/auth/login", json={"email": "ann@example.com", "password": "correct horse"})
    assert login.status_code == 200
    old_refresh = login.json()["refresh_token"]
    # When the refresh token is used it rotates
    rotated = api.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    assert rotated.status_code == 200
    new_refresh = rotated.json()["refresh_token"]
    assert new_refresh != old_refresh
    # A second request of the same browser with the token just rotated is forgiven (same family)
    concurrent = api.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    assert concurrent.status_code == 200
    newest = api.post("/api/auth/refresh", json={"refresh_token": new_refresh})
    assert newest.status_code == 200
    # Then replaying a token two rotations old is refused and kills the whole family
    reuse = api.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    assert reuse.status_code == 401
    assert api.post("/api/auth/refresh", json={"refresh_token": newest.json()["refresh_token"]}).status_code == 401
    # the other session (form login) is untouched; logout ends it
    other = form.json()["refresh_token"]
    assert api.post("/api/auth/logout", json={"refresh_token": other}).status_code == 204
    assert api.post("/api/auth/refresh", json={"refresh_token": other}).status_code == 401


def test_no_user_enumeration_and_lockout(api, monkeypatch):
    monkeypatch.setenv("PAGERLESS_LOGIN_MAX_FAILURES", "3")
    from pagerless import settings

    settings.auth.cache_clear()
    register(api, "ann@example.com")
    unknown = api.post("/api/auth/login", json={"email": "nobody@example.com", "password": "whatever1"})
    wrong = api.post("/api/auth/login", json={"email": "ann@example.com", "password": "whatever1"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    api.post("/api/auth/login", json={"email": "ann@example.com", "password": "whatever2"})
    api.post("/api/auth/login", json={"email": "ann@example.com", "password": "whatever3"})
    # the email's third failure locks it: even the right password is refused for now
    locked = api.post("/api/auth/login", json={"email": "ann@example.com", "password": "correct horse"})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "RATE_LIMITED"


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_the_lockout_allows(api, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("PAGERLESS_LOGIN_MAX_FAILURES", "3")
    from pagerless import settings

    settings.auth.cache_clear()
    register(api, "ann@example.com")
    # When 16 wrong passwords arrive at the same moment
    guess = lambda n: api.post("/api/auth/login", json={"email": "ann@example.com", "password": f"guess-{n:04d}"})  # noqa: E731
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = sorted(r.status_code for r in pool.map(guess, range(16)))
    # Then only 3 were checked against the password; the others were refused unchecked
    assert codes == [401] * 3 + [429] * 13, codes
    # And the lock holds: even the right password is refused for now
    assert (
        api.post("/api/auth/login", json={"email": "ann@example.com", "password": "correct horse"}).status_code == 429
    )


def test_admin_manages_users_and_disabled_user_sessions_stop(api):
    admin = register(api, "root@example.com").json()["access_token"]
    created = api.post(
        "/api/users",
        headers=auth(admin),
        json={"email": "op@example.com", "name": "李四", "password": "password123", "role": "operator"},
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert (
        api.post(
            "/api/users",
            headers=auth(admin),
            json={"email": "x@example.com", "password": "password123", "role": "root"},
        ).json()["error"]["code"]
        == "VALIDATION_ERROR"
    )
    listing = api.get("/api/users?page=1&page_size=1", headers=auth(admin)).json()
    assert listing["total"] == 2 and len(listing["items"]) == 1 and listing["page_size"] == 1
    op = api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).json()
    assert api.get("/api/incidents", headers=auth(op["access_token"])).status_code == 200
    assert api.get("/api/users", headers=auth(op["access_token"])).status_code == 403
    # When the admin disables the user
    updated = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"is_active": False})
    assert updated.json()["is_active"] is False
    # Then the access token and the refresh token both stop working, and login says disabled
    assert api.get("/api/incidents", headers=auth(op["access_token"])).status_code == 401
    assert api.post("/api/auth/refresh", json={"refresh_token": op["refresh_token"]}).status_code == 401
    assert api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).status_code == 403
    # re-enable, reset password: the old password stops working
    api.put(f"/api/users/{user_id}", headers=auth(admin), json={"is_active": True})
    assert api.post(
        f"/api/users/{user_id}/reset-password", headers=auth(admin), json={"new_password": "newpassword123"}
    ).json() == {"status": "ok"}
    assert api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).status_code == 401
    assert (
        api.post("/api/auth/login", json={"email": "op@example.com", "password": "newpassword123"}).status_code == 200
    )
    # an admin cannot delete themselves; deleting another works
    me = api.get("/api/auth/me", headers=auth(admin)).json()
    assert api.delete(f"/api/users/{me['id']}", headers=auth(admin)).status_code == 409
    assert api.delete(f"/api/users/{user_id}", headers=auth(admin)).status_code == 204
    assert api.get(f"/api/users/{user_id}", headers=auth(admin)).status_code == 404


def test_audit_actor_is_the_user(api):
    admin = register(api, "root@example.com").json()["access_token"]
    api.post("/api/keys", headers=auth(admin), json={"role": "viewer", "name": "ci"})
    items = api.get("/api/audit-logs?action=POST /api/keys", headers=auth(admin)).json()["items"]
    assert items and items[0]["actor"] == "user:root@example.com"


def test_agent_tokens_shown_once_then_prefix_and_revocable(api, admin_key):
    created = api.post("/api/agent-tokens", headers=auth(admin_key), json={"name": "Production Agent"})
    assert created.status_code == 201
    body = created.json()
    token = body["token"]
    assert token.startswith(body["token_prefix"]) and body["is_active"] is True
    listed = api.get("/api/agent-tokens", headers=auth(admin_key)).json()
    assert listed[0]["token_prefix"] == body["token_prefix"] and "token" not in listed[0]
    # the agent can send deploys (ingest) but not read incidents
    deploy = api.post(
        "/api/deploys",
        headers={"X-Agent-Token": token},
        json={"service": "payments", "namespace": "prod", "image": "payments:v2"},
    )
    assert deploy.status_code in (200, 201), deploy.text
    assert api.get("/api/incidents", headers={"X-Agent-Token": token}).status_code == 403
    assert api.delete(f"/api/agent-tokens/{body['id']}", headers=auth(admin_key)).status_code == 204
    assert api.get("/api/agent-tokens", headers=auth(admin_key)).json()[0]["is_active"] is False
    assert (
        api.post(
            "/api/deploys",
            headers={"X-Agent-Token": token},
            json={"service": "payments", "namespace": "prod", "image": "payments:v3"},
        ).status_code
        == 401
    )


def test_an_idempotency_key_is_scoped_to_the_agent_token_that_sent_it(api, admin_key):
    # Given two agents, each with its own token
    tokens = [
        api.post("/api/agent-tokens", headers=auth(admin_key), json={"name": name}).json()["token"]
        for name in ("agent-a", "agent-b")
    ]
    deploy = {"service": "payments", "namespace": "prod", "image": "payments:v2"}
    # When both send the same deploy with the same Idempotency-Key (say, derived from the deploy)
    first = api.post("/api/deploys", headers={"X-Agent-Token": tokens[0], "Idempotency-Key": "d-1"}, json=deploy)
    second = api.post("/api/deploys", headers={"X-Agent-Token": tokens[1], "Idempotency-Key": "d-1"}, json=deploy)
    # And a caller with no credential at all tries the same
    anonymous = api.post("/api/deploys", headers={"Idempotency-Key": "d-1"}, json=deploy)
    # Then the second agent's request is its own, not a replay of the first's
    assert first.status_code in (200, 201), first.text
    assert second.status_code in (200, 201) and "idempotent-replayed" not in second.headers
    # And the anonymous caller is refused, not handed the first agent's answer
    assert anonymous.status_code == 401 and "idempotent-replayed" not in anonymous.headers


def test_a_user_links_to_a_person_of_the_workspace(api):
    admin = register(api, "root@example.com").json()["access_token"]
    me = api.get("/api/auth/me", headers=auth(admin)).json()
    person = api.post("/api/people", headers=auth(admin), json={"name": "Root", "email": "root@example.com"})
    assert person.status_code == 201, person.text
    person_id = person.json()["id"]
    linked = api.put(f"/api/users/{me['id']}", headers=auth(admin), json={"person_id": person_id})
    assert linked.status_code == 200 and linked.json()["person_id"] == person_id
    missing = api.put(f"/api/users/{me['id']}", headers=auth(admin), json={"person_id": "per_nobody"})
    assert missing.status_code in (400, 422) and missing.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.put(f"/api/users/{me['id']}", headers=auth(admin), json={"person_id": ""}).json()["person_id"] is None


def test_tokens_and_passwords_never_reach_the_logs(api, capsys, caplog):
    caplog.set_level("DEBUG")
    pair = register(api, "ann@example.com").json()
    api.post("/api/auth/login", json={"email": "ann@example.com", "password": "correct horse"})
    rotated = api.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    api.get("/api/auth/me", headers=auth(rotated["access_token"]))
    api.get("/api/incidents?api_key=" + rotated["access_token"])
    created = api.post("/api/agent-tokens", headers=auth(rotated["access_token"]), json={"name": "a"}).json()
    # (the test client's own httpx logger prints the URL it sent; that is the caller's log, not ours)
    server_records = "\n".join(
        r.getMessage() + repr(r.__dict__) for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    logged = capsys.readouterr().out + server_records
    assert "request" in logged  # the access log did run
    for secret in (
        pair["access_token"],
        pair["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        created["token"],
        "correct horse",
    ):
        assert secret not in logged


def test_sign_in_answers_are_never_stored_for_idempotent_replay(api):
    register(api, "ann@example.com")
    headers = {"Idempotency-Key": "same-key"}
    first = api.post("/api/auth/login", headers=headers, json={"email": "ann@example.com", "password": "correct horse"})
    second = api.post(
        "/api/auth/login", headers=headers, json={"email": "ann@example.com", "password": "correct horse"}
    )
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert first.json()["refresh_token"] != second.json()["refresh_token"]


def test_a_password_reset_ends_the_refresh_tokens_of_the_old_sessions(api):
    # Given a signed-in operator whose refresh token someone else may hold
    admin = register(api, "root@example.com").json()["access_token"]
    user_id = api.post(
        "/api/users",
        headers=auth(admin),
        json={"email": "op@example.com", "password": "password123", "role": "operator"},
    ).json()["id"]
    stolen = api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).json()
    # When an admin resets the password
    reset = api.post(f"/api/users/{user_id}/reset-password", headers=auth(admin), json={"new_password": "newpass123"})
    assert reset.status_code == 200
    # Then the old session can neither call the API nor mint a new access token
    assert api.get("/api/incidents", headers=auth(stolen["access_token"])).status_code == 401
    refreshed = api.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert refreshed.status_code == 401, refreshed.text
    # and a session signed in with the new password refreshes as usual
    fresh = api.post("/api/auth/login", json={"email": "op@example.com", "password": "newpass123"}).json()
    assert api.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}).status_code == 200


def test_re_enabling_a_user_does_not_revive_the_sessions_the_disable_ended(api):
    admin = register(api, "root@example.com").json()["access_token"]
    user_id = api.post(
        "/api/users",
        headers=auth(admin),
        json={"email": "op@example.com", "password": "password123", "role": "operator"},
    ).json()["id"]
    old = api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).json()
    api.put(f"/api/users/{user_id}", headers=auth(admin), json={"is_active": False})
    api.put(f"/api/users/{user_id}", headers=auth(admin), json={"is_active": True})
    assert api.post("/api/auth/refresh", json={"refresh_token": old["refresh_token"]}).status_code == 401


def test_an_email_change_moves_the_sign_in_and_frees_the_old_address(api):
    # Given an operator and another user
    admin = register(api, "root@example.com").json()["access_token"]
    body = {"email": "op@example.com", "name": "Op", "password": "password123", "role": "operator"}
    user_id = api.post("/api/users", headers=auth(admin), json=body).json()["id"]
    api.post("/api/users", headers=auth(admin), json={**body, "email": "other@example.com"})
    # When the admin moves the operator to an address another user has, it is refused and nothing changes
    taken = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"email": "other@example.com", "name": "X"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "CONFLICT"
    assert api.get(f"/api/users/{user_id}", headers=auth(admin)).json()["name"] == "Op"
    # When moved to a free address with a new name
    moved = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"email": "op2@example.com", "name": "Op 2"})
    # Then both are stored, the new address signs in, the old one does not and can be used again
    assert moved.status_code == 200, moved.text
    assert moved.json()["email"] == "op2@example.com" and moved.json()["name"] == "Op 2"
    assert api.post("/api/auth/login", json={"email": "op2@example.com", "password": "password123"}).status_code == 200
    assert api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).status_code == 401
    assert api.post("/api/users", headers=auth(admin), json=body).status_code == 201
