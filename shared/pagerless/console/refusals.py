"""A service's refusal as a Chinese console page says it, from its error code and the facts its ``details`` carry
(the API's JSON keeps the service's English ``message`` and ``detail``): a run whose context lacks a field, a policy
that blocks an action, an approval decided, timed out or superseded meanwhile, a run stopped before its step's decision, an incident already resolved or
acknowledged. A refusal none of these says is shown in English as the service wrote it.

``REFUSALS``: an explicit registry, error code -> the ways it is said, tried in order; each returns None when the
details are not its own. Stdlib and `pagerless.domain.actors` only: imported when an error page is rendered in
Chinese. Who decided is named as the cards name them (``decided_by_label``: 艾丽丝（per_1）), else by id.
"""

from collections.abc import Callable

from pagerless.domain.actors import full_width

Said = Callable[[list[dict]], str | None]

_DECIDED = {"approved": "批准", "rejected": "拒绝"}
_STATUSES = {
    "open": "打开",
    "diagnosing": "诊断中",
    "diagnosed": "已诊断",
    "remediating": "修复中",
    "verifying": "验证中",
    "escalated": "已升级",
    "resolved": "已解决",
}


def _first(details: list[dict]) -> dict:
    return next((d for d in details if isinstance(d, dict)), {})


def _context_missing(details: list[dict]) -> str | None:
    fields = [
        d["field"].removeprefix("context.")
        for d in details
        if str(d.get("field", "")).startswith("context.") and d.get("message") == "required by a step"
    ]
    return f"运行所需的上下文缺少：{'、'.join(fields)}" if fields else None


def _namespace_required(details: list[dict]) -> str | None:
    return "此 Runbook 要求提供命名空间（namespace）" if details == [{"field": "context.namespace"}] else None


def _label_required(details: list[dict]) -> str | None:
    found = _first(details)
    rule = str(found.get("message") or "")
    if not rule.startswith("require_label:"):
        return None
    label = rule.removeprefix("require_label:")
    if found.get("context_field"):  # the run's context can carry it
        return f"此 Runbook 要求标签 {label}：请在带有该标签的事件上运行，或在上下文中提供 {label}"
    if "context_field" in found:
        return f"此 Runbook 要求标签 {label}：请在带有该标签的事件上运行（上下文没有 {label} 字段）"
    return f"此 Runbook 要求标签 {label}"


def _manual_only(details: list[dict]) -> str | None:
    manual = _first(details) == {"field": "dry_run", "message": "must be true for a manual runbook"}
    return "这是手动 Runbook：Pagerless 只会试运行它，请勾选试运行" if manual else None


def _policy_blocked(details: list[dict]) -> str | None:
    found = _first(details)
    if not found.get("rule") or "reason" not in found:
        return None
    return f"被策略规则 {found['rule']} 阻止，未执行任何操作（{found['reason']}）"  # the policy's words, as stored


def _run_stopped(details: list[dict]) -> str | None:
    who = _first(details).get("stopped_by")
    return f"该运行已被 {who} 停止，此决定未生效，未执行任何操作" if who else None


def _approval_conflict(details: list[dict]) -> str | None:
    found = _first(details)
    status = found.get("status")
    if status == "expired":
        return "审批已超时，未执行任何操作"
    if status == "superseded":
        return "此审批已被新的审批请求取代，未做任何更改"
    if status in _DECIDED and found.get("decided_by"):
        who = full_width(str(found.get("decided_by_label") or found["decided_by"]))  # 艾丽丝（per_1）
        return f"该提议已由 {who} {_DECIDED[status]}，该决定保持有效"
    if status == "resolved" and "resolved_by" in found:
        return "事件已解决" + (f"（由 {found['resolved_by']} 解决）" if found.get("resolved_by") else "")
    if status in _STATUSES and len(found) == 1:
        return f"事件当前为「{_STATUSES[status]}」，已没有需要决定的事项"
    if found.get("acknowledged_by"):
        return f"事件已由 {found['acknowledged_by']} 确认"
    return None


REFUSALS: dict[str, tuple[Said, ...]] = {
    "VALIDATION_ERROR": (_context_missing, _namespace_required, _label_required, _manual_only),
    "FORBIDDEN": (_policy_blocked,),
    "CONFLICT": (_run_stopped, _approval_conflict),
}


def said(code: str, message: str, details: list, language: str) -> str:
    """A refusal's message in ``language``: in Chinese as its code and details say it, where one of ``REFUSALS``
    does; else ``message`` as the service wrote it."""
    if language != "zh":
        return message
    facts = [d for d in details or [] if isinstance(d, dict)]
    for way in REFUSALS.get(code, ()):
        if (chinese := way(facts)) is not None:
            return chinese
    return message
