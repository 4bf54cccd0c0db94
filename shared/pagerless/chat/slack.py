"""Slack: v0 request signing, url_verification, and block_actions clicks.

Signature: ``v0=`` + hex(HMAC-SHA256(signing_secret, "v0:{timestamp}:{raw body}")), with the
timestamp at most five minutes away from now (api.slack.com/authentication/verifying-requests-from-slack).
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from pagerless.chat.clicks import Click, member, parse_button_value
from pagerless.chat.commands import ChatMessage

WINDOW_SECONDS = 300
# how long a click's signature is remembered (a replay refused): as long as verify accepts its timestamp, which may
# be up to the window ahead of now or behind it, and a minute more for the clocks
REPLAY_MARK_SECONDS = 2 * WINDOW_SECONDS + 60
ACTION_IDS = {
    "pl_approve": "approve",
    "pl_reject": "reject",
    "pl_ack": "acknowledge",
    "incident_ack": "acknowledge",
    "incident_resolve": "resolve",
}


class SlackSignatureError(Exception):
    """The request is not from Slack, or it is a replay."""


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify(signing_secrets: list[str], headers, body: bytes, *, now: float | None = None) -> str:
    """Check the signature over the raw body; return the signing secret that matched.

    Raises SlackSignatureError for a missing header, a timestamp outside the window, or no match.
    """
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature.startswith("v0="):
        raise SlackSignatureError("missing or malformed X-Slack-Signature / X-Slack-Request-Timestamp")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > WINDOW_SECONDS:
        raise SlackSignatureError("the request timestamp is outside the 5-minute window")
    for secret in signing_secrets:
        if hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
            return secret
    raise SlackSignatureError("the signature does not match")


@dataclass(frozen=True)
class SlackRequest:
    kind: str  # "url_verification" | "block_actions" | "other"
    challenge: str = ""
    payload: dict | None = None


def parse(body: bytes, content_type: str) -> SlackRequest:
    """An interactivity (form ``payload=``) or Events API (JSON) request, already verified."""
    if content_type.startswith("application/json"):
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        if data.get("type") == "url_verification":
            return SlackRequest("url_verification", challenge=str(data.get("challenge", "")))
        return SlackRequest("other", payload=data)
    form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    raw = (form.get("payload") or [""])[0]
    payload = json.loads(raw) if raw else {}
    if not isinstance(payload, dict):
        raise ValueError("payload is not a JSON object")
    return SlackRequest(payload.get("type", "other"), payload=payload)


def click(payload: dict) -> Click | None:
    """The button a user pressed in a block_actions payload, or None if it is not ours.

    ValueError if the payload does not have Slack's shape."""
    actions = payload.get("actions") or []
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        raise ValueError("actions is not a list of objects")
    if not actions:
        return None
    action, user, container = actions[0], member(payload, "user"), member(payload, "container")
    team = member(payload, "team").get("id") or user.get("team_id") or ""
    value, action_id = parse_button_value(action.get("value")), action.get("action_id") or ""
    if not isinstance(action_id, str):
        raise ValueError("action_id is not a string")
    verb = value.get("action") or value.get("op") or ACTION_IDS.get(action_id)
    return Click(
        provider="slack",
        tenant=str(team),
        user=str(user.get("id") or ""),
        action=str(verb or ""),
        value=value,
        user_name=str(user.get("name") or ""),
        message_ref=str(container.get("message_ts") or ""),
        channel=str(container.get("channel_id") or ""),
        response_url=str(payload.get("response_url") or ""),
    )


def message(data: dict) -> ChatMessage | None:
    """What a person wrote to the bot, from an Events API ``event_callback``: a direct message (``message`` in an
    ``im``) or a mention of the app (``app_mention``). None for anything else, and for a bot's message or an edit
    (``bot_id``, a ``subtype``), so the bot never answers itself.

    ValueError if the event does not have Slack's shape."""
    if data.get("type") != "event_callback":
        return None
    event = member(data, "event")
    kind = event.get("type")
    direct = kind == "message" and event.get("channel_type") == "im"
    if not (direct or kind == "app_mention") or event.get("bot_id") or event.get("subtype"):
        return None
    user, text = event.get("user"), event.get("text")
    if not isinstance(user, str) or not user or not isinstance(text, str):
        return None
    team = data.get("team_id") or event.get("team") or ""
    # the reply goes to the message's thread, or starts one under a mention in a channel; a direct message's is plain
    thread = event.get("thread_ts") or (event.get("ts") if kind == "app_mention" else "")
    channel, root = str(event.get("channel") or ""), str(event.get("thread_ts") or "")
    return ChatMessage("slack", str(team), user, text, str(thread or ""), channel, thread=root)


def named_app(data: dict) -> str:
    """The app a payload is for (``api_app_id``: Slack names it in every interactivity payload and Events API
    callback; a url_verification carries none), or ""."""
    found = data.get("api_app_id")
    return found if isinstance(found, str) else ""


def event_id(data: dict) -> str | None:
    """The Events API's dedup key (Slack retries an event it got no 200 for within 3 seconds)."""
    found = data.get("event_id")
    return str(found) if found else None


def escape(text: str) -> str:
    """Plain ``text`` as mrkdwn shows it: Slack's three control characters as their entities, and only those
    (https://api.slack.com/reference/surfaces/formatting#escaping), so no text can write ``<!channel>``, a
    ``<@U…>`` mention or a ``<https://…|words>`` link. Plain text goes through it once: an ``&amp;`` in it was
    typed, and shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ephemeral(text: str) -> dict:
    """The immediate HTTP answer to a click: an ephemeral message only the clicker sees. Its ``text`` is mrkdwn,
    and the answer (plain text, `pagerless.chat.wording`) repeats names, actions and refusals that alert text can
    reach: it is `escape`d."""
    return {"response_type": "ephemeral", "replace_original": False, "text": escape(text)}
