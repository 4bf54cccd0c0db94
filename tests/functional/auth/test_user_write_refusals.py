"""A user's transactions (create, email change, delete) that DynamoDB cancels for throttling are errors the caller
retries (503 with Retry-After, nothing changed), never "that email is taken" or "changed meanwhile"; one cancelled because another
write touched the same item at that moment is a conflict (409: read it again). The real apps on the embedded AWS,
DynamoDB's answers injected at the AWS boundary."""

import pytest

from tests.conftest import auth
from tests.functional.auth.test_users import register
from tests.functional.refusals import cancelled, refusing

pytestmark = pytest.mark.functional

OPERATOR = {"email": "op@example.com", "name": "Op", "password": "password123", "role": "operator"}


@pytest.fixture
def admin(api) -> str:
    return register(api, "root@example.com").json()["access_token"]


def _emails(api, admin: str) -> list[str]:
    return sorted(u["email"] for u in api.get("/api/users", headers=auth(admin)).json()["items"])


def test_a_throttled_user_creation_is_an_error_to_retry_not_a_taken_email(api, admin):
    # When an admin creates a user while DynamoDB throttles the transaction
    with refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("ThrottlingError", "None")):
        throttled = api.post("/api/users", headers=auth(admin), json=OPERATOR)
    # Then the answer is "retry later", not "a user with that email already exists", and nothing is stored
    assert throttled.status_code == 503 and throttled.json()["error"]["code"] == "SERVICE_UNAVAILABLE", throttled.text
    assert _emails(api, admin) == ["root@example.com"]
    # And the same request, retried, creates the user
    assert api.post("/api/users", headers=auth(admin), json=OPERATOR).status_code == 201
    assert _emails(api, admin) == ["op@example.com", "root@example.com"]


def test_a_throttled_first_registration_leaves_the_first_admin_to_the_retry(api):
    # When the very first registration's transaction is throttled
    with refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("None", "ThrottlingError")):
        throttled = register(api, "root@example.com")
    assert throttled.status_code == 503, throttled.text
    # Then its retry registers the first user, who is the admin
    again = register(api, "root@example.com")
    assert again.status_code == 201, again.text
    assert api.get("/api/auth/me", headers=auth(again.json()["access_token"])).json()["role"] == "admin"


def test_a_throttled_email_change_is_an_error_to_retry_not_a_taken_email(api, admin):
    # Given an operator
    user_id = api.post("/api/users", headers=auth(admin), json=OPERATOR).json()["id"]
    # When an admin moves them to a free address while DynamoDB throttles the transaction
    with refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("None", "ThrottlingError", "None")):
        throttled = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"email": "op2@example.com"})
    # Then the answer is "retry later" and nothing moved
    assert throttled.status_code == 503 and throttled.json()["error"]["code"] == "SERVICE_UNAVAILABLE", throttled.text
    assert api.get(f"/api/users/{user_id}", headers=auth(admin)).json()["email"] == "op@example.com"
    # And the retry moves them
    moved = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"email": "op2@example.com"})
    assert moved.status_code == 200 and moved.json()["email"] == "op2@example.com"


def test_an_email_change_that_meets_another_write_of_the_user_is_a_conflict(api, admin):
    # Given an operator
    user_id = api.post("/api/users", headers=auth(admin), json=OPERATOR).json()["id"]
    # When the email change's transaction meets another transaction on the user's item (TransactionConflict)
    with refusing(
        "TransactWriteItems", "TransactionCanceledException", **cancelled("None", "None", "TransactionConflict")
    ):
        met = api.put(f"/api/users/{user_id}", headers=auth(admin), json={"email": "op2@example.com"})
    # Then it is a conflict to read again, not "a user with that email already exists"
    assert met.status_code == 409 and "already exists" not in met.json()["error"]["message"], met.text
    assert api.get(f"/api/users/{user_id}", headers=auth(admin)).json()["email"] == "op@example.com"


def test_a_throttled_user_deletion_is_an_error_to_retry_not_a_conflict(api, admin):
    # Given an operator
    user_id = api.post("/api/users", headers=auth(admin), json=OPERATOR).json()["id"]
    # When an admin deletes them while DynamoDB throttles the transaction
    with refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("ThrottlingError", "None")):
        throttled = api.delete(f"/api/users/{user_id}", headers=auth(admin))
    # Then the answer is "retry later", not "changed meanwhile", and the user is still there
    assert throttled.status_code == 503 and throttled.json()["error"]["code"] == "SERVICE_UNAVAILABLE", throttled.text
    assert api.get(f"/api/users/{user_id}", headers=auth(admin)).status_code == 200
    # And the retry deletes them
    assert api.delete(f"/api/users/{user_id}", headers=auth(admin)).status_code == 204
    assert _emails(api, admin) == ["root@example.com"]
