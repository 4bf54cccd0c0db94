"""Lark / Feishu app: interactive cards sent with `im/v1/messages` and updated with PATCH.

Config: ``app_id``, ``app_secret`` (secret), ``receive_id`` (a chat_id, or an open_id / email with
``receive_id_type``), ``api_base`` (``https://open.feishu.cn`` by default; Lark is
``https://open.larksuite.com``). The tenant_access_token is cached until shortly before it expires.
The cards themselves are built in `lark_cards` (its names are this module's too).
"""

import hashlib
import re
import threading
import time
from urllib.parse import quote

import httpx

from pagerless.notify.channels.base import (
    Message,
    PermanentError,
    RetryableError,
    Sent,
    dumps,
    header_seconds,
    json_body,
    request,
    require,
    retry_after_seconds,
)

# the channel's card, by its names here too (the registry's, lark_bot's, the tests')
from pagerless.notify.channels.lark_cards import CARD_MAX_BYTES as CARD_MAX_BYTES
from pagerless.notify.channels.lark_cards import HEADER_MAX_CHARS as HEADER_MAX_CHARS
from pagerless.notify.channels.lark_cards import NOTE_MAX_BYTES as NOTE_MAX_BYTES
from pagerless.notify.channels.lark_cards import card as card
from pagerless.notify.channels.lark_cards import code_block as code_block
from pagerless.notify.channels.lark_cards import decision_text as decision_text
from pagerless.notify.channels.lark_cards import escape as escape
from pagerless.notify.channels.lark_cards import header_text as header_text
from pagerless.notify.channels.lark_cards import payload
from pagerless.observability import logger

TYPE = "lark"
SECRET_FIELDS = ("app_secret",)
REQUIRED = ("app_id", "app_secret", "receive_id")
OPTIONAL = ("receive_id_type", "api_base")
RATE_PER_MINUTE = None
CAN_UPDATE = True
# a later message of an incident is a reply in the thread of its first one there (``send(..., thread=)``), and the
# card's buttons call back (the app's card callback URL), so a card may carry Acknowledge
THREADS = True
CLICKS = True
REOPENED_IN_THREAD = "incident.opened"  # an opened message for a thread: the root was the first; a reopen's
REOPENED_NOTE = "Reopened: its new card is in the chat."
REOPENED_NOTE_ZH = "已重新打开，新的卡片已发到群聊中。"
CODE_BLOCKS = True  # a dry run's diff goes in a code block of its own (`code_block`)
# every attempt of a delivery names one message id (`send(..., message_id=)`): a reopen's card and its note in the
# thread carry it as Lark's ``uuid`` (one message per uuid within an hour), so a retry posts neither twice
DELIVERY_MESSAGE_ID = True
DEFAULT_BASE = "https://open.feishu.cn"
# "the request's IP is not on the app's IP allow-list" (99991401: https://open.larkoffice.com/document/ukTMukTMukTM/
# ucTMxYjL3ETM24yNxEjN): a setting to change in the Lark developer console, which no retry changes
_IP_DENIED = 99991401
# Lark's "request trigger frequency limit" (99991400: an HTTP 429, or a 400 from older OpenAPIs, with the seconds to
# wait in ``x-ogw-ratelimit-reset``: https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control),
# a message's frequency limit (230020) and a custom bot's (11232): throttles, so they do not use up the delivery's
# attempts (`pagerless.notify.attempts`), and the wait Lark names is waited.
_THROTTLE_CODES = {99991400, 230020, 11232}
RESET_HEADER = "x-ogw-ratelimit-reset"
_TOKEN_CODES = {99991661, 99991663, 99991668}  # token missing, invalid or expired
# Lark's refusals of the app itself (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code,
# .../im-v1/message/create error codes): every message of the app is refused, a person's direct message too, so the
# channel is failing (`PermanentError.fix`). One about one recipient (230013: the user is outside the app's
# availability, 230001: a bad receive_id) is not among them.
_APP_REFUSALS = {
    _IP_DENIED: "add this sender's public IP to the app's IP allow-list (Lark developer console, Security settings)",
    99991672: "the app lacks a scope it needs (im:message:send_as_bot): add it (Permissions & Scopes) and publish a"
    " version",
    230006: "the app's Bot capability is off: add the Bot capability (Lark developer console) and publish a version",
}
_SECRET_REFUSED = (
    "Lark refused the app's App ID and App Secret (a rotated secret): save the app's current App Secret (Lark developer"
    " console, Credentials & Basic Info) on the channel"
)
# a tenant token Lark issued a moment ago and refuses at once (99991663 again after a fresh fetch): not a token that
# expired, which the fresh one would have cured, but the app itself, which no retry changes
_FRESH_TOKEN_REFUSED = (
    "Lark refused a token it had just issued: check the channel's App ID and App Secret (Credentials & Basic Info),"
    " that the app is enabled and its latest version published, and its scopes (im:message, im:message:send_as_bot)"
)
_AT_TAG = re.compile(r"<(?=\s*/?\s*at\b)", re.IGNORECASE)  # a text message's one tag: <at user_id="...">
# (base, app id, the secret's digest) -> (token, good until): a token belongs to the app id and secret that
# fetched it, so a channel with another (or an edited, wrong) secret fetches its own and hears Lark's answer
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_lock = threading.Lock()


