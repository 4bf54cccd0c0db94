"""What every channel adapter shares: the message it is given and how HTTP answers are classified.

An adapter never decides whether to try again; it raises `RetryableError` (429 with its
Retry-After, 5xx, timeouts, a vendor's "too fast" code) or `PermanentError` (any other 4xx, a
vendor's refusal) and the delivery loop decides.
"""

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx


@dataclass(frozen=True)
class Mention:
    """A paged person a group page @-mentions, by whatever the channel mentions with (its ``MENTIONS``)."""

    person_id: str
    name: str
    phones: tuple[str, ...] = ()
    email: str | None = None
    # their Teams identity, the sign-in name (UPN) or Microsoft Entra object ID: the first valid one of their
    # ``teams`` contacts (`recipients.mentions`; a person is mentioned once)
    teams: str | None = None

    @property
    def teams_id(self) -> str | None:
        """Whom a Teams mention names: their Teams identity, else their email (their UPN where the two match)."""
        return self.teams or self.email

    def reachable_by(self, kind: str | None) -> bool:
        by_kind = {"phone": bool(self.phones), "email": bool(self.email), "teams": bool(self.teams_id)}
        return by_kind.get(kind or "", False)


@dataclass(frozen=True)
class Code:
    """The body around a dry run's diff that the template fenced on lines of its own: ``before`` and ``after``
    are the body's text (escaped for the channel), ``code`` the diff as the dry run wrote it. A channel with a
    code element (``CODE_BLOCKS``) shows ``code`` in it; ``Message.body`` still holds the whole text."""

    before: str
    code: str
    after: str


@dataclass(frozen=True)
class Message:
    """A rendered notification; ``title`` and ``body`` are already escaped for the channel."""

    event: str
    title: str
    body: str
    severity: str = "info"
    link: str | None = None
    approval: dict | None = None  # {approval_id, incident_id, workspace}: approval cards get buttons
    decision: dict | None = None  # {status, decided_by, decided_at, comment}: a decided card
    labels: dict = field(default_factory=dict)
    actions: tuple[str, ...] = ("approve", "reject", "acknowledge")  # the buttons a card with ``approval`` shows
    per_address: dict = field(default_factory=dict)  # email: text only one address gets (its signed links)
    mentions: tuple[Mention, ...] = ()  # a page to a group: the paged people it @-mentions
    code: Code | None = None  # for a channel with ``CODE_BLOCKS``: the body split around the dry run's diff
    language: str = "en"  # the template's: what a card adds to the text (buttons, who decided) is in it too
    timezone: str | None = None  # the zone its times read in (None: UTC); its buttons carry it for the click's answer
    # an opened incident's links, ``(kind, url)`` with kind "runbook" or "source" (`pagerless.notify.links`: safe
    # http(s) URLs), which a channel shows as links of its own, labelled in the card's language (`button_label`)
    links: tuple[tuple[str, str], ...] = ()


# What a message's colour says where a vendor colours it (Lark's header, the title of a Teams or WeCom card): the
# severity while someone is needed, else how it went (`tone`)
GOOD, ENDED, UNDER_WAY = "good", "ended", "under_way"
ACKNOWLEDGED = "acknowledged"  # an opened card's ``decision`` once someone acknowledged the incident
RESOLVED = "resolved"  # a thread's first message's and an opened card's ``decision`` once the incident resolved


def tone(message: Message) -> str:
    """What ``message``'s colour says: ``GOOD`` for a resolved incident and an approved fix, ``ENDED`` for an
    approval that ended otherwise (rejected, expired, closed, superseded: its card no longer asks anything),
    ``UNDER_WAY`` for a fix applied (its verification follows), else the severity."""
    if message.decision and message.decision.get("status") != ACKNOWLEDGED:  # acknowledged: still the severity
        return GOOD if message.decision.get("status") in ("approved", RESOLVED) else ENDED
    if message.event == "incident.resolved":
        return GOOD
    if message.event == "incident.remediated":
        return UNDER_WAY
    return message.severity


