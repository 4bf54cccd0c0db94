"""What the bot says, in English or Chinese: seed 002's `/bot/interact` answers and the chat bot's command replies.

An incident is described from its stored facts; the analyzers' diagnosis summary and the planner's reason are said
from their phrases (`pagerless.diagnosis.summaries`, `pagerless.remediation.reasons`), so a Chinese answer says
them in Chinese; a model's summary is quoted as it wrote it. Chinese takes full-width punctuation; names, ids
and actions stay as Pagerless writes them everywhere else; a diagnosis's category is said in words, as the console
and cards say it (`pagerless.diagnosis.categories`).
"""

import re
from dataclasses import dataclass

from pagerless.chat.wording import INCIDENT_STATUS_ZH
from pagerless.domain.actors import full_width

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def language_of_text(text: str) -> str:
    """``zh`` for a message with Chinese characters in it, else ``en``."""
    return "zh" if _CJK.search(text or "") else "en"


def _zh(language: str) -> bool:
    return language == "zh"


def describe(incident, language: str = "en", zone: str | None = None) -> str:
    """One paragraph about an incident: what, where, status (and who acknowledged it), diagnosis and proposal (or why
    nothing was proposed); its times in ``zone`` (the asker's, when the bot knows who asks), else in UTC."""
    from pagerless.diagnosis import summaries
    from pagerless.diagnosis.categories import category_label
    from pagerless.remediation import reasons

    diagnosis, proposal = incident.diagnosis or {}, incident.proposal or {}
    summary = summaries.said(diagnosis, language, zone)
    reason = reasons.said(proposal, language)
    confidence = f"{float(diagnosis.get('confidence') or 0):.0%}"
    category = category_label(diagnosis.get("category"), language)  # as the console shows it, not oom_killed
    if _zh(language):
        from pagerless.incidents.notice_phrases import SEVERITY_ZH

        text = f"{incident.id}（{SEVERITY_ZH.get(incident.severity, incident.severity)}）{incident.title}"
        if incident.service:
            text += f"，服务 {incident.service}" + (f"（命名空间 {incident.namespace}）" if incident.namespace else "")
        text += f"，状态：{INCIDENT_STATUS_ZH.get(incident.status, incident.status)}。"
        who = full_width(incident.acknowledged_by or "")  # 艾丽丝（per_1）
        text += f"已由 {who} 确认。" if incident.acknowledged and who else ""
        text += _flapping(incident, language)
        if diagnosis:
            text += f"诊断：{category}，置信度 {confidence}——{summary}"
            text += "" if text.endswith(("。", ".")) else "。"
        if proposal.get("action"):
            text += f"建议修复：{proposal['action']}" + (f"（{reason}）" if reason else "") + "。"
        elif proposal.get("status") == "no_action" and reason:
            text += f"未提出修复：{reason}。"
        return text
    text = f"{incident.id} ({incident.severity}) {incident.title}"
    if incident.service:
        text += f" on {incident.service}" + (f" in {incident.namespace}" if incident.namespace else "")
    text += f" is {incident.status}."
    text += (
        f" Acknowledged by {incident.acknowledged_by}." if incident.acknowledged and incident.acknowledged_by else ""
    )
    text += _flapping(incident, language)
    if diagnosis:
        text += f" Diagnosis: {category} at {confidence} — {summary}"
    if proposal.get("action"):
        text += f" Proposed fix: {proposal['action']}" + (f" ({reason})" if reason else "") + "."
    elif proposal.get("status") == "no_action" and reason:  # why nothing was proposed (remediation.reasons)
        text += f" No fix proposed: {reason}."
    return text