def send(
    http: httpx.Client, config: dict, message: Message, *, thread: dict | None = None, message_id: str | None = None
) -> Sent:
    """Send ``message`` to the channel's chat; with ``thread`` (the ref of the incident's root message in this
    channel) as a reply to the root in its thread (``POST im/v1/messages/{message_id}/reply`` with
    ``reply_in_thread``: https://open.feishu.cn/document/server-docs/im-v1/message/reply). A root sent to another
    chat (the channel's ``receive_id`` changed since) has no thread here, and a reply Lark refuses for good (its root
    recalled or deleted in the chat) is sent on its own, its ref naming the root it replaces (``replaces``). The reply's
    ref names its root (``root``)."""
    require(config, *REQUIRED)
    replaces: dict = {}
    if (
        thread is not None
        and thread.get("message_id")
        and thread.get("receive_id", config["receive_id"]) == config["receive_id"]
    ):
        root = str(thread["message_id"])
        if message.event == REOPENED_IN_THREAD:  # Lark has no reply_broadcast: the group must see the reopen
            return _reopened(http, config, message, root, message_id)
        try:
            data = _call(
                http,
                config,
                "POST",
                f"/open-apis/im/v1/messages/{quote(root, safe='')}/reply",
                {**payload(message), "reply_in_thread": True},
            )
        except PermanentError as exc:  # the root recalled or deleted in the chat: say it on its own, as before threads
            logger().warning("lark reply refused; sent on its own", extra={"root": root, "error": str(exc)})
            replaces = {"replaces": root}  # the new root (`pagerless.notify.threads`)
        else:
            message_id = (data.get("data") or {}).get("message_id")
            return Sent(message_id=message_id, ref={"message_id": message_id, "root": root})
    message_id = _to_chat(http, config, message)
    return Sent(message_id=message_id, ref={"message_id": message_id, "receive_id": config["receive_id"], **replaces})


def _to_chat(http: httpx.Client, config: dict, message: Message, uuid: str | None = None) -> str | None:
    """Send ``message`` to the channel's chat on its own; its message id. ``uuid``: Lark's deduplication key (one
    message per key within an hour: https://open.feishu.cn/document/server-docs/im-v1/message/create)."""
    id_type = config.get("receive_id_type") or "chat_id"
    data = _call(
        http,
        config,
        "POST",
        f"/open-apis/im/v1/messages?receive_id_type={id_type}",
        {"receive_id": config["receive_id"], **payload(message), **({"uuid": uuid} if uuid else {})},
    )
    return (data.get("data") or {}).get("message_id")


def _reopened(http: httpx.Client, config: dict, message: Message, root: str, key: str | None = None) -> Sent:
    """A reopen (an ``incident.opened`` for a thread): its card goes to the chat on its own, where the group sees it
    (a thread's reply reaches only the thread's followers, and the root reads resolved), and the thread gets a note
    that points to it, so the thread still tells the incident's whole story. The thread keeps its root: the card is
    sent after it (`pagerless.notify.threads`). Both carry the delivery's key (``key``) as Lark's ``uuid``, so a note
    that failed for a while is retried with the delivery, and the retry posts neither the card nor the note twice
    (within Lark's hour of deduplication); a note Lark refuses for good (the root recalled) is left out."""
    message_id = _to_chat(http, config, message, key)
    note = REOPENED_NOTE_ZH if message.language.startswith("zh") else REOPENED_NOTE
    text = {"msg_type": "text", "content": dumps({"text": note}), "reply_in_thread": True}
    if key:
        text["uuid"] = f"{key}-note"
    try:
        _call(http, config, "POST", f"/open-apis/im/v1/messages/{quote(root, safe='')}/reply", text)
    except PermanentError as exc:
        logger().warning("lark reopen note not sent in the thread", extra={"root": root, "error": str(exc)[:200]})
    except (RetryableError, httpx.HTTPError) as exc:
        if key:  # the retry's card is a duplicate Lark drops: the note is tried again
            wait, throttled = getattr(exc, "retry_after", None), getattr(exc, "throttled", False)
            raise RetryableError(f"lark reopen note: {str(exc)[:200]}", wait, throttled=throttled) from exc
        logger().warning("lark reopen note not sent in the thread", extra={"root": root, "error": str(exc)[:200]})
    return Sent(message_id=message_id, ref={"message_id": message_id, "receive_id": config["receive_id"]})


