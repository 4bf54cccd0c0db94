"""Slack app: Block Kit messages through the Web API (`chat.postMessage`, `chat.update`).

Config: ``bot_token`` (secret, xoxb-...), ``channel`` (id), ``api_base`` (default Slack's), ``team_id``
(optional: pages to people go as direct messages only to users of that team).
"""

import json

import httpx

from pagerless.chat.slack import escape as _mrkdwn_escape
from pagerless.notify.channels.base import (
    Code,
    Message,
    PermanentError,
    RetryableError,
    Sent,
    ellipsize,
    fit,
    json_body,
    request,
    require,
    retry_after_seconds,
    truncated,
    utf16_size,
)
from pagerless.notify.channels.card_words import approval_value, button_label, card_links, decision_line
from pagerless.observability import logger

TYPE = "slack"
SECRET_FIELDS = ("bot_token",)
REQUIRED = ("bot_token", "channel")
OPTIONAL = ("api_base", "team_id")  # team_id: direct-message pages only reach users of that team
RATE_PER_MINUTE = None
CAN_UPDATE = True
# a later message of an incident is a reply in the thread of its first one there (``send(..., thread=)``), and the
# buttons call back (the app's interactivity URL), so a card may carry Acknowledge
THREADS = True
REOPENED_IN_THREAD = "incident.opened"  # an opened message in the thread: the root was the first; a reopen's
CLICKS = True
CODE_BLOCKS = True  # a dry run's diff goes in a rich text preformatted element (`code_block`)
DEFAULT_BASE = "https://slack.com/api"
_RETRYABLE = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# Slack's Web API says "too many requests" as an error too (``{"ok": false, "error": "ratelimited"}``, its SDKs'
# rate-limited error with the Retry-After header's wait), not only as an HTTP 429: the same throttle, so it does not
# use up the delivery's attempts (`pagerless.notify.attempts`) and its Retry-After, when given, is waited.
THROTTLED = "ratelimited"
_NEW_TOKEN = "save the Slack app's Bot User OAuth Token (xoxb-…, OAuth & Permissions) on the channel"
# Slack's errors about the bot token itself (https://api.slack.com/methods/chat.postMessage#errors): every call with
# it is refused, a person's direct message too, so the channel is failing (`PermanentError.fix`). A refusal about one
# destination (channel_not_found, user_not_found, cannot_dm_bot, is_archived) is not among them.
_TOKEN_REFUSALS = {
    "invalid_auth": f"the bot token is not valid: {_NEW_TOKEN}",
    "not_authed": f"no bot token was sent: {_NEW_TOKEN}",
    "token_revoked": f"the bot token was revoked (the app uninstalled or reinstalled): {_NEW_TOKEN}",
    "token_expired": f"the bot token expired (token rotation is on): {_NEW_TOKEN}",
    "account_inactive": f"the bot's workspace or user is deactivated: install the app again and {_NEW_TOKEN}",
    "not_allowed_token_type": f"the token is no bot token: {_NEW_TOKEN}",
    "missing_scope": "the Slack app lacks the scope {needed}: add it (OAuth & Permissions) and reinstall the app",
}
_BUTTONS = (
    ("approve", "pl_approve", "primary"),
    ("reject", "pl_reject", "danger"),
    ("acknowledge", "pl_ack", None),
)
# A section's text: "Minimum length for the text in this field is 1 and maximum length is 3000 characters"
# (https://docs.slack.dev/reference/block-kit/blocks/section-block); Slack refuses a longer one (invalid_blocks).
# The message's top-level ``text`` is only the title, far within its 40,000 characters
# (https://api.slack.com/changelog/2018-04-truncating-really-long-messages: longer text is truncated).
SECTION_MAX_CHARS = 3000
# A header's text: "Maximum length for the text in this field is 150 characters"
# (https://docs.slack.dev/reference/block-kit/blocks/header-block); a longer one is refused (invalid_blocks), and
# the card with it.
HEADER_MAX_CHARS = 150
# The text of all of a message's blocks together: Slack documents none for rich_text and refuses a message whose
# blocks hold too much text with ``msg_blocks_too_long``; its engineers put it at "12,000 text characters with a
# buffer for block containers" (https://github.com/slackapi/bolt-js/issues/2509), and blocks of 11,341 characters
# were refused (https://github.com/slackapi/bolt-js/issues/2867). A card with its diff as code stays well within;
# a larger one is the old layout, the body in one section cut to its 3,000 characters. (Also well within: the
# 50 blocks of a message, https://docs.slack.dev/reference/block-kit/blocks; a card has at most 5.)
MAX_BLOCKS_TEXT = 8000