def _flapping(incident, language: str) -> str:
    """The flap mark (`pagerless.incidents.flapping`): its alert keeps resolving and firing again; while it is open,
    paging waits until the alert holds firing (`pagerless.workflow.flapping`). A resolved incident says nothing of it:
    the mark outlives the resolve on purpose (the resolve reads it to stay quiet, `notices.incident_resolved`, and a
    reopen to keep it, `IncidentRepository.reopen_actions`), but nothing flaps while the incident is resolved, and
    no count of its flaps is kept to say it in the past."""
    if not getattr(incident, "flapping", False) or incident.status == "resolved":
        return ""
    waiting = incident.status == "open"
    if _zh(language):
        return "告警反复恢复又触发（抖动）" + ("，持续触发后才会呼叫。" if waiting else "。")
    return " Flapping: its alert keeps resolving and firing again" + (
        "; paging waits until it holds firing." if waiting else "."
    )


def approved_now(language: str) -> str:
    return "已批准该提议，工作流正在执行。" if _zh(language) else " Approved the proposal; the workflow runs it now."


def nothing_matches(language: str, open_now: list) -> str:
    """No open incident is about what the message names; the open ones, if any."""
    listed = [f"{i.id} {i.service or ''} {_status(i.status, language)}".replace("  ", " ") for i in open_now[:5]]
    if _zh(language):
        if not open_now:
            return "没有与之相符的未关闭事件，目前也没有任何未关闭的事件。"
        return f"没有与之相符的未关闭事件。当前有 {len(open_now)} 个未关闭事件：" + "；".join(listed) + "。"
    if not open_now:
        return "No open incident matches that, and nothing is open right now."
    return f"No open incident matches that. {len(open_now)} open incident(s): " + "; ".join(listed)


def which_service(language: str, services: list[str]) -> str:
    """The message may name any of several services: which one?"""
    if _zh(language):
        return "你指的是哪个服务？" + "、".join(services) + "都有未关闭的事件，请写出完整的服务名。"
    return f"Which service do you mean? {', '.join(services)} all have open incidents; write the service's full name."


def _status(status: str, language: str) -> str:
    return INCIDENT_STATUS_ZH.get(status, status) if _zh(language) else status


def help_text(language: str, provider: str) -> str:
    """The commands the bot understands."""
    bind_zh = "\n绑定 <邮箱>：将此飞书账号关联到你的 Pagerless 人员" if provider == "lark" else ""
    bind_en = "\nbind <email>: link this Lark account to your Pagerless person" if provider == "lark" else ""
    if _zh(language):
        return (
            "Pagerless 机器人可以：\n帮助：显示本说明\n状态 <事件编号>：事件的状态、诊断和建议修复"
            "\n值班 [服务]：现在谁在值班（所有值班表，或负责该服务的值班表）\n确认 <事件编号>：确认事件" + bind_zh
        )
    return (
        "Pagerless bot commands:\nhelp: this list\nstatus <incident id>: an incident's status, diagnosis and "
        "proposed fix\noncall [service]: who is on call now (every schedule, or the one covering the service)"
        "\nack <incident id>: acknowledge an incident" + bind_en
    )


_COMMAND_WORDS = {"status": ("status", "状态"), "ack": ("ack", "确认")}


def needs_argument(language: str, command: str) -> str:
    """``status`` and ``ack`` name an incident."""
    english, chinese = _COMMAND_WORDS[command]
    if _zh(language):
        return f"请写明事件编号，例如：{chinese} INC-20260311-0042。"
    return f"Name the incident, e.g. {english} INC-20260311-0042."


def other_workspace(language: str) -> str:
    if _zh(language):
        return "你的 Pagerless 人员属于其他工作区，此机器人无法为你查询或更改。"
    return "Your Pagerless person belongs to another workspace than this bot's; nothing was read or changed."