def update(http: httpx.Client, config: dict, ref: dict, message: Message) -> Sent:
    require(config, "app_id", "app_secret")
    content = payload(message)["content"]
    _call(http, config, "PATCH", f"/open-apis/im/v1/messages/{ref['message_id']}", {"content": content})
    return Sent(message_id=ref["message_id"], ref=ref)


def reply_text(http: httpx.Client, config: dict, message_id: str, text: str) -> str:
    """Answer a user's message in its chat with plain text (``im/v1/messages/{id}/reply``);
    returns the reply's message id. A text message reads ``<at user_id="all"></at>`` as a mention of the whole
    group (its one tag), and the answer may quote alert text: a zero-width space after a ``<`` that opens an ``at``
    tag keeps each character as written and mentions nobody (as in `code_block`)."""
    data = _call(
        http,
        config,
        "POST",
        f"/open-apis/im/v1/messages/{quote(message_id, safe='')}/reply",
        {"msg_type": "text", "content": dumps({"text": _AT_TAG.sub("<\u200b", text)})},
    )
    return (data.get("data") or {}).get("message_id", "")


def bot_open_id(http: httpx.Client, config: dict) -> str:
    """The app's bot's open_id (``GET /open-apis/bot/v3/info``): a group message is for the bot when it mentions
    that open_id (`pagerless.chat.lark.for_bot`)."""
    data = _call(http, config, "GET", "/open-apis/bot/v3/info", None)
    return str((data.get("bot") or {}).get("open_id") or "")


def tenant_token(http: httpx.Client, config: dict, *, fresh: bool = False) -> str:
    base = _base(config)
    key = (base, config["app_id"], hashlib.sha256(str(config["app_secret"]).encode()).hexdigest())
    with _lock:
        cached = _tokens.get(key)
        if cached and not fresh and cached[1] > time.monotonic():
            return cached[0]
    response = request(
        http,
        "POST",
        f"{base}/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": config["app_id"], "app_secret": config["app_secret"]},
        wait_header=RESET_HEADER,
        coded_4xx=True,  # a refusal of the app's credentials comes with HTTP 400 too: its code says which
    )
    data = json_body(response)
    code = data.get("code")
    if code in _THROTTLE_CODES:
        raise RetryableError(
            f"lark tenant_access_token: {code} {data.get('msg')}", reset_seconds(response), throttled=True
        )
    if code != 0 or not data.get("tenant_access_token"):
        fix = _APP_REFUSALS.get(code, _SECRET_REFUSED)
        raise PermanentError(f"lark tenant_access_token: {code} {data.get('msg')}", fix=fix)
    token = data["tenant_access_token"]
    with _lock:
        _tokens[key] = (token, time.monotonic() + max(60, int(data.get("expire", 7200)) - 300))
    return token


def _call(http: httpx.Client, config: dict, method: str, path: str, payload: dict | None) -> dict:
    for fresh in (False, True):
        token = tenant_token(http, config, fresh=fresh)
        response = request(
            http,
            method,
            _base(config) + path,
            json=payload,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"},
            wait_header=RESET_HEADER,
            coded_4xx=True,  # Lark says what went wrong in the body's code, with HTTP 400 too
        )
        data = json_body(response)
        code = data.get("code")
        if code == 0:
            return data
        if code in _TOKEN_CODES:
            if not fresh:
                continue
            raise PermanentError(f"lark {code}: {data.get('msg')}", fix=_FRESH_TOKEN_REFUSED)
        if code in _THROTTLE_CODES:
            raise RetryableError(f"lark {code}: {data.get('msg')}", reset_seconds(response), throttled=True)
        if code == _IP_DENIED:
            raise PermanentError(f"lark {code}: {data.get('msg')} ({_APP_REFUSALS[code]})", fix=_APP_REFUSALS[code])
        raise PermanentError(f"lark {code}: {data.get('msg')}", fix=_APP_REFUSALS.get(code))
    raise AssertionError("unreachable: the fresh token's answer returns or raises")


def reset_seconds(response) -> float | None:
    """The wait Lark names for a throttle (``x-ogw-ratelimit-reset``, seconds), else a Retry-After's."""
    wait = header_seconds(response, RESET_HEADER)
    return wait if wait is not None else retry_after_seconds(response)


def _base(config: dict) -> str:
    return (config.get("api_base") or DEFAULT_BASE).rstrip("/")
