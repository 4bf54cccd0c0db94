"""Verify: is the workload healthy since the action, and have the triggering alerts resolved?

Each check goes on the incident and the timeline. ``next`` is ``resolve`` (healthy),
``recheck`` (checks left), ``rollback`` (the action is reversible and the policy allows its
inverse) or ``escalate``, with the reason.
"""

from datetime import datetime

from pagerless.incidents import timeline
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy import evaluate
from pagerless.store.base import utcnow
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow import cluster
from pagerless.workflow.incidents import ACTOR, load, update
from pagerless.workflow.policies import get_policy, policy_context


def verify(incident_id: str, workspace: str, attempt: int, max_checks: int) -> dict:
    """One verification check; returns ``{"attempt", "next", "reason"}``."""
    from pagerless.remediation.verify import check_workload

    incident = load(incident_id, workspace)
    state = dict(incident.verification or {})
    plan = last_plan(incident)
    since = datetime.fromisoformat(state["since"]) if state.get("since") else incident.updated_at
    kube = cluster.connect()
    try:
        result = check_workload(kube, state.get("target") or plan.target, since)
    finally:
        kube.close()
    attempt = int(attempt) + 1
    alerts_open = int(incident.open_alerts or 0)
    check = {"attempt": attempt, "at": utcnow().isoformat(), "healthy": result.healthy, "reasons": result.reasons,
             "alerts_open": alerts_open, "details": _small(result.details)}
    state["checks"] = [*state.get("checks", []), check]
    reason = "; ".join(result.reasons)
    if result.healthy:
        next_step = "resolve"
    elif attempt < int(max_checks):
        next_step = "recheck"
    else:
        next_step, why = _after_failure(plan, workspace, (incident.approval or {}).get("decided_by"))
        reason = f"still unhealthy after {attempt} checks: {reason}; {why}"
    state["outcome"] = next_step
    update(incident, [IncidentRecord.verification.set(state)])
    message = ("the workload is healthy" + ("" if not alerts_open else f"; {alerts_open} alert(s) not resolved yet")
               if result.healthy else f"check {attempt}/{max_checks}: {'; '.join(result.reasons)[:400]}")
    timeline.record(incident, "verification_check", message, actor=ACTOR,
                    data={"attempt": attempt, "healthy": result.healthy, "next": next_step, "alerts_open": alerts_open})
    return {"attempt": attempt, "next": next_step, "reason": reason[:1000]}


def last_plan(incident: IncidentRecord) -> ActionPlan:
    return ActionPlan.model_validate((incident.proposal or {})["plan"])


def rollback_plan(plan: ActionPlan) -> ActionPlan | None:
    if plan.inverse is None:
        return None
    return ActionPlan.of(plan.inverse, plan.remediation, f"roll back {plan.action.action}: the fix did not work",
                         target=plan.target)


def _after_failure(plan: ActionPlan, workspace: str, approved_by: str | None) -> tuple[str, str]:
    inverse = rollback_plan(plan)
    if inverse is None:
        return "escalate", f"{plan.action.action} cannot be rolled back"
    decision = evaluate(inverse, get_policy(workspace), policy_context(workspace))
    if not decision.allowed:
        return "escalate", f"rollback not allowed by policy rule {decision.rule}: {decision.reason}"
    if decision.requires_approval and not approved_by:
        return "escalate", f"rollback needs a human approval (policy {decision.rule}) and the action had none"
    return "rollback", f"rolling back {plan.action.action} (policy {decision.rule})"


def _small(details: dict) -> dict:
    pods = details.get("pods") or {}
    return {**{k: v for k, v in details.items() if k != "pods"}, "pods": dict(list(pods.items())[:10])}
