"""A card's words in its language: its buttons, its row of links, and the line that says who decided it and when."""

from pagerless.chat.clicks import button_value
from pagerless.chat.wording import decision_comment, decision_route, resolver
from pagerless.clock import display_time
from pagerless.domain.actors import full_width
from pagerless.notify.channels.base import ACKNOWLEDGED, RESOLVED, Message, chinese


def approval_value(approval: dict, action: str, language: str = "en", zone: str | None = None) -> dict:
    """The button contract shared with the chat callbacks (`pagerless.chat.clicks.button_value`): a Chinese
    card's buttons carry its language, and a card in a time zone its zone, so the click is answered in them."""
    return button_value(approval, action, language, zone)


# A card's buttons in the language of its template (the console's words for them)
_BUTTON_LABELS = {
    "en": {
        "approve": "Approve",
        "reject": "Reject",
        "acknowledge": "Acknowledge",
        "open": "Open in Pagerless",
        "runbook": "Runbook",
        "source": "Alert source",
    },
    "zh": {
        "approve": "批准",
        "reject": "拒绝",
        "acknowledge": "确认",
        "open": "在 Pagerless 中打开",
        "runbook": "处理手册",
        "source": "告警来源",
    },
}
_DECIDED_ZH = {"approved": "批准", "rejected": "拒绝", "closed": "关闭", ACKNOWLEDGED: "确认", RESOLVED: "解决"}


def button_label(action: str, language: str = "en") -> str:
    return _BUTTON_LABELS["zh" if chinese(language) else "en"][action]


def card_links(message: Message) -> tuple[tuple[str, str], ...]:
    """A card's row of links: the incident's runbook and source links, then its page in the console ("Open in
    Pagerless": where every message can be acted on, its buttons or not) unless the body already holds it (a report's
    template writes its link itself)."""
    if not message.link or message.link in message.body:
        return message.links
    return (*message.links, ("open", message.link))


def links_markdown(message: Message) -> str:
    """The card's links (`card_links`) as markdown links on one line, a message's last (``[Runbook](url) · [Alert
    source](url) · [Open in Pagerless](url)``), for a channel whose text is markdown; empty without links. Where a
    group cannot press buttons (DingTalk's and WeCom's robots) the console link is how the message is acted on:
    acknowledged, or a proposal approved. The URLs are safe in a markdown link (`pagerless.notify.links`)."""
    return " · ".join(f"[{button_label(kind, message.language)}]({url})" for kind, url in card_links(message))


def links_text(message: Message) -> str:
    """The incident's links as plain text lines (``Runbook: url``), for a channel of plain text; empty without."""
    colon = "：" if chinese(message.language) else ": "
    return "\n".join(f"{button_label(kind, message.language)}{colon}{url}" for kind, url in message.links)


def decision_line(decision: dict, language: str = "en", zone: str | None = None) -> str:
    """Who decided a card's approval and when (to the minute, in the card's ``zone``, named), in the card's
    language: a person's comment as it was written, after the decision ("Rejected by bob at ...: too risky"); the
    channel a chat, email or bot decision came through (stored as "via Lark") said as part of the sentence, in the
    card's language ("Approved by alice at ... via Lark", "alice 于 ... 通过飞书批准": `decision_route`).

    An expired approval's note is the system's, written in English for the API and the timeline ("nobody
    approved ... within 600s; nothing ran", "the job was stopped by ..."): a Chinese card says what every one of
    them means, that it expired and nothing ran, rather than show it."""
    status = decision.get("status", "decided")
    who = decision.get("decided_by")  # a resolve's (or the approval it closed): its source, the workflow, in words
    who = (resolver(who, language) if status in (RESOLVED, "closed") else who) or (
        "系统" if chinese(language) else "system"
    )
    when = display_time(decision.get("decided_at"), zone)
    route = decision_route(language, decision.get("comment"))
    comment = "" if route else decision_comment(language, status, decision.get("comment"))
    if chinese(language):
        if status == "superseded":
            return f"已于 {when} 被新的审批请求取代；此卡片不再生效。"
        if status == "expired":
            return f"已于 {when} 过期，未执行任何操作。"
        # "通过飞书批准", "通过 Slack 批准": a Latin word stands apart from the Chinese around it
        verb = (route + " " * route[-1].isascii() if route else "") + _DECIDED_ZH.get(status, status)
        return f"{full_width(who)} 于 {when} {verb}" + (f"：{comment}" if comment else "")
    if status == "superseded":
        return f"Superseded at {when} by a newer approval request; this card changes nothing."
    if status == "expired":
        return f"Expired at {when}: " + (comment or "nobody decided in time; nothing ran.")
    return f"{status.capitalize()} by {who} at {when}" + (f" {route}" if route else f": {comment}" if comment else "")
