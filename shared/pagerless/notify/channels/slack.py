"""Slack app: Block Kit messages through the Web API (`chat.postMessage`, `chat.update`).

Config: ``bot_token`` (secret, xoxb-...), ``channel`` (id), ``api_base`` (default Slack's), ``team_id``
(optional: pages to people go as direct messages only to users of that team).
"""

import json

import httpx

from pagerless.notify.channels.base import (
    Message,
    PermanentError,
    RetryableError,
    Sent,
    approval_value,
    decision_line,
    fit,
    json_body,
    request,
    require,
    utf16_size,
)

TYPE = "slack"
SECRET_FIELDS = ("bot_token",)
REQUIRED = ("bot_token", "channel")
OPTIONAL = ("api_base", "team_id")  # team_id: direct-message pages only reach users of that team
RATE_PER_MINUTE = None
CAN_UPDATE = True
DEFAULT_BASE = "https://slack.com/api"
_RETRYABLE = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
_BUTTONS = (
    ("approve", "pl_approve", "Approve", "primary"),
    ("reject", "pl_reject", "Reject", "danger"),
    ("acknowledge", "pl_ack", "Acknowledge", None),
)
# A section's text: "Minimum length for the text in this field is 1 and maximum length is 3000 characters"
# (https://docs.slack.dev/reference/block-kit/blocks/section-block); Slack refuses a longer one (invalid_blocks).
# The message's top-level ``text`` is only the title, far within its 40,000 characters
# (https://api.slack.com/changelog/2018-04-truncating-really-long-messages: longer text is truncated).
SECTION_MAX_CHARS = 3000


def escape(text: str) -> str:
    """Slack mrkdwn control characters: alert text cannot become <!channel> or <@U..>."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def blocks(message: Message) -> list[dict]:
    out: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _plain(message.title)[:150], "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": section_text(message)}},
    ]
    if message.decision:
        out.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(decision_line(message.decision))}]}
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
                        "text": {"type": "plain_text", "text": label},
                        "value": json.dumps(approval_value(message.approval, action), separators=(",", ":")),
                        **({"style": style} if style else {}),
                    }
                    for action, action_id, label, style in _BUTTONS
                    if action in message.actions
                ],
            }
        )
    return out


def section_text(message: Message) -> str:
    """The body within a section's 3,000 characters (counted as JavaScript does, so an emoji counts
    2): a longer one is cut, marked ``TRUNCATED``, with the incident link after the mark."""
    return fit(message.body, SECTION_MAX_CHARS, message.link, size=utf16_size) or " "


def send(http: httpx.Client, config: dict, message: Message) -> Sent:
    require(config, *REQUIRED)
    data = _call(
        http,
        config,
        "chat.postMessage",
        {"channel": config["channel"], "text": _plain(message.title), "blocks": blocks(message)},
    )
    return Sent(
        message_id=data.get("ts"), ref={"channel": data.get("channel") or config["channel"], "ts": data.get("ts")}
    )


def update(http: httpx.Client, config: dict, ref: dict, message: Message) -> Sent:
    require(config, "bot_token")
    data = _call(
        http,
        config,
        "chat.update",
        {"channel": ref["channel"], "ts": ref["ts"], "text": _plain(message.title), "blocks": blocks(message)},
    )
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
        if error in _RETRYABLE:
            raise RetryableError(f"slack {method}: {error}")
        raise PermanentError(f"slack {method}: {error}")
    return data


def _plain(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