def escape(text: str) -> str:
    """Slack mrkdwn control characters: alert text cannot become <!channel> or <@U..>."""
    return _mrkdwn_escape(text)


def code_block(code: str) -> dict:
    """``code`` as the one text of a rich text block's ``rich_text_preformatted`` element
    (https://docs.slack.dev/reference/block-kit/blocks/rich-text-block,
    https://docs.slack.dev/reference/block-kit/block-elements/rich-text-preformatted-element: "An array of text or
    link elements"). A rich text ``text`` element is "The text shown to the user"
    (https://docs.slack.dev/reference/block-kit/block-elements/text-element): styles, links and mentions are
    elements of their own, not markup in the text, so nothing in it is mrkdwn (a ``` line, ``*bold*``,
    ``<!channel>``, ``<https://x|y>``) and it is sent as the dry run wrote it, not entity-escaped: Slack escapes
    ``&``, ``<`` and ``>`` because it uses them "as control characters for special parsing in text objects"
    (https://api.slack.com/reference/surfaces/formatting#escaping), the mrkdwn of sections, which a rich text
    element is not. (The docs do not say it in so many words for rich text: should Slack decode entities there
    after all, an ``&amp;`` in a diff would show as ``&``, never as markup.)"""
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_preformatted", "elements": [{"type": "text", "text": code}]}],
    }


def blocks(message: Message) -> list[dict]:
    """The card; a dry run's diff (``message.code``) in a `code_block` between sections of the text before and
    after it. Where those sections or the whole would be more than Slack takes, the old layout: the body, diff
    included, in one section cut to fit (`section_text`)."""
    if message.code is not None:
        with_code = _blocks(message, message.code)
        if _fits(with_code):
            return with_code
    return _blocks(message)


def _blocks(message: Message, code: Code | None = None) -> list[dict]:
    text: list[dict] = [_section(section_text(message))]
    if code is not None:
        text = [
            *([_section(code.before)] if code.before else []),
            code_block(code.code),
            *([_section(code.after)] if code.after else []),
        ]
    out: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": header_text(message.title), "emoji": False}},
        *text,
        *([links_block(message)] if card_links(message) else []),
    ]
    if message.decision:
        out.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": decision_text(message)}],
            }
        )
    elif message.approval:
        out.append(
            {
                "type": "actions",
                "block_id": "pl_approval",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "text": {"type": "plain_text", "text": button_label(action, message.language)},
                        "value": json.dumps(
                            approval_value(message.approval, action, message.language, message.timezone),
                            separators=(",", ":"),
                        ),
                        **({"style": style} if style else {}),
                    }
                    for action, action_id, style in _BUTTONS
                    if action in message.actions
                ],
            }
        )
    return out


def links_block(message: Message) -> dict:
    """The incident's runbook, source and console links (`card_links`), a context block of one mrkdwn link each
    (``<url|words>``, https://docs.slack.dev/messaging/formatting-message-text#linking-urls), each well within an element's 3,000
    characters (a URL is at most 2,000: `pagerless.notify.links`, which also encoded the ``|`` and ``>`` that
    would end it). The URL's ``&`` is written ``&amp;``, as Slack's escaping asks."""
    return {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": f"<{url.replace('&', '&amp;')}|{button_label(kind, message.language)}>"}
            for kind, url in card_links(message)
        ],
    }


def decision_text(message: Message) -> str:
    """Who decided and when (`decision_line`), escaped, within a text object's 3,000 characters: the comment in it is a
    person's, up to the console's 8,000, and a longer text makes Slack refuse the decided card (``invalid_blocks``)."""
    line = escape(decision_line(message.decision, message.language, message.timezone))
    return fit(line, SECTION_MAX_CHARS, size=utf16_size, mark=truncated(message.language))


def header_text(title: str) -> str:
    """The title as a header's plain text, within its 150 characters counted as `section_text` counts them
    (an emoji 2): a longer one is cut on a character boundary and ends with "…"; the notification ``text``
    keeps it whole."""
    return ellipsize(_plain(title), HEADER_MAX_CHARS, size=utf16_size) or " "


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _fits(blocks: list[dict]) -> bool:
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    return all(utf16_size(t) <= SECTION_MAX_CHARS for t in sections) and _text_size(blocks) <= MAX_BLOCKS_TEXT


def _text_size(value) -> int:
    """Characters of every ``text`` string in the blocks (as JavaScript counts them)."""
    if isinstance(value, list):
        return sum(_text_size(v) for v in value)
    if isinstance(value, dict):
        return sum(utf16_size(v) if k == "text" and isinstance(v, str) else _text_size(v) for k, v in value.items())
    return 0


