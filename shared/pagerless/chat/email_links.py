"""Signed, expiring email approval links.

A link names one approval, one decision (approve | reject) and one person, and expires with the
approval. Its token is ``base64url(json) + "." + base64url(HMAC-SHA256(secret, json))``. The
link opens a confirm page (GET); only the page's POST decides, because mail scanners prefetch
every GET. The secret comes from ``PAGERLESS_EMAIL_LINK_SECRET`` (local) or the SSM
SecureString named by ``PAGERLESS_EMAIL_LINK_SECRET_PARAMETER``; without one, links are off.

A Chinese email's links carry its language (``"l": "zh"``) inside the signed claims, so the confirm page and its
answer are Chinese. It is signed along rather than added as a query parameter: it costs nothing, a forwarded or
edited link cannot be made to speak another language than the email did, and the token stays the one thing a link
is. An English link's claims are what they were before (no ``l``), so links already sent verify unchanged.
An email whose times read in a time zone (its channel's, or the paged person's) signs that zone along the same way
(``"z": "Asia/Shanghai"``), so its confirm page and answer read times as the email did; a UTC email's claims have
no ``z``.
"""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime

from pagerless.chat.apps import chat_settings
from pagerless.chat.clicks import language_of
from pagerless.clock import reading_zone
from pagerless.domain.errors import ServiceUnavailableError, UnauthorizedError
from pagerless.settings import public_url

DECISIONS = ("approve", "reject")
ACK_LINK_HOURS = 24  # how long a page's Acknowledge link works


class LinkExpiredError(UnauthorizedError):
    """A genuine link whose time is over; ``language`` is its email's (its page says so in it)."""

    def __init__(self, message: str, language: str = "en") -> None:
        super().__init__(message)
        self.language = language


@dataclass(frozen=True)
class EmailLink:
    approval_id: str
    incident_id: str
    workspace: str
    decision: str  # approve | reject | acknowledge (a page's link; approval_id is empty)
    person_id: str
    expires_at: int  # epoch seconds
    language: str = "en"  # the email's: its confirm page and answer speak it (en | zh)
    zone: str | None = None  # the email's time zone, which its confirm page and answer read times in (None: UTC)


def configured() -> bool:
    """Whether links are on: a secret or its parameter is configured, and an address to point them at (`url`);
    reads no secret."""
    return not missing_settings()


def missing_settings() -> list[str]:
    """The settings links wait for (none: they are on): ``PAGERLESS_PUBLIC_URL``, where they point, and
    ``PAGERLESS_EMAIL_LINK_SECRET`` (or its ``_PARAMETER``), their key; reads no secret."""
    settings = chat_settings()
    missing = [] if public_url() else ["PAGERLESS_PUBLIC_URL"]
    if not (settings.email_link_secret or settings.email_link_secret_parameter):
        missing.append("PAGERLESS_EMAIL_LINK_SECRET")
    return missing


def url(token: str) -> str:
    """The confirm page a link's ``token`` opens; ServiceUnavailableError without an address to point it at
    (``PAGERLESS_PUBLIC_URL``: a deployed stack's ``PublicUrl``, empty unless set), and the email goes without links."""
    base = public_url()
    if base is None:
        raise ServiceUnavailableError("email approval links need PAGERLESS_PUBLIC_URL (where people reach Pagerless)")
    return base + "/email/approvals/" + token


def secret() -> str:
    settings = chat_settings()
    if settings.email_link_secret:
        return settings.email_link_secret
    if settings.email_link_secret_parameter:
        from pagerless.store.session import powertools_parameters

        return powertools_parameters().get_parameter(
            settings.email_link_secret_parameter, decrypt=True, max_age=settings.chat_secret_cache_seconds
        )
    raise ServiceUnavailableError("email approval links are not configured (PAGERLESS_EMAIL_LINK_SECRET)")


def sign(link: EmailLink, key: str | None = None) -> str:
    claims = {
        "a": link.approval_id,
        "i": link.incident_id,
        "w": link.workspace,
        "d": link.decision,
        "p": link.person_id,
        "e": link.expires_at,
    }
    if language_of(link.language) != "en":
        claims["l"] = language_of(link.language)
    if (zone := reading_zone(link.zone)) is not None:
        claims["z"] = zone
    payload = json.dumps(claims, separators=(",", ":")).encode()
    mac = hmac.new((key or secret()).encode(), payload, hashlib.sha256).digest()
    return _b64(payload) + "." + _b64(mac)


def verify(token: str, *, key: str | None = None, now: float | None = None) -> EmailLink:
    """The link a token stands for; UnauthorizedError if forged, LinkExpiredError if expired."""
    encoded, _, mac = token.partition(".")
    try:
        payload, presented = _unb64(encoded), _unb64(mac)
    except ValueError as exc:
        raise UnauthorizedError("this approval link is not valid") from exc
    expected = hmac.new((key or secret()).encode(), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, presented):
        raise UnauthorizedError("this approval link is not valid")
    data = json.loads(payload)
    link = EmailLink(
        data["a"],
        data["i"],
        data["w"],
        data["d"],
        data["p"],
        int(data["e"]),
        language_of(data.get("l")),
        reading_zone(data.get("z")),
    )
    if (time.time() if now is None else now) >= link.expires_at:
        raise LinkExpiredError("this approval link has expired; nothing changed", link.language)
    return link


def links_for(
    person_id: str,
    *,
    incident_id: str,
    approval_id: str,
    workspace: str,
    expires_at: datetime,
    language: str = "en",
    zone: str | None = None,
) -> dict[str, str]:
    """The approve and reject URLs for one person (what the email channel puts in a message), in the email's
    ``language`` and time ``zone``."""
    expires = int(expires_at.timestamp())
    return {
        decision: url(
            sign(EmailLink(approval_id, incident_id, workspace, decision, person_id, expires, language, zone))
        )
        for decision in DECISIONS
    }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ack_link_for(
    person_id: str,
    *,
    incident_id: str,
    workspace: str,
    now: float | None = None,
    language: str = "en",
    zone: str | None = None,
) -> str:
    """The Acknowledge URL an email page carries for its person (a confirm page; only its POST acts)."""
    expires = int((time.time() if now is None else now) + ACK_LINK_HOURS * 3600)
    return url(sign(EmailLink("", incident_id, workspace, "acknowledge", person_id, expires, language, zone)))
