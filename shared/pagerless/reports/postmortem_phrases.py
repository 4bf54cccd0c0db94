"""What a postmortem draft says, as phrases (`pagerless.domain.phrases`): each sentence and heading is a code and
its facts, rendered in English or Chinese (full-width punctuation). The draft (`reports.postmortem_draft`) and the
paging judgement (`reports.postmortem_paging`) say what happened as phrases; `say` renders one in the draft's
language (the Markdown's headings are `reports.postmortem_markdown`'s).

The facts are given as the draft quotes them (already Markdown text where they come from the record). What the
record holds in words (a timeline message, a diagnosis a model wrote, a note) is quoted as it came; what a model
wrote (Claude's polish) is never translated.
"""

from collections.abc import Mapping

from pagerless.domain.approvals import CHAT_VIA
from pagerless.domain.phrases import Catalog, Phrase
from pagerless.incidents.notice_phrases import SEVERITY_ZH, STATUS_ZH

# how a person's decision reached Pagerless (``Approval.decided_via``): English, Chinese
VIA = {
    "api": (" through the API", "（通过 API）"),
    "console": (" in the console", "（在控制台中）"),
    "email": (" from an e-mailed link", "（通过邮件中的链接）"),
    "bot": (" from chat", "（通过聊天）"),
    "chat": (" from {vendor}", "（通过 {vendor}）"),
}
CHAT_VENDORS = {"slack": "Slack", "lark": "Lark/Feishu"}
# an approval's status, said in Chinese
APPROVAL_ZH = {"approved": "已批准", "rejected": "已拒绝", "expired": "已过期", "pending": "待审批"}


def _severity_zh(p: Mapping) -> str:
    """A severity as Chinese says it of an incident (严重程度为「高」): "高级事件" would read as "an advanced one"."""
    return f"严重程度为「{SEVERITY_ZH.get(str(p['severity']), p['severity'])}」"


def _list(p: Mapping, key: str, zh: bool = False) -> str:
    return ("、" if zh else ", ").join(p[key])


def _began_en(p) -> str:
    return "reopened" if p.get("reopened") else "opened"


def _began_zh(p) -> str:
    return "重新打开" if p.get("reopened") else "打开"


def _impact_en(p) -> str:
    alerts, deliveries = p["alerts"], p["deliveries"]
    return (
        f"{alerts} alert{'' if alerts == 1 else 's'} on {p['service']}"
        + (f" ({p['correlated']} correlated incident(s))" if p.get("correlated") else "")
        + (f", delivered {deliveries} times" if deliveries > alerts else "")
        + (f"; {p['slos']} SLO(s) affected." if p["slos"] else "; no SLO is defined for it.")
    )


def _impact_zh(p) -> str:
    alerts, deliveries = p["alerts"], p["deliveries"]
    return (
        f"{p['service']} 上有 {alerts} 条告警"
        + (f"（{p['correlated']} 个关联事件）" if p.get("correlated") else "")
        + (f"，共投递 {deliveries} 次" if deliveries > alerts else "")
        + (f"；影响 {p['slos']} 个 SLO。" if p["slos"] else "；该服务没有定义 SLO。")
    )


def _summary_en(p) -> str:
    resolved = (
        f"Resolved after {p['ttr']} minutes."
        if p.get("ttr") is not None
        else "Not resolved when this draft was written."
    )
    return f"{p['severity'].capitalize()} incident on {p['service']}: {p['title']}. {resolved}"


def _summary_zh(p) -> str:
    resolved = f"{p['ttr']} 分钟后解决。" if p.get("ttr") is not None else "撰写本草稿时尚未解决。"
    return f"{p['service']} 上{_severity_zh(p)}的事件：{p['title']}。{resolved}"


def _after_en(p) -> str:
    seconds = p.get("seconds")
    if seconds is None:
        return "some time"
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600, 1):g} h"


def _after_zh(p) -> str:
    seconds = p.get("seconds")
    if seconds is None:
        return "一段时间"
    if seconds < 120:
        return f"{round(seconds)} 秒"
    if seconds < 7200:
        return f"{round(seconds / 60)} 分钟"
    return f"{round(seconds / 3600, 1):g} 小时"


def _via(p, zh: bool) -> str:
    via = p.get("via")
    if not via or via not in VIA:
        return ""
    return VIA[via][1 if zh else 0].format(vendor=p.get("vendor") or "")


def _approved_en(p) -> str:
    if p.get("after") is None:
        return f"{p['who']} approved {p['action']}; Pagerless applied and verified it."
    return (
        f"{p['who']} approved {p['action']}{_via(p, False)} {p['after']} after the incident {_began_en(p)}; "
        "Pagerless applied and verified it."
    )


