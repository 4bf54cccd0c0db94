"""How a workflow run went, as phrases (`pagerless.domain.phrases`): the line a fix applied, a resolution or an
escalation says on a card, and the reasons the workflow escalates with. The English rendering is the text the
producers store and send (the timeline, the API, a job's ``message``); a Chinese channel renders the same phrase in
Chinese. What Kubernetes or a person wrote (an API error, a policy's reason, a name) is quoted as it came.

A reason may hold another phrase (``cause``: a rollback's reason is the failed verification's), rendered in the same
language; where that one cannot be said, its English (``cause_text``) is quoted.
"""

from collections.abc import Mapping

from pagerless.domain.phrases import Catalog, Phrase, language_of
from pagerless.remediation import action_phrases, check_phrases, policy_phrases, reasons

# an action's outcome status (remediation.executor.Status), said in Chinese
STATUS_ZH = action_phrases.STATUS_ZH
# what the executor itself writes when the cluster cannot be reached (no Kubernetes text to quote)
_EXECUTOR_ZH = {
    "cluster unreachable (no connection): nothing was applied": "无法连接集群：未应用任何变更",
}


# who resolved an incident, where Pagerless says it in words (`incidents.source_resolves.SOURCE_ANNOUNCED_BY`)
_BY_ZH = {"its source (every alert resolved)": "所有告警已在源头恢复，事件已解决"}


# a severity (domain.severity.Severity), in the console's Chinese words for it
SEVERITY_ZH = {"critical": "严重", "high": "高", "warning": "警告", "info": "提示"}


def _severity(value) -> str:
    return SEVERITY_ZH.get(str(value), str(value))


def _status(value) -> str:
    return STATUS_ZH.get(str(value), str(value))


def _quoted(message, said: Mapping | None = None) -> str:
    """What Kubernetes (or the executor) said, as it came; the executor's own sentences in Chinese: a refusal from
    its stored phrase ``said`` (`remediation.reasons`, an outcome's ``message_phrase``) while ``message`` is still
    that phrase's English, the known others from ``_EXECUTOR_ZH``."""
    text = str(message or "").strip()
    if said and text == (reasons.render(said, "en") or "").strip():
        return reasons.render(said, "zh") or text
    return _EXECUTOR_ZH.get(text, text)


def _cause(p: Mapping, language: str) -> str:
    """The reason a phrase holds: its text as given in English (what was stored, perhaps cut to a length), else
    its phrase said in ``language``."""
    if language_of(language) == "en" and p.get("cause_text"):
        return str(p["cause_text"])
    return NOTICES.render(p.get("cause"), language) or str(p.get("cause_text") or "")


def _policy_zh(p: Mapping) -> str:
    """The policy's reason in Chinese, after a full-width colon, where its phrase (``why``) says it; else nothing
    (its English is the API's and the English line's)."""
    said = policy_phrases.reason_in(p.get("reason") or "", p.get("why"), "zh")
    return f"：{said}" if p.get("why") and said != p.get("reason") else ""


def found_unhealthy(result) -> dict:
    """A verification's reasons as a notice phrase holds them: in English, and each as its phrase (or None)."""
    said = [w.model_dump(mode="json") if w is not None else None for w in result.why]
    return {"reasons": list(result.reasons), "said": said if len(said) == len(result.reasons) else None}


def decided_by_policy(decision) -> dict:
    """A policy decision's facts as a notice phrase holds them: its rule, its English reason and its phrase."""
    why = decision.why.model_dump(mode="json") if decision.why is not None else None
    return {"rule": decision.rule, "reason": decision.reason, "why": why}


def _applied_en(p) -> str:
    return f"{p['action']}: {p['status']}. {p['message']}"


def _applied_zh(p) -> str:
    if p["status"] == "succeeded":
        changes = f"：{action_phrases.diff_in(p['changes'], 'zh')}" if p.get("changes") else ""
        return f"已执行 {p['action']}{changes}"
    return f"{p['action']} 未成功（{_status(p['status'])}）：{_quoted(p['message'], p.get('message_said'))}"


def _resolved_en(p) -> str:
    return f"{p['action']} worked; {_cause(p, 'en') or 'the workload is healthy'}"


def _resolved_zh(p) -> str:
    why = _cause(p, "zh")
    return f"修复 {p['action']} 已生效" + (f"：{why}" if why else "，工作负载健康")


