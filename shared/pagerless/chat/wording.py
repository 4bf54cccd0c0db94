"""What a chat click is told, in its card's language (``Click.language``: ``en`` or ``zh``).

The English of a refusal is the domain error's own message, the one API clients read; the Chinese is
written here from the same facts (the error's class and details, never its English text), with the
full-width punctuation of the Chinese cards' decision lines. Names, ids, roles and actions stay as
Pagerless writes them everywhere else.
"""

import re

from pagerless.clock import display_time
from pagerless.domain.actors import full_width
from pagerless.domain.errors import NotFoundError, PagerlessError, ServiceUnavailableError

_VERBS_ZH = {"approve": "批准", "reject": "拒绝", "acknowledge": "确认"}
# A status said on its own, as a Chinese card says it; the console's catalog says it alike (one wording,
# held together by tests/unit/console/test_status_words.py)
APPROVAL_PENDING_ZH = "待审批"
# How a decision is said inside a sentence ("已由 bob 批准")
_DECIDED_ZH = {
    "approved": "批准",
    "rejected": "拒绝",
    "expired": "过期",
    "pending": APPROVAL_PENDING_ZH,
    "superseded": "被取代",
}
INCIDENT_STATUS_ZH = {
    "open": "待处理",
    "diagnosing": "诊断中",
    "diagnosed": "已诊断",
    "awaiting_approval": "待审批",
    "remediating": "修复中",
    "verifying": "验证中",
    "escalated": "已升级",
    "resolved": "已解决",
}
_PRODUCTS_ZH = {"Lark": "飞书", "Lark/Feishu": "飞书"}  # Lark's name in Chinese; Slack has none
# The comment a decision made with a chat button or an email link is stored with (`ChatActions`: "via Lark"); the
# audit and the API keep it as written, a Chinese card shows it in Chinese
_VIA_COMMENT = re.compile(r"via (Slack|Lark|Lark/Feishu|email)")
_VIA_ZH = {"Slack": "通过 Slack", "Lark": "通过飞书", "Lark/Feishu": "通过飞书", "email": "通过邮件"}
# The comment an approval made through seed 002's bot is stored with (`chat.bot`), kept so and shown as the others
BOT_COMMENT = "approved through /bot/interact"
_SYSTEM_NOTES_ZH = {BOT_COMMENT: "通过 /bot/interact"}


def _zh(language: str) -> bool:
    return str(language).lower().startswith("zh")


def decision_comment(language: str, status: str | None, comment: str | None) -> str:
    """A decision's comment as a card in ``language`` shows it: a person's words as written; the channel a chat,
    email or bot decision came through (stored as "via Lark", `BOT_COMMENT`) in the card's language; on a Chinese
    card, the system's English note of an expired, closed or superseded approval as what it means."""
    comment = (comment or "").strip()
    if not _zh(language):
        return comment
    if status == "expired":
        return "未执行任何操作"
    if status == "closed":
        return "事件在审批前已解决，未执行任何操作"
    if status == "superseded":
        return "此卡片不再生效"
    if comment in _SYSTEM_NOTES_ZH:
        return _SYSTEM_NOTES_ZH[comment]
    via = _VIA_COMMENT.fullmatch(comment)
    return _VIA_ZH[via.group(1)] if via else comment


def decision_route(language: str, comment: str | None) -> str | None:
    """How a decision came in, in ``language`` ("via Slack", "through /bot/interact"; "通过飞书"), when its
    stored comment says only that (`ChatActions`' "via Lark", `BOT_COMMENT`); None for a person's own words."""
    comment = (comment or "").strip()
    if comment == BOT_COMMENT:
        return _SYSTEM_NOTES_ZH[BOT_COMMENT] if _zh(language) else "through /bot/interact"
    via = _VIA_COMMENT.fullmatch(comment)
    if via is None:
        return None
    return _VIA_ZH[via.group(1)] if _zh(language) else comment