def section_text(message: Message) -> str:
    """The body within a section's 3,000 characters (counted as JavaScript does, so an emoji counts
    2): a longer one is cut, marked (`truncated`, in the card's language), with the incident link after the mark."""
    return fit(message.body, SECTION_MAX_CHARS, message.link, size=utf16_size, mark=truncated(message.language)) or " "


def payload(message: Message) -> dict:
    """The message as ``chat.postMessage`` and ``chat.update`` send it, less the channel (and ``ts``) they add:
    the title as the notification text, and the `blocks`. The ``text`` is mrkdwn (``mrkdwn`` defaults to true) and
    Slack reads its mentions: it is the title as rendered, its alert text escaped, so an alert titled
    ``<!channel>`` pings nobody (Slack shows the entities as the characters)."""
    return {"text": message.title, "blocks": blocks(message)}


def send(http: httpx.Client, config: dict, message: Message, *, thread: dict | None = None) -> Sent:
    """Post ``message``; with ``thread`` (the ref of the incident's root message in this channel) as a reply in
    the root's thread: ``thread_ts`` is the root's ``ts`` (https://docs.slack.dev/reference/methods/chat.postMessage:
    "Provide another message's ts value to make this message a reply"). No ``reply_broadcast``: the root is where
    the channel looks, and its thread is where the incident goes on; but for a reopen (an ``incident.opened`` in the
    thread), which the channel must see as it saw the opening (the root reads resolved: `pagerless.notify.edits`). A reply Slack refuses for good (its root deleted:
    ``thread_not_found``) is posted on its own, and its ref names the root it replaces (``replaces``). The reply's ref
    names its root (``root``)."""
    require(config, *REQUIRED)
    channel = config["channel"]
    # a root posted to what the channel names now (its ``to``; Slack answers with the channel's id, which a config
    # naming the channel by name would not match), not before the config moved to another Slack channel
    threaded = bool(thread and thread.get("ts") and thread.get("to", thread.get("channel")) == channel)
    body, replaces = {"channel": channel, **payload(message)}, {}
    if threaded:
        try:
            body = {"channel": thread["channel"], **payload(message), "thread_ts": thread["ts"]}
            if message.event == REOPENED_IN_THREAD:
                body["reply_broadcast"] = True
            data = _call(http, config, "chat.postMessage", body)
        except PermanentError as exc:  # the root deleted (thread_not_found): say it on its own, as before threads
            logger().warning(
                "slack thread reply refused; sent on its own", extra={"root": thread["ts"], "error": str(exc)}
            )
            threaded, body = False, {"channel": channel, **payload(message)}
            replaces = {"replaces": thread["ts"]}  # the new root (`pagerless.notify.threads`)
    if not threaded:
        data = _call(http, config, "chat.postMessage", body)
    ref = {"channel": data.get("channel") or body["channel"], "ts": data.get("ts"), "to": channel}
    return Sent(message_id=data.get("ts"), ref={**ref, "root": thread["ts"]} if threaded else {**ref, **replaces})


def reply_text(http: httpx.Client, config: dict, channel: str, text: str, thread_ts: str = "") -> str:
    """Answer a person's message in its conversation with plain ``text`` (``chat.postMessage``; escaped, so nothing
    in it is a mention or a link), in the message's thread when ``thread_ts`` names one. Returns the reply's ts."""
    require(config, "bot_token")
    body = {"channel": channel, "text": escape(text), **({"thread_ts": thread_ts} if thread_ts else {})}
    return str(_call(http, config, "chat.postMessage", body).get("ts") or "")


def update(http: httpx.Client, config: dict, ref: dict, message: Message) -> Sent:
    require(config, "bot_token")
    data = _call(http, config, "chat.update", {"channel": ref["channel"], "ts": ref["ts"], **payload(message)})
    return Sent(message_id=data.get("ts") or ref["ts"], ref=ref)


def _call(http: httpx.Client, config: dict, method: str, payload: dict) -> dict:
    base = (config.get("api_base") or DEFAULT_BASE).rstrip("/")
    response = request(
        http,
        "POST",
        f"{base}/{method}",
        json=payload,
        headers={"Authorization": f"Bearer {config['bot_token']}", "Content-Type": "application/json; charset=utf-8"},
    )
    data = json_body(response)
    if not data.get("ok"):
        error = str(data.get("error", "unknown_error"))
        if error == THROTTLED:
            raise RetryableError(f"slack {method}: {error}", retry_after_seconds(response), throttled=True)
        if error in _RETRYABLE:
            raise RetryableError(f"slack {method}: {error}")
        fix = _TOKEN_REFUSALS.get(error)
        raise PermanentError(
            f"slack {method}: {error}", fix=fix and fix.format(needed=data.get("needed") or "chat:write")
        )
    return data


def _plain(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
