"""A process's first session check reads the signing secret and the user in one DynamoDB call
(docs/performance.md, section 4, thirteenth pass), and refuses exactly what it refused before."""

import jwt
import pytest

from tests.conftest import auth
from tests.functional.console.test_console import make_user, sign_in

pytestmark = pytest.mark.functional


@pytest.fixture
def dynamodb_calls():
    """The DynamoDB operations the requests make from now on, in order."""
    from pagerless.store.session import dynamodb_events
    from pagerless.store.users import UserRecord

    calls: list[str] = []
    events = dynamodb_events(UserRecord)
    events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name), unique_id="count-dynamodb")
    yield calls
    events.unregister("before-call.dynamodb.*", unique_id="count-dynamodb")


def _fresh_process() -> None:
    """What a cold start knows of the stored signing secret: nothing yet."""
    from pagerless.auth import tokens

    tokens.forget_secret()


def test_the_first_session_check_reads_the_secret_and_the_user_in_one_call(api, admin_user, dynamodb_calls):  # noqa: F811
    # Given a signed-in user, and a process that has not read the signing secret yet
    sign_in(api, "root@example.com")
    _fresh_process()
    dynamodb_calls.clear()
    # When it shows the incident list
    page = api.get("/console/incidents", follow_redirects=False)
    # Then the page is shown, after one call for the secret and the user (then the list's query)
    assert page.status_code == 200 and "root@example.com" in page.text
    assert dynamodb_calls == ["BatchGetItem", "Query"]
    # And the next request knows the secret: only the user is read
    dynamodb_calls.clear()
    assert api.get("/console/incidents", follow_redirects=False).status_code == 200
    assert dynamodb_calls == ["GetItem", "Query"]


def test_a_session_ended_by_a_password_reset_is_refused_by_a_first_check(api, admin_user):  # noqa: F811
    # Given a user signed in, whose password an admin then resets
    user_id = make_user(api, admin_user, "ops@example.com", "operator")
    sign_in(api, "ops@example.com")
    session = api.cookies.get("pl_session")
    _fresh_process()
    assert api.get("/console/incidents", follow_redirects=False).status_code == 200  # shown by a first check
    reset = api.post(
        f"/api/users/{user_id}/reset-password", headers=auth(admin_user), json={"new_password": "another-pass-1"}
    )
    assert reset.status_code == 200
    # When a process that has not read the secret yet checks the old session (no refresh token to fall back on)
    _fresh_process()
    api.cookies.clear()
    page = api.get("/console/incidents", cookies={"pl_session": session}, follow_redirects=False)
    # Then it is refused, as before
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")


def test_a_token_not_signed_with_the_secret_is_refused_by_a_first_check(api, admin_user):  # noqa: F811
    # Given a token naming a real user, with every claim of ours, signed with another secret
    from pagerless.auth import tokens

    real = jwt.decode(admin_user, options={"verify_signature": False})
    forged = jwt.encode(real, "not-the-secret-" * 4, algorithm="HS256")
    # When a process that has not read the secret yet checks it, on a page and on the API
    _fresh_process()
    page = api.get("/console/incidents", cookies={"pl_session": forged}, follow_redirects=False)
    api.cookies.clear()
    _fresh_process()
    listed = api.get("/api/incidents", headers=auth(forged))
    # Then both refuse it, and the secret the process read is the stored one: the real token still works
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    assert listed.status_code == 401
    assert tokens.decode(admin_user, tokens.ACCESS)["sub"] == real["sub"]
    assert api.get("/api/incidents", headers=auth(admin_user)).status_code == 200
