"""Lark / Feishu custom bot: a signed group webhook (no callbacks, so no approval buttons).

Config: ``webhook_url`` (secret: it embeds the bot's token), ``secret`` (the signing secret;
optional, as in Lark). Signature: base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg="")).
"""

import base64
import hashlib
import hmac
import time

import httpx

from pagerless.notify.channels import lark
from pagerless.notify.channels.base import Message, PermanentError, RetryableError, Sent, json_body, request, require

TYPE = "lark_bot"
SECRET_FIELDS = ("webhook_url", "secret")
REQUIRED = ("webhook_url",)
OPTIONAL = ("secret",)
RATE_PER_MINUTE = 100
CAN_UPDATE = False
CODE_BLOCKS = True  # the app's card, its dry-run diff in a code block
escape = lark.escape
# A custom bot's refusals of the bot itself, by Lark's code (its custom bot guide: the security settings' answers,
# 19021 "sign match fail or timestamp is not within one hour from current time", 19022 "Ip Not Allowed", 19024 "Key
# Words Not Found"; 19001 "param invalid: incoming webhook access token invalid" for a URL naming no bot): every
# message is refused alike, so the channel is failing with what to change (`PermanentError.fix`)
_BOT_REFUSALS = {
    19001: "the webhook URL names no custom bot (the bot was removed from the group, or the URL is incomplete): add a"
    " custom bot to the group again and save its webhook URL on the channel",
    19021: "the bot's security setting 'signature verification' refused the signature: set config.secret to the bot's"
    " signing secret (and check the sender's clock: a timestamp over an hour off is refused too)",
    19022: "the bot's security setting 'IP allowlist' does not allow the address Pagerless sends from: add it to the"
    " allowlist (the group's bot settings)",
    19024: "the bot's security setting 'custom keywords' found none of its keywords in the message, and Pagerless's"
    " messages are titled by their incidents: turn keywords off and use 'signature verification' (config.secret)",
}
# 9499 "Bad Request": the hook could not read this request (malformed JSON, a missing or misspelt field, a card Lark
# cannot parse); the same bytes are refused again on every try, so the message is dead, not throttled (11232 is)
_MALFORMED = " (Lark could not read this message as a custom bot's request; the same message would be refused again)"


def sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def payload(message: Message) -> dict:
    """The message as the hook takes it, less the timestamp and signature a secret adds: the app's card without
    buttons (a custom bot has no callbacks)."""
    return {"msg_type": "interactive", "card": lark.card(Message(**{**message.__dict__, "approval": None}))}


def send(http: httpx.Client, config: dict, message: Message, *, now: float | None = None) -> Sent:
    require(config, *REQUIRED)
    body = payload(message)
    if config.get("secret"):
        timestamp = int(time.time() if now is None else now)
        body = {"timestamp": str(timestamp), "sign": sign(timestamp, config["secret"]), **body}
    data = json_body(request(http, "POST", config["webhook_url"], json=body))
    code = data.get("code", data.get("StatusCode", 0))
    if code == 0:
        return Sent()
    if code == 11232:
        raise RetryableError(f"lark bot {code}: {data.get('msg')}")
    if code == 9499:
        raise PermanentError(f"lark bot 9499: {data.get('msg') or 'Bad Request'}{_MALFORMED}")
    raise PermanentError(
        f"lark bot {code}: {data.get('msg') or data.get('StatusMessage')}", fix=_BOT_REFUSALS.get(code)
    )
