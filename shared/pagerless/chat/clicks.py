"""What a button press is, independent of the vendor."""

import json
from dataclasses import dataclass, field

VERBS = {"approve": "approve", "reject": "reject", "acknowledge": "acknowledge", "ack": "acknowledge"}


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


def parse_button_value(value) -> dict:
    """A button value is the JSON contract (``{"pl": 1, "approval_id", ...}``) as an object
    (Lark) or a string (Slack); anything else is an empty dict."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def member(data: dict, key: str) -> dict:
    """``data[key]`` as an object, ``{}`` when absent or empty; ValueError when it is something else
    (a malformed callback is a client error, not a crash)."""
    value = data.get(key)
    if not value:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} is not a JSON object")
    return value
