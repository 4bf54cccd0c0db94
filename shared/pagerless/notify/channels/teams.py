"""Microsoft Teams through a Workflows (Power Automate) webhook: an Adaptive Card message.

Config: ``webhook_url`` (secret: the workflow URL carries its signature). Workflows answers 202.
An incoming webhook (an Office 365 connector, still in use) answers HTTP 200 with ``1``; its
refusals are HTTP 200 too, the error in the text ("Microsoft Teams endpoint returned HTTP error 429
..."): Microsoft's connector docs say to read the body, "as Connectors do not throw 429s".

A page to the channel @-mentions the paged people: ``<at>name</at>`` and a ``mention`` entity in
``msteams.entities`` whose id is the user's UPN or Microsoft Entra object ID ("User mention in Incoming Webhook
with Adaptive Cards"): their Teams identity, else their email (which notifies only where it is their UPN). A
person is mentioned once, by the first of their ``teams`` contacts that is a UPN or an object ID
(`recipients.mentions`). Teams ties an entity to the card by its ``text`` alone, so no two people get the same
tag (`mention_tags`).
"""

import json
import re
from collections.abc import Sequence
from dataclasses import replace

import httpx

from pagerless.notify.channels.base import (
    GOOD,
    UNDER_WAY,
    Mention,
    Message,
    PermanentError,
    RetryableError,
    Sent,
    request,
    require,
    tone,
    truncated,
)
from pagerless.notify.channels.card_words import button_label
from pagerless.notify.channels.markdown import defuse_links, paragraph_lines

TYPE = "teams"
SECRET_FIELDS = ("webhook_url",)
REQUIRED = ("webhook_url",)
OPTIONAL = ()
RATE_PER_MINUTE = None
CAN_UPDATE = False
CODE_BLOCKS = True  # a dry run's diff goes in a CodeBlock (`code_block`)
MENTIONS = "teams"
# "The message size limit is 28 KB. When the size exceeds 28 KB, you receive an error."
# (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook);
# a larger request is refused with 413, a permanent error: the card's body is cut to fit, with a margin.
MAX_BYTES = 27_000
# the title's colour by the card's `tone` (Adaptive Cards' TextBlock colors; ENDED: Default)
_COLORS = {"critical": "Attention", "high": "Attention", "warning": "Warning", GOOD: "Good", UNDER_WAY: "Accent"}
_CONNECTOR_ERROR = re.compile(r"returned HTTP error (\d{3})")
_AT = re.compile(r"<(/?at\b)", re.IGNORECASE)
# A Workflows URL's refusals of the workflow itself, by the error code of its JSON answer (Power Automate's, as Azure
# Logic Apps' ``{"error": {"code", "message"}}``; "WorkflowTriggerIsNotEnabled ... with state 'Disabled': trigger is
# not enabled", microsoft/coe-starter-kit#8684): every message is refused the same way, so the channel is failing
# with what to change (`PermanentError.fix`)
_WORKFLOW_REFUSALS = {
    "WorkflowTriggerIsNotEnabled": "the workflow behind the webhook URL is turned off: turn it on (Power Automate, or"
    " Teams' Workflows app)",
    "WorkflowNotFound": "the workflow behind the webhook URL was deleted: create a 'Post to a channel when a webhook"
    " request is received' workflow and save its URL on the channel",
    "DirectApiAuthorizationRequired": "the webhook URL lacks its signature (sig=...): copy the workflow's whole HTTP"
    " URL again and save it on the channel",
    "DirectApiInvalidAuthorizationSignature": "the webhook URL's signature (sig=...) is wrong or was regenerated: copy"
    " the workflow's whole HTTP URL again and save it on the channel",
}
_ERROR_CODE = re.compile(r'"code"\s*:\s*"(\w+)"')
# An incoming webhook's URL (an Office 365 connector: ``https://<tenant>.webhook.office.com/webhookb2/...``, formerly
# ``https://outlook.office.com/webhook/...``) answered 410 Gone (or 404): its connector was removed from the channel
# ("If user removes the configuration, you get 410", MicrosoftDocs/msteams-docs#906), or Microsoft retired it (Office
# 365 connectors in Teams end with 2025): no retry brings it back
_CONNECTOR_URL = re.compile(r"/webhookb2/|//outlook\.office(?:365)?\.com/webhook/", re.IGNORECASE)
_CONNECTOR_GONE_STATUSES = {404, 410}
_CONNECTOR_GONE = (
    "the incoming webhook (an Office 365 connector) is gone: removed from the channel, or retired with Microsoft's"
    " connectors; create a 'Post to a channel when a webhook request is received' workflow (Teams' Workflows app) and"
    " save its URL on the channel"
)
_HTTP_STATUS = re.compile(r"HTTP (\d{3})")


