"""A generic outbound webhook, signed the Standard Webhooks way (standardwebhooks.com).

Config: ``url`` (secret: URLs often carry tokens), ``secret`` (``whsec_<base64>``, or any
string, used as UTF-8 bytes). Headers (`headers`): ``webhook-id``, ``webhook-timestamp`` and, with a secret,
``webhook-signature: v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>``. The body's ``timestamp``
is the ``webhook-timestamp``: the time of sending.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid

import httpx

from pagerless.notify.channels.base import Message, Sent, request, require

TYPE = "webhook"
SECRET_FIELDS = ("url", "secret")
REQUIRED = ("url",)
OPTIONAL = ("secret",)
RATE_PER_MINUTE = None
CAN_UPDATE = False
# `send` takes the delivery's ``message_id``: every attempt of one delivery carries the same ``webhook-id``, which
# Standard Webhooks receivers drop repeats by (a retry after a timeout may follow a request that did land)
DELIVERY_MESSAGE_ID = True

# What a receiver verifies (the template preview shows it with `preview`)
VERIFY = {
    "spec": "https://www.standardwebhooks.com/",
    "headers": ["webhook-id", "webhook-timestamp", "webhook-signature"],
    "signed_content": "{webhook-id}.{webhook-timestamp}.{body}",
    "algorithm": "HMAC-SHA256",
    "key": "the channel's secret: after a whsec_ prefix, base64 of the key's bytes; any other string, its UTF-8 bytes",
    "webhook-signature": "v1,<base64 of the HMAC>; sent only when the channel has a secret",
    "webhook-id": "msg_<32 hex>, the same on every attempt of one delivery: a receiver drops repeats by it",
    "webhook-timestamp": "the time of sending, in Unix seconds: also the body's timestamp",
}
# The preview signs its example with this published key, never a channel's secret: a receiver can check its own
# verification against the example, and nothing about any channel's secret is in the answer.
EXAMPLE_SECRET = "whsec_" + base64.b64encode(b"pagerless-preview-example-key").decode()
EXAMPLE_ID = "msg_" + "0" * 32


def escape(text: str) -> str:
    return text


def secret_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_") :])
    return secret.encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


def payload(message: Message, *, timestamp: int | None = None) -> dict:
    return {
        "type": message.event,
        "timestamp": int(time.time()) if timestamp is None else timestamp,
        "data": {
            "title": message.title,
            "body": message.body,
            "severity": message.severity,
            "link": message.link,
            "labels": message.labels,
            "approval": message.approval,
            "decision": message.decision,
        },
    }


def encoded(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def headers(message_id: str, timestamp: int, body: bytes, secret: str | None) -> dict[str, str]:
    """The request's headers for ``body`` (the bytes sent), signed when there is a ``secret``."""
    out = {"content-type": "application/json", "webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if secret:
        out["webhook-signature"] = signature(secret, message_id, timestamp, body)
    return out


def preview(message: Message, *, now: float | None = None) -> list[dict]:
    """The request as the template preview shows it: the body, and its headers as a receiver gets them, with
    `EXAMPLE_ID` and signed with `EXAMPLE_SECRET` (``signature`` says how, with the example key)."""
    timestamp = int(time.time() if now is None else now)
    body = payload(message, timestamp=timestamp)
    return [
        {
            "part": "message",
            "payload": body,
            "headers": headers(EXAMPLE_ID, timestamp, encoded(body), EXAMPLE_SECRET),
            "signature": {**VERIFY, "example_secret": EXAMPLE_SECRET},
        }
    ]


def send(
    http: httpx.Client, config: dict, message: Message, *, message_id: str | None = None, now: float | None = None
) -> Sent:
    require(config, *REQUIRED)
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time() if now is None else now)
    body = encoded(payload(message, timestamp=timestamp))
    request(
        http, "POST", config["url"], content=body, headers=headers(message_id, timestamp, body, config.get("secret"))
    )
    return Sent(message_id=message_id)