def _drift_en(p) -> str:
    differences = "; ".join(f"{d['field']} was {d['was']}, is now {d['now']}" for d in p["differences"])
    return f"the workload changed since the dry run the proposal showed: {differences}; check it"


def _drift_zh(p) -> str:
    differences = "；".join(f"{d['field']} 原为 {_unset(d['was'])}，现为 {_unset(d['now'])}" for d in p["differences"])
    return f"工作负载在提议所示的试运行之后已发生变化：{differences}。请检查"


def _unset(value) -> str:
    return "（未变更）" if value == "(not changed)" else str(value)


def _unhealthy_en(p) -> str:
    return f"still unhealthy after {p['checks']} checks: {'; '.join(p['reasons'])}; {_cause(p, 'en')}"


def _unhealthy_zh(p) -> str:
    reasons = check_phrases.reasons_in(p.get("reasons") or [], p.get("said"), "zh")
    found = f"（{'；'.join(reasons)}）" if reasons else ""
    return f"经过 {p['checks']} 次检查仍不健康{found}；{_cause(p, 'zh')}"


def _rolled_back_en(p) -> str:
    if p.get("status") is None:
        return f"the fix did not work ({_cause(p, 'en')}); {p['unknown']}"
    verb = "rolled back" if p["status"] == "succeeded" else f"rollback {p['status']}"
    return f"the fix did not work ({_cause(p, 'en')}); {verb}"


def _rolled_back_zh(p) -> str:
    if p.get("status") is None:
        return f"修复没有生效（{_cause(p, 'zh')}）；{NOTICES.render(p.get('unknown_phrase'), 'zh') or p['unknown']}"
    done = "已回滚" if p["status"] == "succeeded" else f"回滚{_status(p['status'])}"
    return f"修复没有生效（{_cause(p, 'zh')}）；{done}"


def _step_failed_zh(p) -> str:
    return f"工作流步骤失败：{p['error']}" + (f"：{p['cause_text']}" if p.get("cause_text") else "")


