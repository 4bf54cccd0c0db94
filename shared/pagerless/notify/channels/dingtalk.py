"""DingTalk group robot: markdown messages to a signed webhook URL.

Config: ``webhook_url`` (secret: it embeds the access_token), ``secret`` (the robot's SEC...
signing secret). Signature: ``&timestamp=<ms>&sign=<urlencoded base64(HMAC-SHA256(secret,
timestamp + "\\n" + secret))>``. DingTalk allows 20 messages a minute per robot.

A page to the group @-mentions the paged people by their phone numbers (DingTalk's robot mentions
group members by the mobile number of their account): ``at.atMobiles`` and ``@<number>`` in the
text, under the title. A mainland number is sent as DingTalk accounts hold it, the 11 digits
without +86; any other number as written, without spaces or brackets (how DingTalk matches
international numbers could not be checked). ``isAtAll`` is never set.

A robot whose security setting is "custom keywords" (自定义关键词) refuses a message holding none of them with
errcode 310000 ("keywords not in content"). ``keywords`` (optional, separated by commas) names them: a message whose
title holds none of them gets the first at the end of its heading, ``### <title> · <keyword>`` (the heading is never
cut). Every 310000 (a keyword, the signature, the IP allowlist) fails saying which setting refused it and what to set.
"""

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Sequence
from urllib.parse import quote_plus

import httpx

from pagerless.notify.channels.base import (
    Message,
    PermanentError,
    RetryableError,
    Sent,
    chinese,
    ellipsize,
    fit,
    fit_body,
    json_body,
    mobiles,
    request,
    require,
    truncated,
)
from pagerless.notify.channels.card_words import links_markdown
from pagerless.notify.channels.markdown import defuse_links, html_plain, html_text, paragraph_lines

TYPE = "dingtalk"
SECRET_FIELDS = ("webhook_url", "secret")
REQUIRED = ("webhook_url",)
OPTIONAL = ("secret", "keywords")
RATE_PER_MINUTE = 20
CAN_UPDATE = False
MENTIONS = "phone"
_RETRYABLE = {130101, -1}  # sent too fast; system busy
# A robot that sends more than 20 messages a minute is throttled for 10 minutes (errcode 130101). That
# figure comes only from copies of DingTalk's robot documentation (we could not check DingTalk's own page):
# a throttled message is tried again after 11 minutes, past the throttle (a retry inside it would only be
# refused again), and within SQS's 15-minute maximum delay.
THROTTLE_RETRY_SECONDS = 660.0
# DingTalk refuses a request body over 20,000 bytes for good: errcode 460101 "message too long, exceed 20000
# bytes" (its documentation of the limit could not be checked; its refusal is quoted the same by many users,
# e.g. timonwong/prometheus-webhook-dingtalk#30, and as "body 大小不合法 ... 请保持大小在 20000bytes 以内").
# A longer message's body is cut to fit, with a margin, marked; its row of links is kept whole after it.
MAX_BYTES = 19_500
TITLE_MAX_CHARS = 100  # the markdown title (conversation list, notification) Pagerless has always kept to
# what of the request a group page's @-mentions leave at least to the body: past it, the people that fit are
# mentioned, each number whole, and the text says how many more were paged
MIN_BODY_BYTES = 2_000
# DingTalk's refusals of the robot itself (the custom robot's error codes: 400101 access_token 不存在, 400102 机器人已停用,
# 400106 机器人不存在, 400013 群已被解散; and 300001/300005 "token is not exist", as DingTalk answers a webhook whose
# access_token names no robot, e.g. timonwong/prometheus-webhook-dingtalk#91 and #226): every message to the group is
# refused the same way, so the channel is failing with what to change (`PermanentError.fix`)
_NO_ROBOT = (
    "the webhook URL's access_token names no robot (the robot was removed from the group, or the URL is mistyped): add"
    " the robot to the group again and save its webhook URL on the channel"
)
_ROBOT_REFUSALS = {
    300001: _NO_ROBOT,
    300005: _NO_ROBOT,
    400101: _NO_ROBOT,
    400106: _NO_ROBOT,
    400102: "the robot is disabled: turn it on again in the group's robot settings (群设置 > 机器人)",
    400013: "the group was disbanded: add a robot to a group that exists and save its webhook URL on the channel",
}


