"""DingTalk group robot: markdown messages to a signed webhook URL.

Config: ``webhook_url`` (secret: it embeds the access_token), ``secret`` (the robot's SEC...
signing secret). Signature: ``&timestamp=<ms>&sign=<urlencoded base64(HMAC-SHA256(secret,
timestamp + "\\n" + secret))>``. DingTalk allows 20 messages a minute per robot.
"""

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

import httpx

from pagerless.notify.channels.base import Message, PermanentError, RetryableError, Sent, json_body, request, require

TYPE = "dingtalk"
SECRET_FIELDS = ("webhook_url", "secret")
REQUIRED = ("webhook_url",)
OPTIONAL = ("secret",)
RATE_PER_MINUTE = 20
CAN_UPDATE = False
_RETRYABLE = {130101, -1}  # sent too fast; system busy
# A robot that sends more than 20 messages a minute is throttled for 10 minutes (errcode 130101). That
# figure comes only from copies of DingTalk's robot documentation (we could not check DingTalk's own page):
# a throttled message is tried again after 11 minutes, past the throttle (a retry inside it would only
# spend one of the delivery's attempts), and within SQS's 15-minute maximum delay.
THROTTLE_RETRY_SECONDS = 660.0
# No size limit is applied: DingTalk's documentation of one could not be checked (only its refusal,
# errcode 460101 "message too long, exceed 20000 bytes", as quoted by users).


def escape(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def sign(timestamp_ms: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str | None, now: float | None = None) -> str:
    if not secret:
        return url
    timestamp = int((time.time() if now is None else now) * 1000)
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign(timestamp, secret)}"


def send(http: httpx.Client, config: dict, message: Message, *, now: float | None = None) -> Sent:
    require(config, *REQUIRED)
    body = {
        "msgtype": "markdown",
        "markdown": {"title": message.title[:100], "text": f"### {message.title}\n\n{message.body}"},
    }
    data = json_body(request(http, "POST", signed_url(config["webhook_url"], config.get("secret"), now), json=body))
    code = data.get("errcode", 0)
    if code == 0:
        return Sent()
    if code in _RETRYABLE:
        raise RetryableError(
            f"dingtalk {code}: {data.get('errmsg')}", THROTTLE_RETRY_SECONDS if code == 130101 else None
        )
    raise PermanentError(f"dingtalk {code}: {data.get('errmsg')}")