@dataclass(frozen=True)
class Sent:
    message_id: str | None = None
    ref: dict | None = None  # what update() needs later


class Parts:
    """What of a delivery sent in several requests (SES messages of 50, WeCom's card and its mentions) went out
    already: kept on the delivery, so a retry sends only the rest. ``record(keys)`` stores newly sent ones."""

    def __init__(self, done: Iterable[str] = (), record: Callable[[set[str]], None] | None = None) -> None:
        self._done = set(done)
        self._record = record

    def done(self, key: str) -> bool:
        return key in self._done

    def mark(self, *keys: str) -> None:
        new = set(keys) - self._done
        if new and self._record is not None:
            self._record(new)
        self._done |= new


class ChannelError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetryableError(ChannelError):
    """``throttled``: the vendor said "too many requests" (a 429, WeCom's 45009, DingTalk's 130101): the attempt
    does not use up the delivery's retries; without its ``retry_after`` the delivery loop waits as a throttle
    needs, minutes through the queue, not the seconds of a passing failure."""

    def __init__(self, message: str, retry_after: float | None = None, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.throttled = throttled


class PermanentError(ChannelError):
    """``fix``: the refusal is about the channel itself, not one message or recipient (a revoked token, a rotated
    secret, an unverified sender): every message through it is refused the same way, direct messages too, so
    the channel is failing (`pagerless.notify.health`) and this says what to change."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


def request(
    http: httpx.Client, method: str, url: str, *, wait_header: str | None = None, coded_4xx: bool = False, **kwargs
) -> httpx.Response:
    """One HTTP call; transport failures and 429/5xx are retryable, other 4xx permanent. ``wait_header``: the
    vendor's own header with a 429's seconds to wait (else Retry-After). ``coded_4xx``: a 4xx other than 429 whose
    body is a JSON object with a ``code`` is returned, for a vendor that says what went wrong there (Lark)."""
    try:
        response = http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryableError(f"timed out: {type(exc).__name__}") from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"connection failed: {type(exc).__name__}") from exc
    if response.status_code == 429:
        wait = header_seconds(response, wait_header) if wait_header else None
        raise RetryableError(f"HTTP 429: {_snippet(response)}", wait or retry_after_seconds(response), throttled=True)
    if response.status_code >= 500:
        raise RetryableError(f"HTTP {response.status_code}: {_snippet(response)}", retry_after_seconds(response))
    if response.status_code >= 400 and coded_4xx and _coded(response):
        return response
    if response.status_code >= 400:
        raise PermanentError(f"HTTP {response.status_code}: {_snippet(response)}")
    return response


def header_seconds(response: httpx.Response, name: str) -> float | None:
    """A vendor's own header with seconds to wait (Lark's ``x-ogw-ratelimit-reset``); None if absent or unreadable."""
    try:
        value = response.headers.get(name)
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _coded(response: httpx.Response) -> bool:
    try:
        data = response.json()
    except ValueError:
        return False
    return isinstance(data, dict) and "code" in data


def json_body(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError as exc:
        raise PermanentError(f"answer is not JSON: {_snippet(response)}") from exc
    if not isinstance(data, dict):
        raise PermanentError("answer is not a JSON object")
    return data


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


TRUNCATED = "…(truncated, see the console)"
TRUNCATED_ZH = "…（内容过长已截断，请在控制台查看）"


def chinese(language: str) -> bool:
    """A message's language is Chinese (``zh``, ``zh-CN``, ...)."""
    return language.lower().startswith("zh")


def truncated(language: str = "en") -> str:
    """The mark a cut text ends with, in the card's language."""
    return TRUNCATED_ZH if chinese(language) else TRUNCATED


_PARTIAL_ENTITY = re.compile(r"&#?\w{0,8}$")  # "&am" left of a cut "&amp;": not shown as garbage
# What is left of a link a template wrote when the cut falls inside it: Slack's "<https://x|wor", markdown's
# "[words](https://x", "[words]" or "[wor". It goes whole rather than show as broken markup (alert text makes no
# link: its "<" is escaped, its "](" defused; a bracket of it at the cut goes too). Bounded, and on one line, so a
# stray "<" or "[" far before the cut costs nothing.
_HALF_LINK = re.compile(r"(?:<[^<>\n]{0,500}|!?\[[^\[\]\n]{0,300}(?:\](?:\([^()\s]{0,500})?)?)$")