def _approved_zh(p) -> str:
    if p.get("after") is None:
        return f"{p['who']} 批准了 {p['action']}；Pagerless 已执行并验证。"
    return (
        f"{p['who']} 在事件{_began_zh(p)}后 {p['after']}{_via(p, True)}批准了 {p['action']}；Pagerless 已执行并验证。"
    )


def _service(p, zh: bool = False) -> str:
    return p.get("service") or ("该服务" if zh else "the service")


def _policy(p, zh: bool = False) -> str:
    if p.get("policy"):
        return f"升级策略 {p['policy']} " if zh else f"escalation policy {p['policy']}"  # zh: a space after Latin
    return "其升级策略" if zh else "its escalation policy"


def _nobody_why_en(p) -> str:
    if p["why"] == "ran_none":
        return f"no escalation ran for it (policy {p['policy']} covers it now)"
    if p["why"] == "no_policy":
        return f"no escalation policy covers {_service(p)}'s {p['severity']} incidents"
    held = f" (quiet hours held back {', '.join(p['held'])})" if p.get("held") else ""
    return f"{_policy(p)} reached nobody on call{held}"


def _nobody_why_zh(p) -> str:
    if p["why"] == "ran_none":
        return f"没有为它运行任何升级（现在由策略 {p['policy']} 覆盖）"
    if p["why"] == "no_policy":
        return f"没有升级策略覆盖 {_service(p, True)} {_severity_zh(p)}的事件"
    held = f"（免打扰时段暂缓了 {'、'.join(p['held'])}）" if p.get("held") else ""
    return f"{_policy(p, True)}没有呼叫到任何值班人员{held}"


def _budget_value_en(p) -> str:
    return f"{p['minutes']} min ({p['percent']}% of the budget)"


def _budget_value_zh(p) -> str:
    return f"{p['minutes']} 分钟（预算的 {p['percent']}%）"


