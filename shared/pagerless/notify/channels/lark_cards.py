"""Lark / Feishu interactive cards: what the app (`lark`) and the custom bot (`lark_bot`) send, within Lark's
request limits. The API calls that send them are in `lark`."""

import json
import re

from pagerless.notify.channels.base import (
    ENDED,
    GOOD,
    UNDER_WAY,
    Code,
    Message,
    dumps,
    ellipsize,
    fit,
    tone,
    truncated,
)
from pagerless.notify.channels.card_words import approval_value, button_label, card_links, decision_line
from pagerless.notify.channels.markdown import defuse_links

# the header's colour by the card's `tone`: a resolved incident's card green, as an approved fix's
_COLORS = {
    "critical": "red",
    "high": "orange",
    "warning": "yellow",
    "medium": "yellow",
    "low": "blue",
    "info": "blue",
    GOOD: "green",
    ENDED: "grey",
    UNDER_WAY: "turquoise",
}
# "文本消息请求体最大不能超过150KB；卡片及富文本消息请求体最大不能超过30KB" (text requests at most 150 KB, card
# and rich-text requests at most 30 KB: https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch,
# the same in .../im-v1/message/create as error 230025). A card's ``content`` field, as sent, is kept within this,
# leaving 1,000 bytes for the rest of the request (receive_id, msg_type). A custom bot (lark_bot) sends the same
# card: its own limit is not documented where we could check it, so the app's bound is kept there too.
CARD_MAX_BYTES = 29_000
HEADER_MAX_CHARS = 200  # the bound Pagerless has always kept a card's header title to
# a decided card's note (who decided, and their comment: up to the console's 8,000 characters) within this many bytes
# of the request (`_text_size`), so the body keeps the rest of the card's: 8,000 Chinese characters are 24,000 bytes
# there, 8,000 quotes 32,000, and a note that large alone made Lark refuse the card (230025)
NOTE_MAX_BYTES = 8_000
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_BACKTICK_RUN = re.compile(r"``(?=`)")


def escape(text: str) -> str:
    """lark_md: alert text cannot become <at user_id="all">, a link tag, or a markdown link whose words
    hide its address (`defuse_links`)."""
    return defuse_links(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def code_block(code: str) -> str:
    """``code`` as a fenced code block of the card's rich text (``markdown``) element, which Feishu documents
    for the JSON 1.0 card our cards are: "卡片的富文本（Markdown）组件支持渲染表情、表格、图片、代码块、分割线等元素"
    (https://open.larkoffice.com/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/content-components/rich-text).
    The docs say neither what the element still reads inside a block (its ``<at id=all></at>`` pages a whole
    group, ``<font>``, ``<link>``) nor that a longer fence holds a run of backticks. So the text keeps every
    character, plus a zero-width space after a ``<`` that could open a tag and inside every run of three
    backticks (no line can end the block): what the reader sees is what the dry run wrote."""
    return "```\n" + _BACKTICK_RUN.sub("``\u200b", _TAG_START.sub("<\u200b", code)) + "\n```"


def card(message: Message, limit: int = CARD_MAX_BYTES) -> dict:
    """The interactive card, a dry run's diff (``message.code``) in a code block between the text before and
    after it; when its ``content`` as sent would exceed ``limit`` bytes, the card is the body text alone, cut
    on a character boundary, marked (`truncated`, in the card's language), with the incident link after the mark."""
    if message.code is not None:
        with_code = _card(message, message.body, message.code)
        if _sent_size(with_code) <= limit:
            return with_code
    whole = _card(message, message.body)
    excess = _sent_size(whole) - limit
    if excess <= 0:
        return whole
    return _card(
        message,
        fit(
            message.body,
            _text_size(message.body) - excess,
            message.link,
            size=_text_size,
            mark=truncated(message.language),
        ),
    )


def _sent_size(value: dict) -> int:
    """Bytes of the card as the request carries it: a JSON string (``content``) inside the JSON body."""
    return len(json.dumps(dumps(value), ensure_ascii=False).encode())


def _text_size(text: str) -> int:
    """Bytes ``text`` takes in the request: encoded twice, a quote or a newline grows."""
    return len(json.dumps(json.dumps(text, ensure_ascii=False), ensure_ascii=False).encode())


def _card(message: Message, body: str, code: Code | None = None) -> dict:
    elements: list[dict] = [_text(body or " ")]
    if code is not None:
        elements = [
            *([_text(code.before)] if code.before else []),
            {"tag": "markdown", "content": code_block(code.code)},
            *([_text(code.after)] if code.after else []),
        ]
    if links := card_links(message):  # lark_md links; the URLs' ")" are encoded (`pagerless.notify.links`)
        elements.append(_text(" · ".join(f"[{button_label(k, message.language)}]({url})" for k, url in links)))
    template = _COLORS.get(tone(message), "blue")
    if message.decision:
        elements += [
            {"tag": "hr"},
            {
                "tag": "note",
                "elements": [{"tag": "plain_text", "content": decision_text(message)}],
            },
        ]
    elif message.approval:
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": button_label(action, message.language)},
                        "type": kind,
                        "value": approval_value(message.approval, action, message.language, message.timezone),
                    }
                    for action, kind in (("approve", "primary"), ("reject", "danger"), ("acknowledge", "default"))
                    if action in message.actions
                ],
            }
        )
    return {
        "config": {"wide_screen_mode": True, "update_multi": True},
        "header": {"template": template, "title": {"tag": "plain_text", "content": header_text(message.title)}},
        "elements": elements,
    }


def decision_text(message: Message) -> str:
    """Who decided and when (`decision_line`), within ``NOTE_MAX_BYTES`` of the request: a longer one (a person's
    long comment) is cut on a character boundary and marked (`truncated`, in the card's language), as Slack's is."""
    line = decision_line(message.decision or {}, message.language, message.timezone)
    return fit(line, NOTE_MAX_BYTES, size=_text_size, mark=truncated(message.language))


def header_text(title: str) -> str:
    """The title as the header's plain text, within ``HEADER_MAX_CHARS``: a longer one is cut on a character
    boundary and ends with "…" (counted within the limit), as Slack's header is."""
    return ellipsize(_plain(title), HEADER_MAX_CHARS)


def _text(content: str) -> dict:
    return {"tag": "div", "text": {"tag": "lark_md", "content": content}}


def payload(message: Message) -> dict:
    """The message as ``im/v1/messages`` sends it, less the ``receive_id`` it adds: the `card` as a JSON string
    (a PATCH sends its ``content`` alone)."""
    return {"msg_type": "interactive", "content": dumps(card(message))}


def _plain(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
