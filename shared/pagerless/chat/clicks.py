"""What a button press is, independent of the vendor, and the button value both sides share.

A card's buttons carry its language (``"lang": "zh"``) because the click must be answered in it and
no vendor says it: Slack's block_actions and Lark's card.action.trigger name the user, the message
and the chat, not a language. Looking up the notification channel by the chat the click came from
would be the other way, and a worse one: a page goes to a person's direct chat, which no channel
names; two channels (an English and a Chinese one) may post to one chat; a channel's language may
change after its cards went out; and it is one more read within the vendor's 3 seconds. The card's
language is known exactly when it is rendered, so it travels in the value Slack and Lark both send
back unchanged. English cards carry no tag, so their values are the contract as it was; a card
posted before the tag existed has none either, and is accepted and answered in English.

A card in a time zone (its channel's, or the paged person's on a direct message) carries the zone the same way
(``"tz": "Asia/Shanghai"``), for the same reasons: the answer to a click on it names times as the card does. A card
in UTC carries none, so its values are the contract as it was too.
"""

import json
from dataclasses import dataclass, field

from pagerless.clock import reading_zone

VERBS = {"approve": "approve", "reject": "reject", "acknowledge": "acknowledge", "ack": "acknowledge"}
LANGUAGE_KEY = "lang"
ZONE_KEY = "tz"


def button_value(approval: dict, action: str, language: str = "en", zone: str | None = None) -> dict:
    """The value of a card's button: the approval it decides, the action, a non-English card's language, and the
    time zone of a card not in UTC."""
    value = {
        "pl": 1,
        "approval_id": approval["approval_id"],
        "incident_id": approval["incident_id"],
        "workspace": approval["workspace"],
        "action": action,
    }
    if language_of(language) != "en":
        value[LANGUAGE_KEY] = language_of(language)
    if (zone := reading_zone(zone)) is not None:
        value[ZONE_KEY] = zone
    return value


def language_of(tag) -> str:
    """``zh`` for a Chinese tag (``zh``, ``zh-CN``), else ``en``: the languages a card is rendered in."""
    return "zh" if isinstance(tag, str) and tag.lower().startswith("zh") else "en"


@dataclass(frozen=True)
class Click:
    provider: str  # "slack" | "lark"
    tenant: str  # Slack team id; Lark app id
    user: str  # Slack user id; Lark open_id
    action: str  # as the button says; see ``verb``
    value: dict = field(default_factory=dict)
    user_name: str = ""
    message_ref: str = ""  # Slack message ts; Lark open_message_id
    channel: str = ""
    response_url: str = ""

    @property
    def verb(self) -> str | None:
        """approve | reject | acknowledge, or None for a button Pagerless does not handle."""
        return VERBS.get(self.action)

    @property
    def incident_id(self) -> str:
        return str(self.value.get("incident_id") or "")

    @property
    def approval_id(self) -> str | None:
        return self.value.get("approval_id") or None

    @property
    def workspace(self) -> str | None:
        return self.value.get("workspace") or None

    @property
    def language(self) -> str:
        """The card's language, which the answer speaks (``en`` for a card without the tag)."""
        return language_of(self.value.get(LANGUAGE_KEY))

    @property
    def zone(self) -> str | None:
        """The card's time zone, which the answer's times read in (None, UTC, for a card without one, or one
        that names no zone)."""
        return reading_zone(self.value.get(ZONE_KEY))


_NAMES = ("approval_id", "incident_id", "workspace", "action", "op")  # what a click looks up and decides by


def parse_button_value(value) -> dict:
    """A button value is the JSON contract (``{"pl": 1, "approval_id", ...}``) as an object
    (Lark) or a string (Slack); anything else is an empty dict. ValueError when one of the names a click
    looks things up by is not a string (a malformed callback is a client error, not a key DynamoDB refuses)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    for name in _NAMES:
        if value.get(name) is not None and not isinstance(value[name], str):
            raise ValueError(f"the button value's {name} is not a string")
    return value


def member(data: dict, key: str) -> dict:
    """``data[key]`` as an object, ``{}`` when absent or empty; ValueError when it is something else
    (a malformed callback is a client error, not a crash)."""
    value = data.get(key)
    if not value:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} is not a JSON object")
    return value