_ENTRIES = {
    # a card's line: the fix ran (incident.remediated), the incident resolved (incident.resolved)
    "fix_applied": {"en": _applied_en, "zh": _applied_zh},
    "resolved_verified": {"en": _resolved_en, "zh": _resolved_zh},
    "resolved_by": {
        "en": lambda p: f"resolved by {p['by']}",
        "zh": lambda p: _BY_ZH.get(p["by"], f"已由 {p['by']} 解决"),
    },
    # why the remediate step escalates
    "policy_refused": {
        "en": lambda p: f"the policy no longer allows {p['action']} (rule {p['rule']}): {p['reason']}; nothing ran",
        "zh": lambda p: f"策略已不再允许执行 {p['action']}（规则 {p['rule']}{_policy_zh(p)}），未执行任何操作",
    },
    "changed_since": {
        "en": lambda p: f"{p['action']} not run: {_drift_en(p)}",
        "zh": lambda p: f"未执行 {p['action']}：{_drift_zh(p)}",
    },
    "fix_failed": {
        "en": lambda p: f"{p['action']} did not succeed ({p['status']}): {p['message']}",
        "zh": lambda p: (
            f"{p['action']} 未成功（{_status(p['status'])}）：{_quoted(p['message'], p.get('message_said'))}"
        ),
    },
    "fix_unrecorded": {
        "en": lambda p: (
            f"{p['action']} may have run in an earlier attempt of this step and nothing was recorded; "
            "it is not run again: check the workload"
        ),
        "zh": lambda p: f"{p['action']} 可能已在此步骤的上一次尝试中执行，但没有记录；不会再次执行，请检查工作负载",
    },
    # what a verification found: healthy (the resolution's why) or not (the escalation's, the rollback's cause)
    "healthy_cleared": {
        "en": lambda p: f"{p['held']} and every alert has cleared",
        "zh": lambda p: "检查通过，所有告警均已恢复",
    },
    "healthy_after_grace": {
        "en": lambda p: (
            f"{p['held']}; {p['alerts_open']} alert(s) still firing after the {p['grace']}s grace period: "
            "resolved anyway (an alert that keeps firing reopens the incident)"
        ),
        "zh": lambda p: (
            f"检查通过；宽限期 {p['grace']} 秒后仍有 {p['alerts_open']} 条告警在触发，仍予以解决"
            "（告警持续触发会重新打开事件）"
        ),
    },
    "still_unhealthy": {"en": _unhealthy_en, "zh": _unhealthy_zh},
    "cannot_roll_back": {
        "en": lambda p: f"{p['action']} cannot be rolled back",
        "zh": lambda p: f"{p['action']} 无法回滚",
    },
    "rollback_not_allowed": {
        "en": lambda p: f"rollback not allowed by policy rule {p['rule']}: {p['reason']}",
        "zh": lambda p: f"策略规则 {p['rule']} 不允许回滚{_policy_zh(p)}",
    },
    "rollback_needs_approval": {
        "en": lambda p: f"rollback needs a human approval (policy {p['rule']}) and the action had none",
        "zh": lambda p: f"回滚需要人工审批（策略 {p['rule']}），而该操作没有经过审批",
    },
    "will_roll_back": {
        "en": lambda p: f"will try to roll back {p['action']} (policy {p['rule']})",
        "zh": lambda p: f"将尝试回滚 {p['action']}（策略 {p['rule']}）",
    },
    # why the rollback step escalates
    "not_rolled_back": {
        "en": lambda p: f"the fix did not work ({_cause(p, 'en')}); not rolled back: {p['why']}",
        # why: `remediation.restore.restoring`'s one reason, that the fix found the field as it would set it back
        "zh": lambda p: (
            f"修复没有生效（{_cause(p, 'zh')}）；未回滚：{p['fix']} 并未改变要恢复的字段（修复前即是如此），无需恢复"
        ),
    },
    "rolled_back": {"en": _rolled_back_en, "zh": _rolled_back_zh},
    "rollback_unrecorded": {
        "en": lambda p: (
            f"{p['action']} may have been sent by an earlier attempt of this step and its outcome was not recorded; "
            "it is not sent again: check the workload"
        ),
        "zh": lambda p: f"{p['action']} 可能已由此步骤的上一次尝试发送，但结果没有记录；不会再次发送，请检查工作负载",
    },
    # why else the workflow escalates
    "approval_timed_out": {
        "en": lambda p: f"nobody approved or rejected the proposal within {p['timeout']}s; nothing ran",
        "zh": lambda p: f"{p['timeout']} 秒内无人批准或拒绝该提议，未执行任何操作",
    },
    "step_failed": {
        "en": lambda p: f"workflow step failed: {p['error']}: {p.get('cause_text') or ''}",
        "zh": _step_failed_zh,
    },
    # ``child``: the correlated incident whose alert raised its root, if one did
    "severity_raised": {
        "en": lambda p: (
            f"severity raised from {p['from']} to {p['to']} by {p['source']}"
            + (f" (its correlated incident {p['child']})" if p.get("child") else "")
        ),
        "zh": lambda p: (
            (f"关联事件 {p['child']} 的告警（来源 {p['source']}）" if p.get("child") else f"{p['source']} 的告警")
            + f"将严重程度从 {_severity(p['from'])} 提升到 {_severity(p['to'])}"
        ),
    },
    # a test message (`POST /api/notifications/channels/{id}/test`, `POST /api/notifications/test`'s default)
    "channel_test": {
        "en": lambda p: f"Pagerless can reach {p['channel']}.",
        "zh": lambda p: f"Pagerless 可以向 {p['channel']} 发送消息。",
    },
    "test_notification": {"en": lambda p: "Test notification", "zh": lambda p: "这是一条测试通知。"},
}

NOTICES = Catalog(_ENTRIES, "notice")


phrase = NOTICES.phrase  # the phrase ``code`` (a key of ``NOTICES``) with its facts
english = NOTICES.english  # the text stored and sent for a phrase: its English rendering


def data(said: Phrase) -> dict:
    """``said`` as stored in a job's data or a step's result."""
    return said.model_dump(mode="json")


def shown(stored: str | None, said: Mapping | Phrase | None, language: str) -> str | None:
    """``stored`` (text a job or a record holds) in ``language``: rendered from its phrase while ``stored`` is still
    the phrase's English (or its start, where the producer cut it to a length); else ``stored`` as it is."""
    text = (stored or "").strip()
    if not text or not said:
        return stored
    english_text = (NOTICES.render(said, "en") or "").strip()
    if not english_text or not (text == english_text or english_text.startswith(text.rstrip("…"))):
        return stored
    if language_of(language) == "en":
        return stored
    return NOTICES.render(said, language) or stored
