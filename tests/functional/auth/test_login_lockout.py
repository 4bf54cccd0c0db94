"""Sign-in lockouts through the real admin app: one person's typos lock their own account, not the team
that shares their client address; many different emails failing from one address lock the address."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional
PASSWORD = "correct horse"


def login(api, email, password=PASSWORD):
    return api.post("/api/auth/login", json={"email": email, "password": password})


@pytest.fixture
def team(api):
    """Ada (the admin), Bob and Carol, all signing in from the same address (the test client's)."""
    ada = api.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
    assert ada.status_code == 201, ada.text
    for email in ("bob@example.com", "carol@example.com"):
        created = api.post(
            "/api/users",
            headers=auth(ada.json()["access_token"]),
            json={"email": email, "password": PASSWORD, "role": "operator"},
        )
        assert created.status_code == 201, created.text


def use_settings(monkeypatch, **values):
    for name, value in values.items():
        monkeypatch.setenv(f"PAGERLESS_{name.upper()}", str(value))
    from pagerless import settings

    settings.auth.cache_clear()


def test_one_persons_typos_lock_their_account_and_not_their_teams(api, team):
    # Given Carol mistypes her password six times from the address her whole team shares
    answers = [login(api, "carol@example.com", "wrong password").status_code for _ in range(6)]
    # Then her fifth failure locked her account: the sixth try was refused unchecked
    assert answers == [401] * 5 + [429]
    # When Ada and Bob, who never failed, sign in from the same address
    # Then they get in
    assert login(api, "ada@example.com").status_code == 200
    assert login(api, "bob@example.com").status_code == 200
    # And Carol, even with the right password, is told her account is locked and for how long
    locked = login(api, "carol@example.com")
    assert locked.status_code == 429
    error = locked.json()["error"]
    assert error["code"] == "RATE_LIMITED" and "for this email" in error["message"]
    [detail] = error["details"]
    assert detail["locked"] == "email" and 15 * 60 - 5 <= detail["retry_after"] <= 15 * 60
    assert locked.headers["retry-after"] == str(detail["retry_after"])


def test_sign_ins_failing_for_many_different_emails_from_one_address_lock_the_address(api, team, monkeypatch):
    use_settings(monkeypatch, login_max_emails_per_address=3)
    # Given sign-ins for two different emails failed from one address, any number of times each
    for _ in range(3):
        assert login(api, "bob@example.com", "spray-1").status_code == 401
        assert login(api, "nobody@example.com", "spray-1").status_code == 401
    # Then that is below the address's bar: Ada still gets in
    assert login(api, "ada@example.com").status_code == 200
    # When a third different email fails from it (password spraying)
    assert login(api, "someone@example.com", "spray-1").status_code == 401
    # Then the address is locked: even Ada's right password is refused, and the answer says why and until when
    locked = login(api, "ada@example.com")
    assert locked.status_code == 429
    error = locked.json()["error"]
    assert "from this address" in error["message"]
    assert error["details"][0]["locked"] == "address" and error["details"][0]["retry_after"] > 0


def test_an_email_that_signed_in_no_longer_counts_against_its_address(api, team, monkeypatch):
    use_settings(monkeypatch, login_max_emails_per_address=2)
    # Given Ada and Bob each mistyped once, then signed in
    for email in ("ada@example.com", "bob@example.com"):
        assert login(api, email, "typo").status_code == 401
        assert login(api, email).status_code == 200
    # When Carol mistypes once
    assert login(api, "carol@example.com", "typo").status_code == 401
    # Then the address is not locked: only one email has failed without signing in since
    assert login(api, "carol@example.com").status_code == 200


def test_a_burst_of_parallel_guesses_over_many_emails_gets_no_more_tries_than_the_address_allows(
    api, team, monkeypatch
):
    use_settings(monkeypatch, login_max_emails_per_address=3)
    # When 8 guesses for 8 different emails arrive at the same moment from one address
    guess = lambda n: login(api, f"user{n}@example.com", "spray-1")  # noqa: E731
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(r.status_code for r in pool.map(guess, range(8)))
    # Then only 3 were checked against a password; the others were refused unchecked, and the address is locked
    assert codes == [401] * 3 + [429] * 5, codes
    assert login(api, "ada@example.com").status_code == 429


def test_failed_sign_ins_an_hour_old_no_longer_count_though_their_record_is_not_deleted_yet(api, team):
    from datetime import UTC, datetime, timedelta

    from pagerless.store.login_throttles import ThrottleRecord

    # Given Carol mistyped her password four times, and then signed in no more for over an hour: the count's TTL
    # passed, but DynamoDB deletes an expired item only within days, and reads return it until then
    assert [login(api, "carol@example.com", "wrong password").status_code for _ in range(4)] == [401] * 4
    record = ThrottleRecord.get("THROTTLE#email:carol@example.com", "LOGIN", consistent_read=True)
    assert record.failures == 4
    record.update(actions=[ThrottleRecord.expires.set(datetime.now(UTC) - timedelta(minutes=1))])
    # When she mistypes it again, six times
    answers = [login(api, "carol@example.com", "wrong password").status_code for _ in range(6)]
    # Then the old failures no longer count: her fifth new failure locks her, as it would have on a fresh count
    # (the first new one locked her: she was told to wait 15 minutes after one typo)
    assert answers == [401] * 5 + [429]
