"""WeCom (企业微信) group robot: markdown messages to the robot's webhook URL.

Config: ``webhook_url`` (secret: it embeds the key). WeCom allows 20 messages a minute per robot
and refuses markdown content over 4096 UTF-8 bytes (errcode 40058): a Chinese character is 3.
A longer message is cut to fit, marked, with the incident link after the mark.
"""

import httpx

from pagerless.notify.channels.base import (
    Message,
    PermanentError,
    RetryableError,
    Sent,
    defuse_links,
    fit_bytes,
    json_body,
    request,
    require,
)

TYPE = "wecom"
SECRET_FIELDS = ("webhook_url",)
REQUIRED = ("webhook_url",)
OPTIONAL = ()
RATE_PER_MINUTE = 20
CAN_UPDATE = False
_RETRYABLE = {45009, -1}  # api freq out of limit; system busy
_COLORS = {"critical": "warning", "high": "warning", "warning": "comment"}
# Content limits are UTF-8 bytes (https://work.weixin.qq.com/api/doc/90000/90136/91770: text "最长不超过2048个
# 字节"); markdown's is 4096, the figure WeCom's own refusal names: "markdown.content exceed max length 4096" (40058).
MAX_BYTES = 4096


def escape(text: str) -> str:
    """WeCom markdown mentions are <@userid>, its colours <font>, and it renders links: alert text can write none."""
    return defuse_links(text.replace("<", "&lt;").replace(">", "&gt;"))


def send(http: httpx.Client, config: dict, message: Message) -> Sent:
    require(config, *REQUIRED)
    color = _COLORS.get(message.severity, "info")
    content = f'**<font color="{color}">{message.title}</font>**\n{message.body}'
    data = json_body(
        request(
            http,
            "POST",
            config["webhook_url"],
            json={"msgtype": "markdown", "markdown": {"content": fit_bytes(content, MAX_BYTES, message.link)}},
        )
    )
    code = data.get("errcode", 0)
    if code == 0:
        return Sent()
    if code in _RETRYABLE:
        raise RetryableError(f"wecom {code}: {data.get('errmsg')}", 60.0 if code == 45009 else None)
    raise PermanentError(f"wecom {code}: {data.get('errmsg')}")
