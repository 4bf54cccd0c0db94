"""The first registration claims the first admin (a conditional write: of simultaneous first registrations one wins).
A registration that failed gives the claim back; when that too fails (DynamoDB throttles it), the claim is not held
for ever: it is taken over once its lease has passed, so the next registration still makes the first admin, and
until then a registration is told to retry, not refused as closed or made a viewer. The real apps on the embedded
AWS, DynamoDB's answers injected at the AWS boundary (tests/functional/refusals.py)."""

import logging
import time
from datetime import timedelta

import pytest

from pagerless import settings
from pagerless.clock import utcnow
from tests.conftest import auth
from tests.functional.auth.test_users import register
from tests.functional.refusals import cancelled, refusing

pytestmark = pytest.mark.functional

# Long enough that a registration (an argon2 hash: over a second on a loaded machine) ends inside it
LEASE_SECONDS = 3


@pytest.fixture
def short_lease(runtime, monkeypatch):
    monkeypatch.setenv("PAGERLESS_FIRST_ADMIN_CLAIM_SECONDS", str(LEASE_SECONDS))
    settings.reset()
    yield
    settings.reset()


def _role(api, response) -> str:
    return api.get("/api/auth/me", headers=auth(response.json()["access_token"])).json()["role"]


def test_a_first_admin_claim_whose_release_failed_is_taken_over_after_its_lease(api, caplog, short_lease):
    # When the very first registration's transaction is throttled, and so is the release of its first-admin claim
    with (
        caplog.at_level(logging.INFO, logger=settings.observability().powertools_service_name),
        refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("None", "ThrottlingError")),
        refusing("DeleteItem", "ProvisionedThroughputExceededException") as released,
    ):
        throttled = register(api, "root@example.com")
    assert throttled.status_code == 503, throttled.text
    assert released == ["DeleteItem"], "the claim was not given back"
    [warning] = [r for r in caplog.records if r.getMessage() == "best-effort write not made"]
    assert (warning.write, warning.aws_code) == (
        "giving the first-admin claim back",
        "ProvisionedThroughputExceededException",
    )
    # Then a registration while the claim's lease runs is told to retry, and when
    waiting = register(api, "root@example.com")
    assert waiting.status_code == 503 and waiting.json()["error"]["code"] == "SERVICE_UNAVAILABLE", waiting.text
    assert 1 <= int(waiting.headers["Retry-After"]) <= LEASE_SECONDS + 1
    # And once the lease has passed, the retry registers the first user, who is the admin
    time.sleep(LEASE_SECONDS + 0.2)
    again = register(api, "root@example.com")
    assert again.status_code == 201, again.text
    assert _role(api, again) == "admin"
    # And the claim is settled: after the lease, the next registration is no admin (registration is closed)
    time.sleep(LEASE_SECONDS + 0.2)
    assert register(api, "bob@example.com").status_code == 403


def test_a_first_registration_refused_for_its_email_gives_the_claim_back_at_once(api, runtime):
    from pagerless.auth.users import UserService
    from pagerless.domain.roles import Role

    # Given an email taken by a user created while no admin existed yet (an operator's script, say)
    users = UserService()
    taken = users._new("usr_taken", email="root@example.com", name="", password=None, role=Role.VIEWER, workspace=None)
    assert users.repository.create(taken)
    # When the first registration uses that email
    assert register(api, "root@example.com").status_code == 409
    # Then the claim went back with it: the next registration is the first admin, without waiting for a lease
    first = register(api, "ann@example.com")
    assert first.status_code == 201, first.text
    assert _role(api, first) == "admin"


def test_an_open_registration_waits_for_a_held_claim_instead_of_making_a_viewer(api, monkeypatch, short_lease):
    # Given open registration
    monkeypatch.setenv("PAGERLESS_OPEN_REGISTRATION", "true")
    settings.reset()
    # When the first registration fails and its claim cannot be given back
    with (
        refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("None", "ThrottlingError")),
        refusing("DeleteItem", "ProvisionedThroughputExceededException"),
    ):
        assert register(api, "root@example.com").status_code == 503
    # Then another newcomer is told to retry rather than made a viewer while no admin exists
    assert register(api, "bob@example.com").status_code == 503
    # And after the lease the first to register is the admin, the next a viewer
    time.sleep(LEASE_SECONDS + 0.2)
    assert _role(api, register(api, "root@example.com")) == "admin"
    assert _role(api, register(api, "bob@example.com")) == "viewer"


def test_a_registration_that_outlasted_its_claims_lease_is_told_to_register_again(runtime):
    from pagerless.auth.users import UserService
    from pagerless.clock import utcnow
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.domain.roles import Role

    users, lease, now = UserService(), timedelta(seconds=60), utcnow()
    # Given a first registration whose claim was taken over after its lease (it took longer than any may)
    assert users.repository.claim_first_admin("usr_slow", now=now - 2 * lease, stale_after=lease)
    assert users.repository.claim_first_admin("usr_next", now=now, stale_after=lease)
    # When it stores its user as the first admin
    slow = users._new("usr_slow", email="slow@example.com", name="", password=None, role=Role.ADMIN, workspace=None)
    # Then it is told to register again, and no second admin is stored
    with pytest.raises(ServiceUnavailableError):
        users.repository.create(slow, first_admin=True)
    assert users.repository.get("usr_slow") is None and users.repository.by_email("slow@example.com") is None


def test_a_registration_waiting_on_a_live_first_admin_claim_retries_within_seconds_not_the_lease(api, runtime):
    # Given another registration holding the first-admin claim (its default lease: a minute), not yet done
    from pagerless.store.users import UserRepository

    assert settings.auth().first_admin_claim_seconds >= 60
    assert UserRepository().claim_first_admin("usr_holder", now=utcnow(), stale_after=timedelta(seconds=60))
    # When a second first registration comes meanwhile
    waiting = register(api, "second@example.com")
    # Then it is told to retry within seconds, as a live holder is done within a password hash, not in a minute
    assert waiting.status_code == 503, waiting.text
    assert 1 <= int(waiting.headers["Retry-After"]) <= 5
