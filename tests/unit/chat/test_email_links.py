"""Email approval link tokens: signed, bound to one approval, decision and person, expiring."""

import pytest

from pagerless.chat import email_links
from pagerless.domain.errors import UnauthorizedError

LINK = email_links.EmailLink(
    "2026-12-02T10:00:00+00:00#ab12cd34", "INC-20261202-0001", "default", "approve", "per_0123456789ab", 2_000_000_000
)


def test_a_token_round_trips_to_its_link():
    token = email_links.sign(LINK, key="k")
    assert email_links.verify(token, key="k", now=1_900_000_000) == LINK


def test_another_key_a_changed_decision_or_garbage_is_refused():
    token = email_links.sign(LINK, key="k")
    with pytest.raises(UnauthorizedError):
        email_links.verify(token, key="other", now=0)
    rejected = email_links.sign(email_links.EmailLink(**{**LINK.__dict__, "decision": "reject"}), key="k")
    spliced = rejected.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(UnauthorizedError):
        email_links.verify(spliced, key="k", now=0)
    for garbage in ("", ".", "abc", "a.b.c", "%%%.%%%"):
        with pytest.raises(UnauthorizedError):
            email_links.verify(garbage, key="k", now=0)


def test_a_link_expires_with_its_approval():
    token = email_links.sign(LINK, key="k")
    with pytest.raises(email_links.LinkExpiredError):
        email_links.verify(token, key="k", now=LINK.expires_at)


def test_a_chinese_links_language_is_signed_along_and_an_old_link_is_english():
    # Given the link a Chinese email carries
    chinese = email_links.EmailLink(**{**LINK.__dict__, "language": "zh"})
    token = email_links.sign(chinese, key="k")
    # Then it reads back as Chinese; the language is part of what is signed, so it cannot be changed alone
    assert email_links.verify(token, key="k", now=0).language == "zh"
    english = email_links.sign(LINK, key="k")
    swapped = english.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(UnauthorizedError):
        email_links.verify(swapped, key="k", now=0)
    # And an English link's token is exactly what it was before languages (links already sent keep working)
    assert email_links.verify(english, key="k", now=0).language == "en"
    assert b'"l"' not in email_links._unb64(english.split(".")[0])
