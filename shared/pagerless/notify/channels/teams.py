"""Microsoft Teams through a Workflows (Power Automate) webhook: an Adaptive Card message.

Config: ``webhook_url`` (secret: the workflow URL carries its signature). Workflows answers 202.
"""

import httpx

from pagerless.notify.channels.base import Message, Sent, request, require

TYPE = "teams"
SECRET_FIELDS = ("webhook_url",)
REQUIRED = ("webhook_url",)
OPTIONAL = ()
RATE_PER_MINUTE = None
CAN_UPDATE = False
_COLORS = {"critical": "Attention", "high": "Attention", "warning": "Warning"}


def escape(text: str) -> str:
    """Adaptive Card text is markdown without HTML; <at> mentions need entities we never send."""
    return text


def adaptive_card(message: Message) -> dict:
    body = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": _COLORS.get(message.severity, "Default"),
        },
        {"type": "TextBlock", "text": message.body, "wrap": True},
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Pagerless", "url": message.link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def send(http: httpx.Client, config: dict, message: Message) -> Sent:
    require(config, *REQUIRED)
    request(http, "POST", config["webhook_url"], json=adaptive_card(message))
    return Sent()