def utf8_size(text: str) -> int:
    return len(text.encode())


def utf16_size(text: str) -> int:
    """Characters as JavaScript counts them (an emoji outside the BMP is 2): the stricter reading
    of a vendor's "characters"."""
    return len(text.encode("utf-16-le")) // 2


def fit(
    text: str, limit: int, link: str | None = None, *, size: Callable[[str], int] = len, mark: str = TRUNCATED
) -> str:
    """``text`` within ``limit`` as ``size`` measures it (characters by default).

    A longer text is cut on a character boundary, before a link the cut would halve, and ends with ``mark``
    (`truncated` in the card's language) and then ``link`` (the incident's), unless the part kept already shows
    it: the reader sees that it was cut and where the rest is. The mark and the link count within ``limit``.
    ``size`` must grow with the text (it is searched over the text's prefixes).
    """
    if size(text) <= limit:
        return text
    tail = mark + (f"\n{link}" if link else "")
    budget = limit - size(tail)
    low, high = 0, len(text)  # the longest prefix within the budget
    while low < high:
        middle = (low + high + 1) // 2
        if size(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    kept = _HALF_LINK.sub("", _PARTIAL_ENTITY.sub("", text[:low])).rstrip()
    if link and link in kept:
        tail = mark
    return kept + tail


def fit_body(
    body: str,
    excess: int,
    tail: str,
    link: str | None = None,
    *,
    size: Callable[[str], int] = len,
    mark: str = TRUNCATED,
) -> str | None:
    """``body`` shortened by ``excess`` (as ``size`` measures), cut as `fit` cuts, for a message whose ``tail`` (its
    row of links, the console link among them) follows the body and is kept whole: a vendor's size limit cuts the
    body, never the links. ``link`` follows the mark unless the tail holds it. None when the body cannot give that
    much and keep room for the mark (the tail itself is too large: the caller cuts the whole text with `fit`)."""
    link = None if link and link in tail else link
    budget = size(body) - excess
    if budget < size(mark + (f"\n{link}" if link else "")):
        return None
    return fit(body, budget, link, size=size, mark=mark)


ELLIPSIS = "…"


def ellipsize(text: str, limit: int, *, size: Callable[[str], int] = len) -> str:
    """A one-line ``text`` (a header, a title) within ``limit`` as ``size`` measures it: a longer one is cut on a
    character boundary and ends with ELLIPSIS, the mark counted within the limit."""
    if size(text) <= limit:
        return text
    kept, budget = [], limit - size(ELLIPSIS)
    for char in text:
        budget -= size(char)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def fit_bytes(text: str, limit: int, link: str | None = None, *, mark: str = TRUNCATED) -> str:
    """``text`` within ``limit`` UTF-8 bytes (a vendor counts bytes: a Chinese character is 3), cut as `fit` cuts."""
    return fit(text, limit, link, size=utf8_size, mark=mark)


def mobile(number: str) -> str:
    """A phone contact as the Chinese group robots' mentions take it (DingTalk ``atMobiles``, WeCom
    ``mentioned_mobile_list``): no spaces, dashes or brackets; a mainland number without +86."""
    digits = re.sub(r"[\s()-]", "", number)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def mobiles(mentions: Iterable[Mention]) -> list[str]:
    """The mentioned people's numbers as `mobile` writes them, in order, once each."""
    return [m for m in dict.fromkeys(mobile(n) for mention in mentions for n in mention.phones) if m]


def require(config: dict, *names: str) -> None:
    missing = [n for n in names if not config.get(n)]
    if missing:
        raise PermanentError(f"channel is missing {', '.join(missing)}")


def _snippet(response: httpx.Response) -> str:
    return response.text[:300]


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