_ENTRIES: dict[str, dict] = {
    "title": {"en": lambda p: f"Postmortem: {p['title']}", "zh": lambda p: f"复盘：{p['title']}"},
    "summary": {"en": _summary_en, "zh": _summary_zh},
    "impact": {"en": _impact_en, "zh": _impact_zh},
    "not_diagnosed": {"en": lambda p: "Not diagnosed.", "zh": lambda p: "未做诊断。"},
    "detection": {
        "en": lambda p: f"Alert from {p['source'] or 'a monitor'} at {p['at']}.",
        "zh": lambda p: f"{p['at']} 收到来自 {p['source'] or '监控系统'} 的告警。",
    },
    "actions": {"en": lambda p: "; ".join(p["lines"]), "zh": lambda p: "；".join(p["lines"])},
    "no_action": {"en": lambda p: "No action was recorded.", "zh": lambda p: "没有记录任何操作。"},
    "approvals": {
        "en": lambda p: f" Approvals: {'; '.join(p['items'])}.",
        # ``after``: the resolution it follows, ended with a full stop when it was not
        "zh": lambda p: ("" if str(p.get("after", "")).endswith("。") else "。") + f"审批：{'；'.join(p['items'])}。",
    },
    "approval": {
        "en": lambda p: f"{p['status']} by {p['who'] or 'nobody'} after {p['minutes']} min",
        "zh": lambda p: f"{APPROVAL_ZH.get(p['status'], p['status'])}（{p['who'] or '无人'}，{p['minutes']} 分钟后）",
    },
    "resolved_by_hand": {
        "en": lambda p: f"{p['who'] or 'someone'} resolved it by hand.",
        "zh": lambda p: f"{p['who'] + ' ' if p['who'] else '有人'}手动解决了事件。",
    },
    "resolved_with_note": {
        "en": lambda p: f"{p['who'] or 'someone'} resolved it: {p['note']}.",
        "zh": lambda p: f"{p['who'] + ' ' if p['who'] else '有人'}解决了事件：{p['note']}。",
    },
    "timeline_entry": {
        "en": lambda p: f"{p['at']} {p['type']} ({p['actor']}): {p['message']}".rstrip(": "),
        "zh": lambda p: f"{p['at']} {p['type']}（{p['actor']}）" + (f"：{p['message']}" if p["message"] else ""),
    },
    # an action: its name and outcome (a status code), and a rollback's
    "action_line": {
        "en": lambda p: ("rolled back by " if p.get("rollback") else "") + f"{p['action']} ({p['outcome']})",
        "zh": lambda p: (
            ("回滚操作 " if p.get("rollback") else "") + f"{p['action']}（{STATUS_ZH.get(p['outcome'], p['outcome'])}）"
        ),
    },
    "after": {"en": _after_en, "zh": _after_zh},
    # what went well
    "acknowledged_fast": {
        "en": lambda p: f"{'The page' if p['paged'] else 'It'} was acknowledged within 5 minutes.",
        "zh": lambda p: f"{'呼叫' if p['paged'] else '事件'}在 5 分钟内得到确认。",
    },
    "fix_ran_alone": {
        "en": lambda p: f"Pagerless ran the fix itself: {_list(p, 'actions')}.",
        "zh": lambda p: f"Pagerless 自行执行了修复：{_list(p, 'actions', True)}。",
    },
    "fix_approved": {"en": _approved_en, "zh": _approved_zh},
    "cause_named": {  # the cause's words may have parentheses of their own ("Out of memory (OOMKilled)")
        "en": lambda p: f"The diagnosis named the cause: {p['cause']}, with confidence {p['confidence']}.",
        "zh": lambda p: f"诊断找到了原因：{p['cause']}，置信度 {p['confidence']}。",
    },
    # what went wrong
    "slo_spent": {
        "en": lambda p: f"SLO {p['slo']} spent {p['percent']}% of its error budget.",
        "zh": lambda p: f"SLO {p['slo']} 消耗了 {p['percent']}% 的错误预算。",
    },
    "fix_rolled_back": {
        "en": lambda p: (
            f"The fix did not work ({_list(p, 'fixes') or 'the workflow' + chr(39) + 's action'}); "
            f"Pagerless rolled it back: {_list(p, 'rollbacks')}."
        ),
        "zh": lambda p: (
            f"修复没有生效（{_list(p, 'fixes', True) or '工作流的操作'}）；Pagerless 已将其回滚：{_list(p, 'rollbacks', True)}。"
        ),
    },
    "fix_not_rolled_back": {
        "en": lambda p: f"The fix did not work and was not rolled back: {p['why']}.",
        "zh": lambda p: f"修复没有生效，也没有回滚：{p['why']}。",
    },
    "fix_failed": {
        "en": lambda p: f"The fix did not succeed: {_list(p, 'actions')}.",
        "zh": lambda p: f"修复未成功：{_list(p, 'actions', True)}。",
    },
    "escalated": {
        "en": lambda p: f"The incident was escalated to people: {p['why']}.",
        "zh": lambda p: f"事件已升级给人工处理：{p['why']}。",
    },
    "severity_raised": {
        "en": lambda p: f"Its severity was raised after it opened ({p['why']}).",
        "zh": lambda p: f"事件打开后严重程度被提升（{p['why']}）。",
    },
    "reopened": {
        "en": lambda p: f"It reopened {p['count']} time(s) after it was resolved.",
        "zh": lambda p: f"事件在解决后重新打开了 {p['count']} 次。",
    },
    "page_late": {
        "en": lambda p: f"Quiet hours held back the page to {'; '.join(p['late'])}: it was sent later.",
        "zh": lambda p: f"免打扰时段暂缓了呼叫，稍后才发出：{'；'.join(p['late'])}。",
    },
    "late_one": {
        "en": lambda p: f"{p['person']}, {p['minutes']} min after the step paged",
        "zh": lambda p: f"{p['person']}（在该步骤呼叫后 {p['minutes']} 分钟）",
    },
    "unanswered": {"en": lambda p: "Nobody acknowledged the page.", "zh": lambda p: "没有人确认呼叫。"},
    "nobody_paged": {
        "en": lambda p: f"No one was paged: {p['why']}.",
        "zh": lambda p: f"没有呼叫任何人：{p['why']}。",
    },
    "why_nobody": {"en": _nobody_why_en, "zh": _nobody_why_zh},
    # where we got lucky
    "nobody_paged_responded": {
        "en": lambda p: (
            f"No one was paged ({p['why']}); {p['who']} responded anyway, {p['after']} after the incident "
            f"{_began_en(p)}."
        ),
        "zh": lambda p: f"没有呼叫任何人（{p['why']}）；{p['who']} 仍在事件{_began_zh(p)}后 {p['after']}做出了响应。",
    },
    "nobody_paged_fixed": {
        "en": lambda p: f"No one was paged ({p['why']}); Pagerless fixed it without anyone.",
        "zh": lambda p: f"没有呼叫任何人（{p['why']}）；Pagerless 在无人参与的情况下修复了它。",
    },
    # action items
    "unassigned": {"en": lambda p: "unassigned", "zh": lambda p: "未指派"},
    "runbook_step": {
        "en": lambda p: f"Make '{p['remediation']}' for {p['service']} a reviewed runbook step",
        "zh": lambda p: f"将 {p['service']} 的“{p['remediation']}”整理为经过评审的运行手册步骤",
    },
    "prevent_cause": {
        "en": lambda p: f"Prevent {p['cause']} on {p['service']}: fix the cause found by the diagnosis",
        "zh": lambda p: f"防止 {p['service']} 再次出现 {p['cause']}：修复诊断找到的原因",
    },
    "find_cause": {
        "en": lambda p: f"Find the cause on {p['service']}: the diagnosis found no conclusive evidence",
        "zh": lambda p: f"查明 {p['service']} 的故障原因：诊断没有找到确凿的证据",
    },
    "why_unanswered": {
        "en": lambda p: f"Find out why nobody acknowledged the page for {p['service']}",
        "zh": lambda p: f"查明为什么没有人确认 {p['service']} 的呼叫",
    },
    "cover_policy": {
        "en": lambda p: (
            f"Cover {_service(p)}'s {p['severity']} incidents with an escalation policy: no one was paged for this one"
        ),
        "zh": lambda p: f"为 {_service(p, True)} {_severity_zh(p)}的事件配置升级策略：这次没有呼叫任何人",
    },
    "reach_someone": {
        "en": lambda p: f"Make {_policy(p)} reach someone on call for {_service(p)}",
        "zh": lambda p: f"让{_policy(p, True)}能呼叫到 {_service(p, True)} 的值班人员",
    },
    "review_budget": {
        "en": lambda p: f"Review the error-budget policy of {p['service']}: this incident spent 10 % or more",
        "zh": lambda p: f"复查 {p['service']} 的错误预算策略：本次事件消耗了 10% 或更多的预算",
    },
    "add_test": {
        "en": lambda p: f"Add a test or alert that would have caught this on {p['service']} earlier",
        "zh": lambda p: f"为 {p['service']} 添加能更早发现此问题的测试或告警",
    },
    "unknown_service": {"en": lambda p: "an unknown service", "zh": lambda p: "未知服务"},
    "the_service": {"en": lambda p: "the service", "zh": lambda p: "该服务"},
    "budget_value": {"en": _budget_value_en, "zh": _budget_value_zh},
    # why a draft was not polished (its ``engine.note``; `reports.polish`)
    "polish_no_time": {
        "en": lambda p: "Claude's polish was not used (no time left to wait)",
        "zh": lambda p: "未使用 Claude 润色（已没有时间等待）",
    },
    "polish_failed": {
        "en": lambda p: f"Claude's polish was not used ({p['error']})",
        "zh": lambda p: f"未使用 Claude 润色（{p['error']}）",
    },
}