def escape(text: str) -> str:
    """Adaptive Card text is markdown without HTML (links, no images): alert text cannot make a link, nor an
    ``<at>`` of its own (a zero-width space after ``<``: only a page's mentions are mentions)."""
    return defuse_links(_AT.sub("<\u200b\\1", text))


def adaptive_card(message: Message) -> dict:
    body = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": _COLORS.get(tone(message), "Default"),
        },
        *_text_blocks(message),
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    people = [m for m in message.mentions if m.teams_id]
    if people:
        tags = [f"<at>{label}</at>" for label in mention_tags(people)]
        body.insert(1, {"type": "TextBlock", "text": " ".join(tags), "wrap": True})
        card["msteams"] = {
            "entities": [
                {"type": "mention", "text": tag, "mentioned": {"id": m.teams_id, "name": m.name}}
                for tag, m in zip(tags, people, strict=True)
            ]
        }
    opens = [("open", message.link)] if message.link else []
    if opens or message.links:  # the console's page, then the incident's runbook and source
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": button_label(kind, message.language), "url": url}
            for kind, url in [*opens, *message.links]
        ]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _text_blocks(message: Message) -> list[dict]:
    """The body's TextBlocks, each line of the text a paragraph (`paragraph_lines`: a TextBlock shows a single line
    break as a space) but for a ``` fenced block's, kept together, a dry run's diff in a `code_block` between them."""
    code = message.code
    if code is None:
        return [_text(message.body)]
    return [
        *([_text(code.before)] if code.before else []),
        code_block(code.code),
        *([_text(code.after)] if code.after else []),
    ]


def _text(text: str) -> dict:
    return {"type": "TextBlock", "text": paragraph_lines(text), "wrap": True}


def code_block(code: str) -> dict:
    """Teams' ``CodeBlock`` element, "a formatted and syntax-colored code block" with ``codeSnippet``, ``language``
    and ``fallback`` (https://learn.microsoft.com/en-us/javascript/api/teams-sdk-typescript/@microsoft/teams.cards,
    https://learn.microsoft.com/en-us/dotnet/api/microsoft.teams.cards.codeblock): the snippet is not markdown and
    mentions are only TextBlock's and FactSet's, so it is the diff exactly as written. A client that does not know
    the element shows its ``fallback`` ("what to do when an unknown element is encountered",
    https://adaptivecards.io/explorer/TextBlock.html): the diff as text, escaped as every text in the card,
    in a fence whose lines stay together (`paragraph_lines`), longer than any run of backticks in the diff, so a
    fence line of the diff's own neither closes it nor opens another (CommonMark's rule for a fence around code
    that holds one)."""
    fence = "`" * max(3, 1 + max((len(run) for run in _BACKTICKS.findall(code)), default=0))
    return {
        "type": "CodeBlock",
        "codeSnippet": code,
        "language": "PlainText",
        "fallback": _text(f"{fence}\n{escape(code)}\n{fence}"),
    }


_BACKTICKS = re.compile(r"`+")


def mentioned_by_email(message: Message) -> list[dict]:
    """The people ``message`` @-mentions by their email, having no ``teams`` contact: ``{person_id, name, email}``
    each. Teams resolves the id as a sign-in name (UPN); where someone's UPN is not their email, the mention notifies
    nobody, and Teams does not say so. The delivery records them (`mentioned_by_email` in the notification log)."""
    return [
        {"person_id": m.person_id, "name": m.name, "email": m.email}
        for m in message.mentions
        if not m.teams and m.email
    ]


