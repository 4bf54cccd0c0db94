"""Verify: did the action do what it promised, is the workload healthy since, have the alerts resolved?

Resolved takes both: the check passing (``remediation.verify.check_action``: a node action's
cordon or drain in place and the alert's workload, if the target names one, healthy; any other
action's workload healthy) AND every alert of the incident cleared at its source.
A healthy workload whose alerts still fire is checked again until they clear or the grace period
(``PAGERLESS_WORKFLOW_ALERT_CLEAR_GRACE_SECONDS``, 600 s after the fix) has passed; then it
resolves, saying so (an alert that keeps firing afterwards reopens the incident). Only unhealthy
checks count against ``max_checks``.

Each check goes on the incident and the timeline. ``next`` is ``resolve``, ``recheck``,
``rollback`` (the action is reversible and the policy allows its inverse) or ``escalate``, with
the reason.
"""

from pagerless import settings
from pagerless.clock import parse_time, utcnow
from pagerless.incidents import timeline
from pagerless.incidents.notice_phrases import data, decided_by_policy, english, found_unhealthy, phrase
from pagerless.kube import cluster
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy import evaluate
from pagerless.remediation.workspace_policy import get_policy, policy_context
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow.incidents import ACTOR, load, update


def verify(
    incident_id: str,
    workspace: str,
    attempt: int,
    max_checks: int,
    *,
    retried: bool = False,
    execution_arn: str | None = None,
) -> dict:
    """One verification check; returns ``{"attempt", "next", "reason", "reason_phrase"}`` (the reason as a phrase:
    `pagerless.incidents.notice_phrases`; None while it rechecks). ``retried``: Step Functions runs the step again
    (an attempt failed, perhaps after storing its check): a check this execution stored for this attempt is kept,
    with its outcome, not made again nor counted twice. Its `verification_check` entry is stored once per check and
    its live event sent last, by the attempt that succeeds: an attempt that failed after writing the entry sent none,
    and its retry sends it."""
    incident = load(incident_id, workspace)
    attempt = int(attempt) + 1
    state = dict(incident.verification or {})
    check = _stored_check(state, attempt, execution_arn) if retried else None
    if check is None:
        if retried:
            state = _without_unnamed(state, attempt)
        state, check = _check(incident, state, attempt, int(max_checks), execution_arn)
    _say_check(incident, state, check, max_checks, execution_arn)
    return {
        "attempt": attempt,
        "next": state["outcome"],
        "reason": state["reason"],
        "reason_phrase": state.get("reason_phrase"),
    }


def _stored_check(state: dict, attempt: int, execution_arn: str | None) -> dict | None:
    """The last stored check if this execution made it for ``attempt``, its outcome stored beside it; else None."""
    checks = state.get("checks") or []
    last = checks[-1] if checks else None
    if last is None or last.get("attempt") != attempt or not state.get("outcome"):
        return None
    return last if "execution_arn" in last and last["execution_arn"] == execution_arn else None


def _without_unnamed(state: dict, attempt: int) -> dict:
    """``state`` without its last check if that is of ``attempt`` and names no execution (stored before checks
    named theirs: perhaps this step's earlier attempt, perhaps an execution's before a restart): it is made again,
    in its place, not counted twice nor its outcome taken for this execution's."""
    checks = list(state.get("checks") or [])
    if checks and checks[-1].get("attempt") == attempt and "execution_arn" not in checks[-1]:
        return {**state, "checks": checks[:-1]}
    return state


def _check(
    incident: IncidentRecord, state: dict, attempt: int, max_checks: int, execution_arn: str | None
) -> tuple[dict, dict]:
    """Check the cluster and the alerts, and store the check with its outcome on the incident; returns both."""
    from pagerless.remediation.verify import check_action

    plan = last_plan(incident)
    since = parse_time(state["since"]) if state.get("since") else incident.updated_at
    kube = cluster.connect()
    try:
        # a node action is checked for what it promised, and the workload its target names if any
        result = check_action(kube, plan, since, state.get("target") or plan.target)
    finally:
        kube.close()
    now = utcnow()
    alerts_open = int(incident.open_alerts or 0)
    check = {
        "attempt": attempt,
        "at": now.isoformat(),
        "healthy": result.healthy,
        "reasons": result.reasons,
        "said": found_unhealthy(result)["said"],  # each reason's phrase (check_phrases), aligned with ``reasons``
        "alerts_open": alerts_open,
        "details": _small(result.details),
        "execution_arn": execution_arn,
    }
    state["checks"] = [*state.get("checks", []), check]
    unhealthy = _unhealthy(state)
    reason = "; ".join(result.reasons)
    said = None
    grace = settings.workflow_timing().alert_clear_grace_seconds
    waited = (now - since).total_seconds()
    held = result.summary or "the workload is healthy"
    if result.healthy and not alerts_open:
        next_step, said = "resolve", phrase("healthy_cleared", held=held)
    elif result.healthy and waited >= grace:
        next_step, said = "resolve", phrase("healthy_after_grace", held=held, alerts_open=alerts_open, grace=grace)
    elif result.healthy:
        next_step = "recheck"
        reason = f"{held}; waiting for {alerts_open} alert(s) to clear ({int(waited)}s of {grace}s)"
    elif unhealthy < max_checks:
        next_step = "recheck"
    else:
        next_step, why = _after_failure(plan, incident.workspace, fix_approver(incident, plan))
        said = phrase("still_unhealthy", checks=unhealthy, **found_unhealthy(result), cause=data(why))
    if said is not None:
        reason = english(said)
    state["outcome"] = next_step
    state["reason"] = reason[:1000]
    state["reason_phrase"] = data(said) if said is not None else None
    update(incident, verification=state)
    return state, check