def unhandled(language: str, action: str) -> str:
    if _zh(language):
        return f"Pagerless 不处理“{action or '未命名'}”按钮，未做任何更改。"
    return f"Pagerless does not handle the {action or 'unnamed'!r} button; nothing changed."


def no_incident(language: str) -> str:
    return "按钮未指明事件，未做任何更改。" if _zh(language) else "The button names no incident; nothing changed."


def other_workspace(language: str) -> str:
    if _zh(language):
        return "此卡片属于其他工作区，未做任何更改。"
    return "This card belongs to another workspace; nothing changed."


def role_too_low(language: str, name: str, role: str, verb: str, required: str) -> str:
    if _zh(language):
        return f"{name}，你的 Pagerless 角色是 {role}，{_VERBS_ZH[verb]}需要 {required} 角色。未做任何更改。"
    return f"{name}, your Pagerless role is {role}; to {verb} you need {required}. Nothing changed."


def unbound(language: str, via: str, user: str) -> str:
    if _zh(language):
        product = _PRODUCTS_ZH.get(via, f" {via} ")
        return (
            f"你的{product}账号（{user}）尚未关联 Pagerless 人员，未做任何更改。关联申请已提交，"
            "等待 Pagerless 管理员批准（GET /api/chat-identities?status=pending）。"
        )
    return (
        f"Your {via} account ({user}) is not linked to a Pagerless person, so "
        "nothing changed. A request to link it is waiting for a Pagerless admin "
        "(GET /api/chat-identities?status=pending)."
    )


def decided(language: str, verb: str, action: str | None, incident_id: str) -> str:
    if _zh(language):
        return f"你已{_VERBS_ZH[verb]} {incident_id} 的" + (f" {action}。" if action else "提议。")
    past = {"approve": "approved", "reject": "rejected"}[verb]
    return f"You {past} {action or 'the proposal'} for {incident_id}."


def unchanged(language: str, action: str | None, incident_id: str, approval: dict, zone: str | None = None) -> str:
    """The clicker's decision was already made (by them or someone else): it stands. Its time reads in the card's
    ``zone`` (`Click.zone`; None: UTC)."""
    status, by, at = approval["status"], approval["decided_by"], display_time(approval["decided_at"], zone)
    if _zh(language):
        what = f"{incident_id} 的 {action}" if action else f"{incident_id} 的提议"
        return f"{what} 已由 {full_width(by)} 于 {at} {_DECIDED_ZH.get(status, status)}，未做任何更改。"
    return f"{action or 'the proposal'} for {incident_id} was already {status} by {by} at {at}; nothing changed."


def acknowledged(language: str, incident_id: str) -> str:
    return f"你已确认 {incident_id}。" if _zh(language) else f"You acknowledged {incident_id}."


def already_handled(language: str) -> str:
    """A vendor's retry of an event already handled."""
    return "此操作已处理。" if _zh(language) else "Already handled."


def replayed(language: str) -> str:
    """The same signed click again (a replay of the request): it was acted on once, and is not again."""
    if _zh(language):
        return "此请求已处理过，重复发送的同一请求不会再执行任何操作。"
    return "This request was already handled; the same request sent again changes nothing."


