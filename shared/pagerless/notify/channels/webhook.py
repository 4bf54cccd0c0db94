"""A generic outbound webhook, signed the Standard Webhooks way (standardwebhooks.com).

Config: ``url`` (secret: URLs often carry tokens), ``secret`` (``whsec_<base64>``, or any
string, used as UTF-8 bytes). Headers: ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature: v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>``.
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


def escape(text: str) -> str:
    return text


def secret_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_") :])
    return secret.encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


def payload(message: Message) -> dict:
    return {
        "type": message.event,
        "timestamp": int(time.time()),
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


def send(
    http: httpx.Client, config: dict, message: Message, *, message_id: str | None = None, now: float | None = None
) -> Sent:
    require(config, *REQUIRED)
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time() if now is None else now)
    body = json.dumps(payload(message), ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"content-type": "application/json", "webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if config.get("secret"):
        headers["webhook-signature"] = signature(config["secret"], message_id, timestamp, body)
    request(http, "POST", config["url"], content=body, headers=headers)
    return Sent(message_id=message_id)