def escape(text: str) -> str:
    """DingTalk markdown renders HTML (``<font>``), its character references, and links: alert text can write
    none of them (`html_text`)."""
    return defuse_links(html_text(text))


def sign(timestamp_ms: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str | None, now: float | None = None) -> str:
    if not secret:
        return url
    timestamp = int((time.time() if now is None else now) * 1000)
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign(timestamp, secret)}"


_SECURITY_REFUSAL = 310000
_KEYWORD_SEPARATORS = re.compile(r"[,，、\n]")


def keywords(config: dict) -> list[str]:
    """The robot's custom keywords, as the channel's ``keywords`` names them (separated by commas)."""
    return [k.strip() for k in _KEYWORD_SEPARATORS.split(config.get("keywords") or "") if k.strip()]


def payload(message: Message, limit: int = MAX_BYTES, *, keywords: Sequence[str] = ()) -> dict:
    """The markdown message, each line of its body a paragraph, a fenced block's lines kept together (`text_lines`:
    DingTalk shows a single line break as a space), its heading holding one of the robot's ``keywords`` (`_heading`); when the request would exceed ``limit`` bytes, its body is cut on a character boundary,
    marked (`truncated`, in the card's language), and its row of links (the console link among them) kept after it."""
    heading = f"### {_heading(message.title, keywords)}\n\n"
    body = text_lines(message.body)
    tail = f"\n\n{links}" if (links := links_markdown(message)) else ""
    numbers = mobiles(message.mentions)
    # the mentions that fit with the heading, the links and room for some of the body: the rest are counted
    room = limit - MIN_BODY_BYTES - _sent_size(_payload(message, heading + tail, []))
    numbers, more = _mentioned(numbers, room, message.language)
    mentions = "".join(f"@{m} " for m in numbers).rstrip() + more
    head = heading + (f"{mentions}\n\n" if mentions else "")
    whole = _payload(message, head + body + tail, numbers)
    excess = _sent_size(whole) - limit
    if excess <= 0:
        return whole
    # the body is cut, the links kept (`fit_body`); the link after the mark on a line of its own too (one byte
    # more, within MAX_BYTES' margin)
    mark = truncated(message.language)
    if (cut := fit_body(body, excess, tail, message.link, size=_text_size, mark=mark)) is not None:
        return _payload(message, head + text_lines(cut) + tail, numbers)
    text = head + body + tail
    cut = fit(text, _text_size(text) - excess, message.link, size=_text_size, mark=mark)
    return _payload(message, text_lines(cut), numbers)


def text_lines(text: str) -> str:
    """``text`` line by line as DingTalk shows it (`paragraph_lines`): outside a ``` fence each line a paragraph; a
    fenced block (a dry run's diff) one paragraph whose lines end in a hard line break (two spaces: DingTalk's
    documented line break), so its lines stay together as written; where the client shows the fence as code, the
    trailing spaces show as nothing."""
    return paragraph_lines(text)


def _mentioned(numbers: list[str], room: int, language: str) -> tuple[list[str], str]:
    """The ``numbers`` whose ``@<number>`` in the text and entry in ``atMobiles`` fit in ``room`` bytes, in order,
    each whole, and what says how many more were paged (" and 3 more", " 等另外 3 人"); all of them and "" when all
    fit."""
    if _mentions_size(numbers) <= room:
        return numbers, ""
    kept: list[str] = []
    for number in numbers:
        more = _more(len(numbers) - len(kept) - 1, language)
        if _mentions_size([*kept, number]) + _text_size(more) > room:
            break
        kept.append(number)
    return kept, _more(len(numbers) - len(kept), language)


def _more(count: int, language: str) -> str:
    return f" 等另外 {count} 人" if chinese(language) else f" and {count} more"