PHRASES = Catalog(_ENTRIES, "postmortem")


phrase = PHRASES.phrase  # the phrase ``code`` (a key of ``PHRASES``) with its facts


def say(said: Phrase, language: str) -> str:
    """``said`` in ``language`` (``en`` or ``zh``); a phrase it cannot say is a bug, not a draft without it."""
    text = PHRASES.render(said, language)
    if text is None:
        raise ValueError(f"postmortem phrase {said.code!r} cannot be said with {sorted(said.params)}")
    return text


def said(code: str, language: str, **params) -> str:
    """The phrase ``code`` with ``params``, said in ``language``."""
    return say(phrase(code, **params), language)


def unpolished(code: str, **params) -> dict:
    """Why Claude's polish was not used, as a draft's ``engine`` keeps it: the English ``note`` and its phrase."""
    said = phrase(code, **params)
    return {"note": say(said, "en"), "note_phrase": said.model_dump(mode="json")}


def engine_note(engine, language: str) -> str:
    """A draft's ``engine.note`` in ``language``: from its phrase while the note is still its English; a note stored
    without one (or written otherwise: the workspace's own) as stored."""
    engine = engine if isinstance(engine, Mapping) else {}
    note = str(engine.get("note") or "")
    said = engine.get("note_phrase")
    if said and note == PHRASES.render(said, "en"):
        return PHRASES.render(said, language) or note
    return note


def via(decided_via: str | None) -> dict:
    """How a person's decision reached Pagerless (``Approval.decided_via``), as a phrase's facts."""
    if decided_via and decided_via.startswith(CHAT_VIA):
        vendor = decided_via.removeprefix(CHAT_VIA)
        return {"via": "chat", "vendor": CHAT_VENDORS.get(vendor, vendor)}
    return {"via": decided_via}