def _unhealthy(state: dict) -> int:
    return sum(1 for c in state.get("checks", []) if not c.get("healthy"))


def _say_check(incident: IncidentRecord, state: dict, check: dict, max_checks: int, execution_arn: str | None) -> None:
    """The check's `verification_check` entry, stored once (keyed by the execution and the attempt, at the check's
    time), then its live event: last, so a retry after a failed attempt sends it once."""
    if check["healthy"]:
        message = state["reason"][:400]
    else:
        message = f"check {_unhealthy(state)}/{max_checks}: {'; '.join(check['reasons'])[:400]}"
    said = {
        "attempt": check["attempt"],
        "healthy": check["healthy"],
        "next": state["outcome"],
        "alerts_open": check["alerts_open"],
        # why not healthy, each reason's phrase beside it (check_phrases: a Chinese timeline line says them)
        **({} if check["healthy"] else {"reasons": check["reasons"][:5], "said": (check.get("said") or [])[:5]}),
    }
    once = f"verification_check#{execution_arn or '-'}#{check['attempt']}"
    at = parse_time(check["at"])
    timeline.record(incident, "verification_check", message, actor=ACTOR, data=said, once=once, at=at, live=False)
    entry = timeline.once_entry(at, once)  # once: a retry after a lost answer sends nothing
    timeline.announce(incident, "verification_check", message, actor=ACTOR, data=said, entry=entry)


def last_plan(incident: IncidentRecord) -> ActionPlan:
    return ActionPlan.model_validate((incident.proposal or {})["plan"])


def fix_record(incident: IncidentRecord, plan: ActionPlan) -> dict | None:
    """The workflow's record of ``plan`` run as the fix (not its rollback), the latest; None if it did not run."""
    fixes = [
        entry
        for entry in incident.actions or []
        if entry.get("plan_id") == plan.id and entry.get("source") == "workflow" and not entry.get("rollback")
    ]
    return fixes[-1] if fixes else None


def fix_approver(incident: IncidentRecord, plan: ActionPlan) -> str | None:
    """Who approved the fix that ran: its rollback runs on that approval. Not whoever decided the
    incident's latest approval, which may be a rejection or the approval of another plan."""
    return (fix_record(incident, plan) or {}).get("approved_by")


def rollback_plan(plan: ActionPlan) -> ActionPlan | None:
    if plan.inverse is None:
        return None
    from pagerless.remediation.reasons import reason

    why = reason("rollback_fix", action=plan.action.action)
    return ActionPlan.of(plan.inverse, plan.remediation, why, target=plan.target)


def _after_failure(plan: ActionPlan, workspace: str, approved_by: str | None):
    """What follows a fix that did not work (``rollback`` or ``escalate``), and why (a phrase)."""
    inverse = rollback_plan(plan)
    if inverse is None:
        return "escalate", phrase("cannot_roll_back", action=plan.action.action)
    decision = evaluate(inverse, get_policy(workspace), policy_context(workspace))
    if not decision.allowed:
        return "escalate", phrase("rollback_not_allowed", **decided_by_policy(decision))
    if decision.requires_approval and not approved_by:
        return "escalate", phrase("rollback_needs_approval", rule=decision.rule)
    # the rollback step decides whether anything is to be set back (pagerless.remediation.restore)
    # and says what it did: this reason only says it will try
    return "rollback", phrase("will_roll_back", action=plan.action.action, rule=decision.rule)


def _small(details: dict) -> dict:
    pods = details.get("pods") or {}
    return {**{k: v for k, v in details.items() if k != "pods"}, "pods": dict(list(pods.items())[:10])}
