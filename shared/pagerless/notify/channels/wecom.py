"""WeCom (企业微信) group robot: markdown messages to the robot's webhook URL.

Config: ``webhook_url`` (secret: it embeds the key). WeCom allows 20 messages a minute per robot (errcode
45009 over it; each request counts, so a page with mentions takes two of them: `requests`) and refuses
markdown content over 4096 UTF-8 bytes (errcode 40058): a Chinese character is 3. A longer message's body is cut
to fit, marked, and its row of links (the console link among them) kept whole after it.

A page to the group @-mentions the paged people by their phone numbers. The robot's markdown message
cannot mention by number (only ``<@userid>``, and Pagerless knows no WeCom userid); its text message can:
``mentioned_mobile_list`` (https://developer.work.weixin.qq.com/document/path/91770). So the card goes out
as markdown, and then a short text message, the page's title, mentions them; numbers are written as for
DingTalk (a mainland number without +86). The numbers go in ``mentioned_mobile_list``, never in the text, which is
cut like any text to WeCom's 2,048 bytes (whole characters, marked, the incident's link after the mark), however many
people it names. ``@all`` is never sent. The two are parts of one delivery: a retry
after the card went out sends only the mention.
"""

import httpx

from pagerless.notify.channels.base import (
    ENDED,
    Message,
    Parts,
    PermanentError,
    RetryableError,
    Sent,
    fit_body,
    fit_bytes,
    json_body,
    mobiles,
    request,
    require,
    tone,
    truncated,
    utf8_size,
)
from pagerless.notify.channels.card_words import links_markdown
from pagerless.notify.channels.markdown import defuse_links, html_plain, html_text

TYPE = "wecom"
SECRET_FIELDS = ("webhook_url",)
REQUIRED = ("webhook_url",)
OPTIONAL = ()
RATE_PER_MINUTE = 20
CAN_UPDATE = False
MENTIONS = "phone"
SENDS_IN_PARTS = True
_RETRYABLE = {45009, -1}  # api freq out of limit; system busy
# WeCom's refusals of the robot itself (its global error codes: 93000 机器人webhookurl不合法或者机器人已经被移除出群,
# 93004 机器人被停用, 93008 不在群里): every message to the group is refused the same way, so the channel is failing
# with what to change (`PermanentError.fix`)
_ROBOT_REFUSALS = {
    93000: "WeCom refuses the webhook URL (its key is wrong, or the robot was removed from the group): add the robot"
    " to the group again and save its webhook URL on the channel",
    93004: "the robot is disabled: turn it on again in the group's robot settings (WeCom group > Group Robots)",
    93008: "the robot is no longer in the group: add it to the group again and save its webhook URL on the channel",
}
# the title's colour by the card's `tone` (WeCom's font colors: info green, comment grey, warning orange-red)
_COLORS = {"critical": "warning", "high": "warning", "warning": "comment", ENDED: "comment"}
# Content limits are UTF-8 bytes (https://work.weixin.qq.com/api/doc/90000/90136/91770: text "最长不超过2048个
# 字节"); markdown's is 4096, the figure WeCom's own refusal names: "markdown.content exceed max length 4096" (40058).
MAX_BYTES = 4096
MAX_TEXT_BYTES = 2048


def escape(text: str) -> str:
    """WeCom markdown mentions are <@userid>, its colours <font>, and it renders character references and links:
    alert text can write none of them (`html_text`)."""
    return defuse_links(html_text(text))


def send(http: httpx.Client, config: dict, message: Message, *, parts: Parts | None = None) -> Sent:
    require(config, *REQUIRED)
    parts = parts or Parts()
    for part, body in messages(message):
        if not parts.done(part):
            _post(http, config, body)
            parts.mark(part)
    return Sent()


def messages(message: Message) -> list[tuple[str, dict]]:
    """Every message `send` sends, in order, each with the part of the delivery it is: the ``card`` (`payload`),
    then, on a page that mentions people by phone, the ``mentions`` (`mention_payload`). The template preview
    shows them all."""
    numbers = mobiles(message.mentions)
    return [("card", payload(message))] + ([("mentions", mention_payload(message, numbers))] if numbers else [])


def payload(message: Message) -> dict:
    """The card: the markdown message, its title in the colour of its `tone`, within ``MAX_BYTES``. (A page's
    mention is a second message, `mention_payload`.)"""
    color = _COLORS.get(tone(message), "info")
    head = f'**<font color="{color}">{message.title}</font>**\n'
    tail = f"\n\n{links}" if (links := links_markdown(message)) else ""
    content = head + message.body + tail
    if (excess := utf8_size(content) - MAX_BYTES) > 0:  # the body is cut, the links kept (`fit_body`)
        mark = truncated(message.language)
        body = fit_body(message.body, excess, tail, message.link, size=utf8_size, mark=mark)
        content = head + body + tail if body is not None else fit_bytes(content, MAX_BYTES, message.link, mark=mark)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def requests(message: Message, parts: Parts) -> int:
    """How many messages `send` sends now (each takes one of the robot's 20 a minute): the card and the
    mention, less what a retry already sent."""
    return sum(not parts.done(part) for part, _ in messages(message))


def mention_payload(message: Message, numbers: list[str]) -> dict:
    """The text message that @-mentions ``numbers``: the title as plain text, which cannot write a ``<@userid>``."""
    title = html_plain(message.title).replace("<@", "<\u200b@")
    return {
        "msgtype": "text",
        "text": {
            "content": fit_bytes(title, MAX_TEXT_BYTES, message.link, mark=truncated(message.language)),
            "mentioned_mobile_list": numbers,
        },
    }


def _post(http: httpx.Client, config: dict, body: dict) -> None:
    data = json_body(request(http, "POST", config["webhook_url"], json=body))
    code = data.get("errcode", 0)
    if code == 0:
        return
    if code in _RETRYABLE:
        raise RetryableError(
            f"wecom {code}: {data.get('errmsg')}", 60.0 if code == 45009 else None, throttled=code == 45009
        )
    raise PermanentError(f"wecom {code}: {data.get('errmsg')}", fix=_ROBOT_REFUSALS.get(code))
