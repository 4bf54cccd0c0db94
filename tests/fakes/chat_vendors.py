"""A real local HTTP server speaking the chat vendors' APIs, for tests (ephemeral port).

One server answers, by path:
- Lark/Feishu: ``POST /open-apis/auth/v3/tenant_access_token/internal``,
  ``POST /open-apis/im/v1/messages?receive_id_type=...``, ``PATCH /open-apis/im/v1/messages/{id}``,
  ``POST /open-apis/im/v1/messages/{id}/reply`` (``reply_in_thread`` puts the reply in the
  thread of the first message, answered with its ``root_id`` and ``thread_id``; a reply to a message the test
  recalled (``lark_recalled``) is refused with code 230011; a card request over 30 KB is refused, code 230025; a
  request naming a ``uuid`` sent before is answered with that message, sending nothing: Lark's deduplication),
  ``GET /open-apis/bot/v3/info`` (the app's bot, open_id ``LARK_BOT_OPEN_ID``),
  and custom bots at ``POST /open-apis/bot/v2/hook/{token}`` (checks the signature when a
  secret is registered);
- Slack Web API: ``POST /slack/api/chat.postMessage`` (a ``thread_ts`` puts the reply in that message's thread; one
  naming a message the test deleted, ``slack_deleted``, is refused with ``thread_not_found``), ``/slack/api/chat.update`` (Bearer token; refuses
  a header block's text over 150 characters, a section block's text over 3,000 (both counted as JavaScript
  counts them, an emoji 2), more than 50 blocks, or a rich text block not in its documented
  shape with ``invalid_blocks``, and blocks holding more than 11,000 characters of text with ``msg_blocks_too_long``);
- DingTalk robot: ``POST /robot/send?access_token=..&timestamp=..&sign=..`` (checks the sign; refuses a
  request body over 20,000 bytes with errcode 460101, as DingTalk answers it; a robot given custom keywords,
  ``dingtalk_keywords``, refuses a message holding none of them with errcode 310000 "keywords not in content");
- WeCom robot: ``POST /cgi-bin/webhook/send?key=...`` (refuses content over its UTF-8 byte limit);
- Teams Workflows: ``POST /workflows/{id}`` (answers 202; over 28 KB, 413);
- Teams incoming webhook (an Office 365 connector): ``POST /webhookb2/...`` answers HTTP 200 with the text
  ``1``; its failures are HTTP 200 too, with the error as text ("Connectors do not throw 429s": Microsoft's
  connector docs), e.g. a message over 28 KB is answered ``... returned HTTP error 413 ...``;
- anything else (a generic webhook receiver): ``POST /hooks/...`` answers 204.

``teams_mentions(body)`` reads a Teams card's mentions as Teams ties them: by the entity's ``text``.

Every request is recorded (method, path, query, headers, raw body, parsed JSON). ``fail(path_prefix,
status, times, headers, body)`` makes the next ``times`` requests to that path fail (``slack_ratelimited(method,
times, retry_after)``: Slack's HTTP 200 ``ratelimited`` error); ``hold()`` plays a
vendor that does not answer: requests wait, unrecorded, until ``release()`` (or 30 s). A WeCom robot takes 20 messages a minute, as WeCom's do.
"""

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LARK_APP_ID = "cli_fake_app"
LARK_APP_SECRET = "fake-app-secret"
LARK_TOKEN = "t-fake-tenant-token"
LARK_BOT_OPEN_ID = "ou_fake_pagerless_bot"  # the app's bot, as GET /open-apis/bot/v3/info names it
SLACK_TOKEN = "xoxb-fake-token"
# What a Teams connector answers, with HTTP 200, when Teams refused the message (Microsoft's connector docs:
# "Connectors do not throw 429s"; their sample looks for "Microsoft Teams endpoint returned HTTP error 429")
TEAMS_CONNECTOR_ERROR = (
    "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error {status} "
    "with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deogVhDYhUaBBCs1fpK0Tw.0.."
)
LARK_CARD_MAX_BYTES = 30_000
# "You can include up to 50 blocks in each message" (https://docs.slack.dev/reference/block-kit/blocks)
SLACK_MAX_BLOCKS = 50
# a header's plain_text: "Maximum length for the text in this field is 150 characters"
# (https://docs.slack.dev/reference/block-kit/blocks/header-block); a longer one is refused with invalid_blocks
SLACK_MAX_HEADER = 150
# Slack refuses blocks holding too much text together with msg_blocks_too_long; the limit is not documented: its
# engineers put it at "12,000 text characters with a buffer for block containers" (slackapi/bolt-js#2509) and
# blocks of 11,341 were refused (slackapi/bolt-js#2867). The fake refuses above 11,000.
SLACK_MAX_BLOCKS_TEXT = 11_000
# A rich text block's elements (https://docs.slack.dev/reference/block-kit/blocks/rich-text-block); a preformatted
# one holds "An array of text or link elements"
# (https://docs.slack.dev/reference/block-kit/block-elements/rich-text-preformatted-element)
_SLACK_RICH_TEXT = {"rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote"}
WECOM_PER_MINUTE = 20
# DingTalk's robot refuses a longer request: {"errcode":460101,"errmsg":"message too long, exceed 20000 bytes"}
# (as its users quote it, e.g. timonwong/prometheus-webhook-dingtalk#30; also "body 大小不合法 ... 20000bytes 以内")
DINGTALK_MAX_BYTES = 20_000  # "卡片及富文本消息请求体最大不能超过30KB" (Lark's im/v1 message docs)


