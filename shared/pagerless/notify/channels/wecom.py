"""WeCom (企业微信) group robot: markdown messages to the robot's webhook URL.

Config: ``webhook_url`` (secret: it embeds the key). WeCom allows 20 messages a minute per robot
and refuses markdown content over 4096 UTF-8 bytes (errcode 40058): a Chinese character is 3.
"""

import httpx

from pagerless.notify.channels.base import Message, PermanentError, RetryableError, Sent, json_body, request, require

TYPE = "wecom"
SECRET_FIELDS = ("webhook_url",)
REQUIRED = ("webhook_url",)
OPTIONAL = ()
RATE_PER_MINUTE = 20
CAN_UPDATE = False
_RETRYABLE = {45009, -1}  # api freq out of limit; system busy
_COLORS = {"critical": "warning", "high": "warning", "warning": "comment"}
MAX_BYTES = 4096


def escape(text: str) -> str:
    """WeCom markdown mentions are <@userid>: alert text cannot write one."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int = MAX_BYTES) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes at a character boundary, marked with … when cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - len("…".encode())].decode(errors="ignore") + "…"


def send(http: httpx.Client, config: dict, message: Message) -> Sent:
    require(config, *REQUIRED)
    color = _COLORS.get(message.severity, "info")
    content = f'**<font color="{color}">{message.title}</font>**\n{message.body}'
    data = json_body(
        request(
            http, "POST", config["webhook_url"], json={"msgtype": "markdown", "markdown": {"content": fit(content)}}
        )
    )
    code = data.get("errcode", 0)
    if code == 0:
        return Sent()
    if code in _RETRYABLE:
        raise RetryableError(f"wecom {code}: {data.get('errmsg')}", 60.0 if code == 45009 else None)
    raise PermanentError(f"wecom {code}: {data.get('errmsg')}")
