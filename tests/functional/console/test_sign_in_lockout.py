"""The console's sign-in page when an account is locked: it says whose lock it is and when to try again, in the
page's language, and the rest of the team still signs in from the same address."""

import html

import pytest

from tests.functional.console.test_console import make_user, sign_in

pytestmark = pytest.mark.functional


def said(page) -> str:
    """The sign-in page's error, as a person reads it."""
    start = page.text.index('id="login-error">') + len('id="login-error">')
    return " ".join(html.unescape(page.text[start : page.text.index("</p>", start)]).split())


def test_a_locked_account_is_told_when_to_try_again_and_the_team_still_signs_in(api, admin_user):
    make_user(api, admin_user, "carol@example.com", "operator")
    # Given Carol mistyped her password five times on the sign-in page
    for _ in range(5):
        assert sign_in(api, "carol@example.com", "wrong password").status_code == 401
    # When she tries again
    locked = sign_in(api, "carol@example.com")
    # Then the page says her account is locked, and for how long (the lock's 15 minutes, rounded up)
    assert locked.status_code == 429
    assert said(locked) == "Too many failed sign-ins for this account. Try again in 15 minutes."
    # And in Chinese when that is the page's language
    api.cookies.set("pl_lang", "zh")
    assert said(sign_in(api, "carol@example.com")) == "该账号登录失败次数过多，请 15 分钟后再试。"
    api.cookies.delete("pl_lang")
    # And the admin, who signs in from the same address, gets in
    assert sign_in(api, "root@example.com").status_code == 303


def test_a_locked_network_is_told_so(api, admin_user, monkeypatch):
    monkeypatch.setenv("PAGERLESS_LOGIN_MAX_EMAILS_PER_ADDRESS", "2")
    monkeypatch.setenv("PAGERLESS_LOGIN_LOCKOUT_SECONDS", "60")
    from pagerless import settings

    settings.auth.cache_clear()
    # Given sign-ins for two different emails failed from one address
    for email in ("a@example.com", "b@example.com"):
        assert sign_in(api, email, "spray-123").status_code == 401
    # When the admin signs in from it
    locked = sign_in(api, "root@example.com")
    # Then the page says the network is locked for now, in one minute (not "minutes")
    assert locked.status_code == 429
    assert said(locked) == "Too many failed sign-ins from this network. Try again in 1 minute."