def unbound(language: str, provider: str, user: str) -> str:
    """What an unbound chat user is told: how to link their account (nothing was read or changed)."""
    if provider == "lark":
        if _zh(language):
            return f"你的飞书账号（{user}）尚未关联 Pagerless 人员。请发送“绑定 <你的邮箱>”，Pagerless 管理员批准后即可使用。"
        return (
            f'Your Lark account ({user}) is not linked to a Pagerless person. Send "bind <your email>"; '
            "a Pagerless admin approves it, then ask again."
        )
    if _zh(language):
        return (
            f"你的 Slack 账号（{user}）尚未关联 Pagerless 人员。关联申请已提交，等待 Pagerless 管理员批准"
            "（GET /api/chat-identities?status=pending），批准后即可使用。"
        )
    return (
        f"Your Slack account ({user}) is not linked to a Pagerless person. A request to link it is waiting for a "
        "Pagerless admin (GET /api/chat-identities?status=pending); ask again once it is approved."
    )


def no_such_incident(language: str, incident_id: str) -> str:
    return f"找不到事件 {incident_id}。" if _zh(language) else f"There is no incident {incident_id}."


@dataclass(frozen=True)
class OnCallRow:
    """One schedule's line of the ``oncall`` answer, its times said in the asker's zone."""

    schedule: str
    person: str | None
    until: str | None
    next_person: str | None = None
    next_start: str | None = None
    overlapping: tuple[str, ...] = ()  # others on call at once, under the answer (layers, overrides)
    other_schedules: tuple[str, ...] = ()  # other schedules that list the service too

    @classmethod
    def of(cls, current: dict, zone: str | None) -> "OnCallRow":
        """From `/api/oncall/current`'s answer; times in ``zone``, else the schedule's (the answer's own offset)."""
        from pagerless.clock import display_time

        def said(moment: str | None) -> str | None:
            return display_time(moment, zone or current["timezone"]) if moment else None

        return cls(
            schedule=current["schedule_name"],
            person=current["oncall_name"] if current["oncall"] else None,
            until=said(current["shift_end"]),
            next_person=current.get("next_oncall_name"),
            next_start=said(current.get("next_start")),
            overlapping=tuple(o["person_name"] for o in current.get("overlapping") or []),
            other_schedules=tuple(o["schedule_name"] for o in current.get("other_schedules") or []),
        )


def on_call(language: str, rows: list[OnCallRow]) -> str:
    """Who is on call: per schedule, the person until when, or nobody and whose shift starts next when; whether the
    answer is ambiguous (others on call at once under it, other schedules listing the service)."""
    if not rows:
        return "还没有任何值班表。" if _zh(language) else "There is no on-call schedule yet."
    lines = [_on_call_zh(row) if _zh(language) else _on_call_en(row) for row in rows]
    return ("现在值班：\n" if _zh(language) else "On call now:\n") + "\n".join(lines)


def _on_call_en(row: OnCallRow) -> str:
    if row.person:
        line = f"{row.schedule}: {row.person}" + (f" (until {row.until})" if row.until else "")
    else:
        nxt = f" (next: {row.next_person} from {row.next_start})" if row.next_person and row.next_start else ""
        line = f"{row.schedule}: nobody{nxt}"
    if row.overlapping:
        line += (
            f"; ambiguous: {', '.join(row.overlapping)} on call at the same time too (overlapping layers or overrides)"
        )
    if row.other_schedules:
        line += f"; ambiguous: other schedules list this service too: {', '.join(row.other_schedules)}"
    return line


def _on_call_zh(row: OnCallRow) -> str:
    if row.person:
        line = f"{row.schedule}：{row.person}" + (f"（到 {row.until}）" if row.until else "")
    else:
        nxt = f"（下一班：{row.next_person}，{row.next_start} 开始）" if row.next_person and row.next_start else ""
        line = f"{row.schedule}：无人值班{nxt}"
    if row.overlapping:
        line += f"；有歧义：{'、'.join(row.overlapping)} 同时也在值班（层或替班重叠）"
    if row.other_schedules:
        line += f"；有歧义：其他值班表也负责此服务：{'、'.join(row.other_schedules)}"
    return line


def no_schedule_for(language: str, service: str) -> str:
    if _zh(language):
        return f"没有值班表负责服务 {service}。"
    return f"No on-call schedule covers service {service}."