def decision_refused(language: str, refused: PagerlessError, incident_id: str) -> str:
    """Why ``ApprovalService.decide`` changed nothing (superseded, timed out, decided by someone else, ...), in the
    card's words: the service's own message only where none of these says it."""
    detail, zh = _detail(refused), _zh(language)
    status = detail.get("status")
    if isinstance(refused, ServiceUnavailableError):
        if zh:
            return f"Step Functions 未收到对 {incident_id} 的决定，未做任何更改，审批仍在等待：请重试。"
        return f"Step Functions did not take the decision on {incident_id}; nothing changed, the approval waits: try again."
    if isinstance(refused, NotFoundError):
        return (
            f"找不到 {incident_id} 的这次审批，未做任何更改。"
            if zh
            else f"This approval of {incident_id} is gone; nothing changed."
        )
    if status == "superseded":
        current = detail.get("current_status")
        if zh:
            current = _DECIDED_ZH.get(current, current)
            return f"此卡片的审批已被 {incident_id} 的新审批请求取代（新请求：{current}），未做任何更改。"
        return f"This card's approval of {incident_id} was superseded by a newer request ({current}); nothing changed."
    if status == "expired" and detail.get("stopped_by"):  # a runbook step whose run was stopped before the click
        if zh:
            return f"该运行已被 {detail['stopped_by']} 停止，此决定未生效，未执行任何操作。"
        return f"The run was stopped by {detail['stopped_by']} before this decision; nothing ran."
    if status == "expired":
        return (
            f"{incident_id} 的审批已超时，未执行任何操作。"
            if zh
            else f"The approval of {incident_id} timed out; nothing ran."
        )
    if status in ("approved", "rejected") and detail.get("decided_by"):
        who = str(detail.get("decided_by_label") or detail["decided_by"])
        if zh:  # 艾丽丝（per_1）
            return f"{incident_id} 的提议已由 {full_width(who)} {_DECIDED_ZH[status]}，该决定不变。"
        return f"The fix for {incident_id} was already {status} by {who}; that decision stands."
    if status in INCIDENT_STATUS_ZH:
        if zh:
            return f"{incident_id} 当前状态为“{INCIDENT_STATUS_ZH[status]}”，已无需审批，未做任何更改。"
        return f"{incident_id} is {status.replace('_', ' ')} now: there is nothing to approve; nothing changed."
    return f"未做任何更改：{refused.message}。" if zh else f"Nothing changed: {refused.message}."


# What resolved an incident when no person did (its ``resolved_by``): "source" and "workflow" are codes, which read
# as someone's name ("Resolved by source at …", "source 于 … 解决")
_RESOLVERS = {
    "source": {"en": "its source (every alert cleared)", "zh": "告警源头（所有告警已恢复）"},
    "workflow": {"en": "the workflow (fix verified)", "zh": "工作流（修复已验证）"},
}


def resolver(resolved_by: str | None, language: str = "en") -> str | None:
    """Who resolved an incident, in ``language``: a person as they are named, its source or the workflow in words."""
    said = _RESOLVERS.get(resolved_by or "")
    return said["zh" if _zh(language) else "en"] if said else resolved_by


def acknowledgement_refused(language: str, refused: PagerlessError, incident_id: str, who: str | None) -> str:
    """Why ``IncidentService.acknowledge`` changed nothing; ``who`` acknowledged or resolved it first."""
    if _detail(refused).get("status") == "resolved":
        who = resolver(who, language)
    detail = _detail(refused)
    if not _zh(language):
        return _acknowledgement_refused_en(refused, detail, incident_id, who)
    who = full_width(who) if who else who  # 艾丽丝（per_1）
    if isinstance(refused, NotFoundError):
        return f"找不到事件 {incident_id}，未做任何更改。"
    if detail.get("status") == "resolved":
        return f"{incident_id} 已由 {who} 解决，未做任何更改。" if who else f"{incident_id} 已解决，未做任何更改。"
    if who:
        return f"{incident_id} 已由 {who} 确认，未做任何更改。"
    return f"{incident_id} 已被确认，未做任何更改。"


def _acknowledgement_refused_en(refused: PagerlessError, detail: dict, incident_id: str, who: str | None) -> str:
    if isinstance(refused, NotFoundError):
        return f"There is no incident {incident_id}; nothing changed."
    if detail.get("status") == "resolved":
        return f"{incident_id} is already resolved" + (f" by {who}" if who else "") + "; nothing changed."
    if who or detail.get("acknowledged_by"):
        return f"{incident_id} is already acknowledged by {who or detail['acknowledged_by']}; nothing changed."
    return f"{refused.message}; nothing changed."


def _detail(refused: PagerlessError) -> dict:
    return next((d for d in refused.details if isinstance(d, dict)), {})