def mention_tags(people: Sequence[Mention]) -> list[str]:
    """What each person's ``<at>...</at>`` says: their name, and never the same words for two people.

    Teams ties a ``mention`` entity to the card by its ``text``: "The text field in the object in the entities array
    must match a portion of the message text field" (https://learn.microsoft.com/en-us/microsoftteams/platform/bots/
    how-to/conversations/channel-and-group-conversations, "Add mentions to your messages"), so two entities of one
    text (two Alex Wangs) make a tag that is either of them. The words are free (Microsoft's own example mentions one
    person as ``<at>Adele UPN</at>`` and ``<at>Adele Microsoft Entra ID</at>``, both ``"name": "Adele Vance"``,
    https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-format, "Mention
    support within Adaptive Cards"): a name that two of the people share (case and spacing aside, which a reader
    cannot tell apart either) is followed by what tells them apart, their email or sign-in name, or, where that
    does not, their place among those sharing it: ``Alex Wang (alex.wang@corp.com)``, ``Alex Wang (2)``. An object
    ID is never shown: it tells a reader nothing."""
    labels = [_plain_name(m.name).strip() or _known_as(m) or "on call" for m in people]
    sharing: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        sharing.setdefault(_words(label), []).append(i)
    for same in (indexes for indexes in sharing.values() if len(indexes) > 1):
        known = [_known_as(people[i]) for i in same]
        told_apart = all(known) and len({_words(k) for k in known}) == len(known)
        for place, i in enumerate(same, 1):
            labels[i] = f"{labels[i]} ({known[place - 1] if told_apart else place})"
    taken: set[str] = set()
    for i, label in enumerate(labels):  # a made label can still be someone's own name ("Alex Wang (2)")
        unique, n = label, 2
        while _words(unique) in taken:
            unique, n = f"{label} ({n})", n + 1
        labels[i] = unique
        taken.add(_words(unique))
    return labels


def _known_as(person: Mention) -> str | None:
    """What a reader can tell a person by, beside their name: their email, else a sign-in name (never an object ID)."""
    upn = person.teams if person.teams and "@" in person.teams else None
    return _plain_name(person.email or upn or "").strip() or None


def _words(label: str) -> str:
    return " ".join(label.split()).casefold()


def _plain_name(name: str) -> str:
    """A name inside ``<at>...</at>``: no angle brackets to end the tag early."""
    return name.replace("<", "").replace(">", "")


def fitted_card(message: Message, limit: int = MAX_BYTES) -> dict:
    """The card, a dry run's diff (``message.code``) in a `code_block`; over ``limit`` bytes of JSON as httpx sends
    it (UTF-8, no ASCII escapes), the body text alone, cut (marked (`truncated`, in the card's language)) until it fits. The incident link
    is the card's button: it stays."""
    if message.code is not None:
        with_code = adaptive_card(message)
        if len(_encoded(with_code)) <= limit:
            return with_code
        message = replace(message, code=None)  # too large: the body text alone, cut
    card, body = adaptive_card(message), message.body
    while (excess := len(_encoded(card)) - limit) > 0 and body:
        body = body[: max(0, len(body) - max(1, excess // 4) - 1)]  # a character is at most 4 bytes
        card = adaptive_card(replace(message, body=body.rstrip() + truncated(message.language)))
    return card


def payload(message: Message) -> dict:
    """What the webhook is sent: the `fitted_card`."""
    return fitted_card(message)


def _encoded(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def send(http: httpx.Client, config: dict, message: Message) -> Sent:
    require(config, *REQUIRED)
    try:
        response = request(http, "POST", config["webhook_url"], json=fitted_card(message))
    except PermanentError as exc:  # a 4xx: the workflow's own refusal says its code in the answer's start
        code = _ERROR_CODE.search(exc.message)
        fix = _WORKFLOW_REFUSALS.get(code.group(1)) if code else _connector_fix(config["webhook_url"], exc.message)
        raise PermanentError(exc.message, fix=fix) from exc
    refused = _CONNECTOR_ERROR.search(response.text[:2000])
    if refused is not None:
        status, words = int(refused.group(1)), response.text[:300]
        if status == 429 or status >= 500:
            raise RetryableError(f"teams: {words}", throttled=status == 429)
        raise PermanentError(f"teams: {words}", fix=_connector_fix(config["webhook_url"], words))
    return Sent()


def _connector_fix(url: str, words: str) -> str | None:
    """What to change when ``words`` (an answer's ``HTTP 410``, or a connector's ``returned HTTP error 410``) say an
    incoming webhook's connector is gone; None for any other refusal (a message too large is about itself)."""
    status = _HTTP_STATUS.search(words) or _CONNECTOR_ERROR.search(words)
    gone = status is not None and int(status.group(1)) in _CONNECTOR_GONE_STATUSES
    return _CONNECTOR_GONE if gone and _CONNECTOR_URL.search(url) else None