HOLD_LIMIT_SECONDS = 30  # a held request is answered after this even if never released


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any


@dataclass
class _Failure:
    prefix: str
    status: int
    times: int
    headers: dict = field(default_factory=dict)
    body: Any = None


class ChatVendors:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.failures: list[_Failure] = []
        self.bot_secrets: dict[str, str] = {}  # lark bot token / dingtalk access_token -> signing secret
        # dingtalk access_token -> the robot's custom keywords (its "custom keywords" security setting)
        self.dingtalk_keywords: dict[str, list[str]] = {}
        self.lark_messages: dict[str, dict] = {}
        self.lark_recalled: set[str] = set()  # message ids recalled in the chat: a reply to one is refused
        self.lark_uuids: dict[str, str] = {}  # Lark's deduplication key (``uuid``) -> the message it sent
        self.slack_deleted: set[tuple[str, str]] = set()  # (channel, ts) deleted in Slack: a reply to one is refused
        self.slack_messages: dict[tuple[str, str], dict] = {}
        self.released = threading.Event()
        self.released.set()
        self.wecom_minutes: dict[tuple[str, int], int] = {}  # (robot key, minute) -> messages taken
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "ChatVendors":
        self._thread.start()
        return self

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def fail(self, prefix: str, status: int, times: int = 1, headers: dict | None = None, body: Any = None) -> None:
        self.failures.append(_Failure(prefix, status, times, headers or {}, body))

    def slack_ratelimited(self, method: str, times: int = 1, retry_after: str | None = None) -> None:
        """The next ``times`` calls of Slack's ``method`` are answered HTTP 200 ``{"ok": false, "error":
        "ratelimited"}`` (with ``Retry-After`` when given): Slack's rate-limited error outside a 429."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.fail(f"/slack/api/{method}", 200, times, headers, {"ok": False, "error": "ratelimited"})

    def to(self, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # ------------------------------------------------------------------ routing
    def _answer(self, req: Recorded) -> tuple[int, Any, dict]:
        for failure in self.failures:
            if failure.times > 0 and req.path.startswith(failure.prefix):
                failure.times -= 1
                return (
                    failure.status,
                    failure.body if failure.body is not None else {"error": "fake failure"},
                    failure.headers,
                )
        path = req.path
        if path == "/open-apis/auth/v3/tenant_access_token/internal":
            ok = req.body == {"app_id": LARK_APP_ID, "app_secret": LARK_APP_SECRET}
            return (
                200,
                (
                    {"code": 0, "msg": "ok", "tenant_access_token": LARK_TOKEN, "expire": 7200}
                    if ok
                    else {"code": 10014, "msg": "app secret invalid"}
                ),
                {},
            )
        if path.startswith("/open-apis/im/v1/messages"):
            return self._lark_message(req)
        if path == "/open-apis/bot/v3/info":
            if req.headers.get("authorization") != f"Bearer {LARK_TOKEN}":
                return 200, {"code": 99991663, "msg": "Invalid access token for authorization"}, {}
            bot = {"activate_status": 2, "app_name": "Pagerless", "ip_white_list": [], "open_id": LARK_BOT_OPEN_ID}
            return 200, {"code": 0, "msg": "ok", "bot": bot}, {}
        if path.startswith("/open-apis/bot/v2/hook/"):
            return self._lark_bot(req)
        if path.startswith("/slack/api/"):
            return self._slack(req)
        if path == "/robot/send":
            return self._dingtalk(req)
        if path == "/cgi-bin/webhook/send":
            return self._wecom(req)
        if path.startswith("/workflows/"):  # Teams: "the message size limit is 28 KB", else 413
            return (413, b"", {}) if len(req.raw) > 28_000 else (202, b"", {})
        if path.startswith("/webhookb2/"):
            if len(req.raw) > 28_000:
                return 200, TEAMS_CONNECTOR_ERROR.format(status=413).encode(), {}
            return 200, b"1", {}
        if path.startswith("/hooks/"):
            return 204, b"", {}
        return 404, {"error": "no such fake endpoint"}, {}

    def _lark_message(self, req: Recorded) -> tuple[int, Any, dict]:
        if req.headers.get("authorization") != f"Bearer {LARK_TOKEN}":
            return 200, {"code": 99991663, "msg": "Invalid access token for authorization"}, {}
        if req.body.get("msg_type", "interactive") == "interactive" and len(req.raw) > LARK_CARD_MAX_BYTES:
            return 400, {"code": 230025, "msg": "The length of the message content reaches its limit."}, {}
        if req.method == "POST" and req.body.get("uuid") in self.lark_uuids:  # one message per uuid (within an hour)
            message_id = self.lark_uuids[req.body["uuid"]]
            return 200, {"code": 0, "msg": "success", "data": {"message_id": message_id}}, {}
        if req.method == "POST" and req.path.endswith("/reply"):
            parent = req.path.rsplit("/", 2)[-2]
            if req.body.get("msg_type") not in ("text", "interactive", "post") or "content" not in req.body:
                return 400, {"code": 230001, "msg": "invalid message content"}, {}
            if parent in self.lark_recalled:
                return 400, {"code": 230011, "msg": "The message was recalled."}, {}
            message_id = f"om_fake{next(self._ids):04d}"
            # a reply's root is its parent's root (a reply to a reply stays in the first message's thread)
            root = self.lark_messages.get(parent, {}).get("root_id") or parent
            in_thread = bool(req.body.get("reply_in_thread"))
            self.lark_messages[message_id] = {
                "reply_to": parent,
                "root_id": root,
                "reply_in_thread": in_thread,
                "msg_type": req.body["msg_type"],
                "content": req.body["content"],
            }
            self._keep_uuid(req, message_id)
            data = {"message_id": message_id, "root_id": root, "parent_id": parent, "msg_type": req.body["msg_type"]}
            if in_thread:
                data["thread_id"] = "omt_" + root.removeprefix("om_")
            return 200, {"code": 0, "msg": "success", "data": data}, {}
        if req.method == "POST":
            message_id = f"om_fake{next(self._ids):04d}"
            self.lark_messages[message_id] = {"receive_id": req.body["receive_id"], "content": req.body["content"]}
            self._keep_uuid(req, message_id)
            return 200, {"code": 0, "msg": "success", "data": {"message_id": message_id, "msg_type": "interactive"}}, {}
        if req.method == "PATCH":
            message_id = req.path.rsplit("/", 1)[-1]
            if message_id not in self.lark_messages:
                return 400, {"code": 230001, "msg": "message not found"}, {}
            self.lark_messages[message_id]["content"] = req.body["content"]
            return 200, {"code": 0, "msg": "success", "data": {}}, {}
        return 405, {"code": 1, "msg": "method not allowed"}, {}

    def _keep_uuid(self, req: Recorded, message_id: str) -> None:
        if req.body.get("uuid"):
            self.lark_uuids[req.body["uuid"]] = message_id

    def _lark_bot(self, req: Recorded) -> tuple[int, Any, dict]:
        token = req.path.rsplit("/", 1)[-1]
        secret = self.bot_secrets.get(token)
        if secret is not None:
            timestamp = str(req.body.get("timestamp", ""))
            expected = base64.b64encode(
                hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            if req.body.get("sign") != expected:
                return (
                    200,
                    {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"},
                    {},
                )
        return 200, {"code": 0, "msg": "success", "data": {}}, {}

    def _slack(self, req: Recorded) -> tuple[int, Any, dict]:
        if req.headers.get("authorization") != f"Bearer {SLACK_TOKEN}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        method = req.path.rsplit("/", 1)[-1]
        blocks = req.body.get("blocks") or []
        sections = [b for b in blocks if b.get("type") == "section"]
        if any(_utf16(b["text"]["text"]) > 3000 for b in sections) or len(blocks) > SLACK_MAX_BLOCKS:
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        headers = [b for b in blocks if b.get("type") == "header"]
        if any(not 1 <= _utf16(b["text"]["text"]) <= SLACK_MAX_HEADER for b in headers):
            return 200, {"ok": False, "error": "invalid_blocks"}, {}  # "must be less than 151 characters"
        if not all(_slack_rich_text(b) for b in blocks if b.get("type") == "rich_text"):
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        if _slack_text_size(blocks) > SLACK_MAX_BLOCKS_TEXT:
            return 200, {"ok": False, "error": "msg_blocks_too_long"}, {}
        if method == "chat.postMessage":
            thread_ts = req.body.get("thread_ts")
            if thread_ts and (req.body["channel"], thread_ts) in self.slack_deleted:
                return 200, {"ok": False, "error": "thread_not_found"}, {}
            ts = f"1700000000.{next(self._ids):06d}"
            self.slack_messages[(req.body["channel"], ts)] = req.body
            message = {"text": req.body.get("text"), **({"thread_ts": thread_ts} if thread_ts else {})}
            return 200, {"ok": True, "channel": req.body["channel"], "ts": ts, "message": message}, {}
        if method == "chat.update":
            key = (req.body["channel"], req.body["ts"])
            if key not in self.slack_messages:
                return 200, {"ok": False, "error": "message_not_found"}, {}
            self.slack_messages[key] = req.body
            return 200, {"ok": True, "channel": key[0], "ts": key[1]}, {}
        return 200, {"ok": False, "error": "unknown_method"}, {}

    def _wecom(self, req: Recorded) -> tuple[int, Any, dict]:
        if not req.query.get("key") or req.body.get("msgtype") not in ("markdown", "text"):
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, {}
        content = (req.body.get(req.body["msgtype"]) or {}).get("content", "")
        limit = 4096 if req.body["msgtype"] == "markdown" else 2048  # WeCom counts UTF-8 bytes
        if len(content.encode()) > limit:
            message = f"{req.body['msgtype']}.content exceed max length {limit}. invalid Request Parameter"
            return 200, {"errcode": 40058, "errmsg": message}, {}
        # a robot takes 20 messages a minute, every message counting (WeCom's robot docs: "每个机器人发送的消息不能超过
        # 20条/分钟"); over it WeCom answers 45009 "api freq out of limit"
        window = (req.query["key"], int(time.time() // 60))
        self.wecom_minutes[window] = self.wecom_minutes.get(window, 0) + 1  # answers are made under self._lock
        if self.wecom_minutes[window] > WECOM_PER_MINUTE:
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, {}
        return 200, {"errcode": 0, "errmsg": "ok"}, {}

    def _dingtalk(self, req: Recorded) -> tuple[int, Any, dict]:
        if len(req.raw) > DINGTALK_MAX_BYTES:
            return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}, {}
        secret = self.bot_secrets.get(req.query.get("access_token", ""))
        if secret is not None:
            timestamp = req.query.get("timestamp", "")
            expected = base64.b64encode(
                hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            ).decode()
            if req.query.get("sign") != expected:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}, {}
        required = self.dingtalk_keywords.get(req.query.get("access_token", ""))
        if required and not any(k in json.dumps(req.body, ensure_ascii=False) for k in required):
            # as DingTalk answers it: "keywords not in content, more: [https://ding-doc.dingtalk.com/...]"
            return 200, {"errcode": 310000, "errmsg": "keywords not in content"}, {}
        return 200, {"errcode": 0, "errmsg": "ok"}, {}

    # ------------------------------------------------------------------ HTTP
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                req = Recorded(
                    self.command, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, raw, body
                )
                fake.released.wait(HOLD_LIMIT_SECONDS)
                with fake._lock:
                    fake.requests.append(req)
                    status, answer, headers = fake._answer(req)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if data:
                        self.send_header(
                            "content-type", "text/plain" if isinstance(answer, bytes) else "application/json"
                        )
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a test of a slow vendor)

            do_POST = do_PATCH = do_PUT = do_GET = _serve

        return Handler


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _slack_rich_text(block: dict) -> bool:
    """A rich text block as Slack's reference has it: its elements of the four kinds; a preformatted one's elements
    text (with its ``text``) or link (with its ``url``)."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return False
    for element in elements:
        if not isinstance(element, dict) or element.get("type") not in _SLACK_RICH_TEXT:
            return False
        inner = element.get("elements")
        if not isinstance(inner, list) or not inner:
            return False
        if element["type"] == "rich_text_preformatted" and not all(
            (e.get("type") == "text" and isinstance(e.get("text"), str))
            or (e.get("type") == "link" and isinstance(e.get("url"), str))
            for e in inner
            if isinstance(e, dict)
        ):
            return False
        if not all(isinstance(e, dict) for e in inner):
            return False
    return True