def _mentions_size(numbers: list[str]) -> int:
    """Bytes the mentions of ``numbers`` add to the request: ``@<number> `` in the text, ``"<number>",`` in
    ``atMobiles``, and the ``at`` object around them."""
    return sum(len(n.encode()) * 2 + 5 for n in numbers) + (len('"at":{"atMobiles":[],"isAtAll":false},') + 4)


def _heading(title: str, keywords: Sequence[str]) -> str:
    """The text's heading: the title, and where it holds none of the robot's ``keywords``, the first of them after
    it (a keyword robot refuses a message without one; the heading is never cut, the body may be)."""
    if not keywords or any(k in title or escape(k) in title for k in keywords):
        return title
    return f"{title} · {escape(keywords[0])}"


def _payload(message: Message, text: str, numbers: list[str]) -> dict:
    # the title is plain text (the conversation list and the phone's notification show it): not escaped; a long
    # one is cut to 100 characters ending with "…", as the other vendors' titles are
    title = ellipsize(html_plain(message.title), TITLE_MAX_CHARS)
    body: dict = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if numbers:
        body["at"] = {"atMobiles": numbers, "isAtAll": False}
    return body


def _sent_size(value: dict) -> int:
    """Bytes of the request as httpx sends it (UTF-8 JSON, no ASCII escapes)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _text_size(text: str) -> int:
    """Bytes ``text`` takes in the request: a quote or a newline grows when encoded."""
    return len(json.dumps(text, ensure_ascii=False).encode())


def send(http: httpx.Client, config: dict, message: Message, *, now: float | None = None) -> Sent:
    require(config, *REQUIRED)
    body = payload(message, keywords=keywords(config))
    data = json_body(request(http, "POST", signed_url(config["webhook_url"], config.get("secret"), now), json=body))
    code = data.get("errcode", 0)
    if code == 0:
        return Sent()
    if code in _RETRYABLE:
        raise RetryableError(
            f"dingtalk {code}: {data.get('errmsg')}",
            THROTTLE_RETRY_SECONDS if code == 130101 else None,
            throttled=code == 130101,
        )
    words = f"dingtalk {code}: {data.get('errmsg')}"
    if code == _SECURITY_REFUSAL:  # a security setting the channel's config does not meet: every message alike
        fix = refused_by_security(str(data.get("errmsg") or ""), config)
        raise PermanentError(f"{words}; {fix}", fix=fix)
    raise PermanentError(words, fix=_ROBOT_REFUSALS.get(code))


def _named(words: Sequence[str], most: int = 5, budget: int = 120) -> str:
    """``words`` for a fix, whole: at most ``most`` of them in about ``budget`` characters, then how many more (a
    keyword longer than the budget alone is cut with an ellipsis), so a long list never cuts the fix's own words."""
    shown: list[str] = []
    for word in words[:most]:
        if shown and len(", ".join([*shown, word])) > budget:
            break
        shown.append(word if len(word) <= budget else word[: budget - 1] + "…")
    more = len(words) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def refused_by_security(errmsg: str, config: dict) -> str:
    """What a 310000 means, by the robot's security setting that refused the message, and what to set."""
    said = errmsg.lower()
    if "keyword" in said:
        if keywords(config):
            return (
                "the robot's security setting 'custom keywords' found none of its keywords in the message: the "
                "channel's keywords (" + _named(keywords(config)) + ") are not the robot's; copy them from the "
                "robot's settings"
            )
        return (
            "the robot's security setting 'custom keywords' refuses a message without one of its keywords: set the "
            "channel's config.keywords to them (separated by commas); every message then holds one"
        )
    if "sign" in said:
        return "the robot's security setting 'signature' (加签) refused the signature: set config.secret to its SEC… secret"
    if "ip" in said:
        return "the robot's security setting 'IP address (range)' does not allow the address Pagerless sends from"
    return (
        "the robot's security settings refused the message: set config.keywords to its custom keywords, config.secret "
        "to its signing secret, or allow Pagerless's address"
    )
