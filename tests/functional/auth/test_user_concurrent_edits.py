"""An admin's edit of a user never undoes another admin's disable or password reset that landed while it was
being made (the real admin app on the embedded AWS; the race forced at the AWS boundary)."""

import pytest

from tests.conftest import auth
from tests.functional.auth.test_users import register
from tests.functional.interleave import before_writing

pytestmark = pytest.mark.functional


@pytest.fixture
def operator(api):
    """(admin's access token, the operator's user id, the operator's signed-in session)."""
    admin = register(api, "root@example.com").json()["access_token"]
    user_id = api.post(
        "/api/users",
        headers=auth(admin),
        json={"email": "op@example.com", "name": "Op", "password": "password123", "role": "operator"},
    ).json()["id"]
    session = api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).json()
    return admin, user_id, session


def _user_item(user_id: str):
    return lambda key: key.get("pk", {}).get("S") == f"USER#{user_id}"


def test_a_rename_made_while_another_admin_disables_the_user_keeps_them_disabled(api, runtime, operator):
    from pagerless.store.users import UserRecord

    admin, user_id, session = operator

    # When one admin disables the operator between another's read of them and its write of a new name
    def disable():
        return api.put(f"/api/users/{user_id}", headers=auth(admin), json={"is_active": False})

    table = runtime.provisioned.tables["UsersTable"]
    with before_writing(UserRecord, table, _user_item(user_id), disable) as others:
        renamed = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"name": "Operator One"})

    # Then both are stored: renamed, still disabled, and the session the disable ended stays ended
    assert others[0].status_code == 200 and renamed.status_code == 200, renamed.text
    stored = api.get(f"/api/users/{user_id}", headers=auth(admin)).json()
    assert stored["name"] == "Operator One" and stored["is_active"] is False
    assert api.get("/api/incidents", headers=auth(session["access_token"])).status_code == 401
    assert api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"}).status_code == 403


def test_a_rename_made_while_another_admin_resets_the_password_keeps_the_new_password(api, runtime, operator):
    from pagerless.store.users import UserRecord

    admin, user_id, session = operator

    # When a password reset lands between an admin's read of the operator and its write of a new role
    def reset():
        return api.post(
            f"/api/users/{user_id}/reset-password", headers=auth(admin), json={"new_password": "newpassword123"}
        )

    table = runtime.provisioned.tables["UsersTable"]
    with before_writing(UserRecord, table, _user_item(user_id), reset) as others:
        changed = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"role": "viewer"})

    # Then the role is changed, only the new password signs in, and the old session stays ended
    assert others[0].status_code == 200 and changed.status_code == 200, changed.text
    assert api.get(f"/api/users/{user_id}", headers=auth(admin)).json()["role"] == "viewer"
    old = api.post("/api/auth/login", json={"email": "op@example.com", "password": "password123"})
    new = api.post("/api/auth/login", json={"email": "op@example.com", "password": "newpassword123"})
    assert old.status_code == 401 and new.status_code == 200
    assert api.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_a_user_edited_away_while_being_deleted_is_not_stored_again(api, runtime, operator):
    from pagerless.store.users import UserRecord

    admin, user_id, _ = operator

    # When the user is deleted between an admin's read of them and its write of a new name
    def delete():
        return api.delete(f"/api/users/{user_id}", headers=auth(admin))

    table = runtime.provisioned.tables["UsersTable"]
    with before_writing(UserRecord, table, _user_item(user_id), delete) as others:
        renamed = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"name": "Ghost"})

    # Then the edit answers 404 and the user stays deleted
    assert others[0].status_code == 204
    assert renamed.status_code == 404 and renamed.json()["error"]["code"] == "NOT_FOUND"
    assert api.get(f"/api/users/{user_id}", headers=auth(admin)).status_code == 404