def _slack_text_size(value) -> int:
    """Characters of every ``text`` string in the blocks, as Slack (JavaScript) counts them."""
    if isinstance(value, list):
        return sum(_slack_text_size(v) for v in value)
    if isinstance(value, dict):
        return sum(_utf16(v) if k == "text" and isinstance(v, str) else _slack_text_size(v) for k, v in value.items())
    return 0


_TEAMS_AT = re.compile(r"<at>.*?</at>", re.DOTALL)


def teams_mentions(body: dict) -> list[tuple[str, list[str]]]:
    """A Teams card message's mentions as Teams reads them: each ``<at>...</at>`` in the card's TextBlocks, in order,
    with the ids of the ``msteams.entities`` whose ``text`` it is. Teams ties an entity to the card by that text
    ("The text field in the object in the entities array must match a portion of the message text field. If it does
    not, the mention is ignored": Microsoft's "Add mentions to your messages"): a tag with no entity mentions
    nobody, and one with two is either of two people."""
    card = body["attachments"][0]["content"]
    entities = (card.get("msteams") or {}).get("entities") or []
    tags = [
        tag for block in card["body"] if block.get("type") == "TextBlock" for tag in _TEAMS_AT.findall(block["text"])
    ]
    return [(tag, [e["mentioned"]["id"] for e in entities if e.get("text") == tag]) for tag in tags]
