"""Remediate: ask the policy again, then run the proposed action; the outcome goes on the incident.

The policy is evaluated at run time too: a kill switch turned on while a human was approving
stops the action. A policy that wants approval is satisfied only by a recorded approval. The plan
runs only on the workload its dry run saw (``changed_since_dry_run``), and never twice when the
step itself is run again.
"""

from pagerless import settings
from pagerless.clock import parse_time, utcnow
from pagerless.domain.approvals import APPROVED
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import timeline
from pagerless.incidents.notice_phrases import data, decided_by_policy, english, phrase
from pagerless.knowledge.service import service_scope
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy import evaluate
from pagerless.remediation.workspace_policy import get_policy, policy_context
from pagerless.store.approvals import ApprovalRepository
from pagerless.workflow.execute_plan import execute_and_record
from pagerless.workflow.incidents import ACTOR, advance, load


class NoProposalError(Exception):
    """Remediate ran for an incident without a runnable proposal (a deploy mismatch)."""


def timings(options: dict | None, defaults: dict | None) -> dict:
    """Verification durations: execution input ``options``, then env overrides, then the template's."""
    env = settings.workflow_timing()
    options, defaults = options or {}, defaults or {}
    wait = options.get("verify_wait_seconds", env.verify_wait_seconds)
    checks = options.get("verify_max_checks", env.verify_max_checks)
    return {
        "verify_wait_seconds": int(wait if wait is not None else defaults.get("verify_wait_seconds") or 60),
        "verify_max_checks": int(checks if checks is not None else defaults.get("verify_max_checks") or 5),
    }


def _approver(approval, proposal: dict) -> str | None:
    """Who approved this very proposal: an approval shown an earlier plan (the proposal was replaced
    since), or requested before this proposal was made (the same plan proposed again, in a later run
    of the workflow), approves nothing here. Approvals and proposals stored before they carried their
    plan and time count as before."""
    if approval is None or approval.status != APPROVED:
        return None
    proposed_at = parse_time(proposal.get("proposed_at"))
    if proposed_at is not None and approval.requested_at < proposed_at:
        return None
    shown = (approval.proposal or {}).get("plan")
    return approval.decided_by if shown is None or shown == proposal["plan"] else None


def remediate(incident_id: str, workspace: str, options: dict | None = None, defaults: dict | None = None) -> dict:
    """Run the proposal's plan; ``next`` is ``verify`` or ``escalate`` (with the reason, and its phrase
    ``reason_phrase``: `pagerless.incidents.notice_phrases`, which the escalate step says it in)."""
    incident = load(incident_id, workspace)
    proposal = incident.proposal or {}
    if not proposal.get("plan"):
        raise NoProposalError(f"incident {incident_id} has no plan to run")
    plan = ActionPlan.model_validate(proposal["plan"])
    result = {"next": "escalate", "reason": "", "reason_phrase": None, **timings(options, defaults)}
    if incident.status in (IncidentStatus.REMEDIATING.value, IncidentStatus.VERIFYING.value):
        return _ran_before(incident, plan, result)
    scope = service_scope(workspace, incident.service)
    decision = evaluate(plan, get_policy(workspace), policy_context(workspace, scope=scope))
    approval = ApprovalRepository().latest(incident_id)
    approved_by = _approver(approval, proposal)
    if not decision.allowed:
        _because(result, phrase("policy_refused", action=plan.action.action, **decided_by_policy(decision)))
        timeline.record(incident, "action_refused", result["reason"], actor=ACTOR, data={"rule": decision.rule})
        return result
    if drift := changed_since_dry_run(plan, proposal):
        _because(result, phrase("changed_since", action=plan.action.action, differences=drift))
        timeline.record(incident, "action_refused", result["reason"], actor=ACTOR, data={"rule": "changed_since"})
        return result
    approval_view = {**approval.to_public(), "proposal": None} if approval is not None else None
    advance(
        incident,
        IncidentStatus.REMEDIATING,
        f"running {plan.action.action}",
        changes={"approval": approval_view} if approval_view else None,
    )
    outcome, _ = execute_and_record(
        plan,
        decision,
        workspace=workspace,
        approved_by=approved_by,
        incident=incident,
        entry={"source": "workflow", "remediation": plan.remediation, "plan": plan.model_dump(mode="json")},
    )
    entry = tell_executed(incident, plan, outcome, generation=str(len(incident.actions or [])))
    if outcome.status != "succeeded":
        _because(
            result,
            phrase(
                "fix_failed",
                action=plan.action.action,
                status=outcome.status,
                message=outcome.message,
                message_said=outcome.message_phrase,
            ),
        )
    else:
        _start_verification(incident, plan, outcome.started_at.isoformat())
        result["next"] = "verify"
    _announce_executed(incident, outcome, entry)  # last: a retry after an attempt AWS failed sends it (`_ran_before`)
    return result


def _executed(outcome) -> tuple[str, str, dict]:
    """The `action_executed` entry of the fix's ``outcome`` (an `ActionOutcome`): its message, actor and data; the
    data names the fix by when it started (``fix_at``), which a retried step finds it by."""
    said = {
        "action": outcome.action,
        "status": outcome.status,
        "rule": outcome.decision_rule,
        "approved_by": outcome.approved_by,
        "attempts": outcome.attempts,
        "fix_at": outcome.started_at.isoformat(),
    }
    return outcome.message[:500], outcome.approved_by or ACTOR, said


def tell_executed(incident, plan: ActionPlan, outcome, *, generation: str) -> str:
    """The fix's `action_executed` entry, once per fix (stored without its live event: `_announce_executed` sends it
    last), and its `incident.remediated` notice (of ``generation``: the same for a retry, which the notify function's
    delivery ids make a no-op when the first attempt queued it). The entry's key."""
    from pagerless.incidents.notices import publish
    from pagerless.remediation.diff import render

    message, actor, said = _executed(outcome)
    found = timeline.entry_with(incident.id, "action_executed", fix_at=said["fix_at"])
    entry = found or timeline.record(incident, "action_executed", message, actor=actor, data=said, live=False)
    applied = phrase(
        "fix_applied",
        action=plan.action.action,
        status=outcome.status,
        message=outcome.message,
        message_said=outcome.message_phrase,  # a refusal's Chinese (`notice_phrases._quoted`)
        changes=render(outcome.changes),
    )
    publish(
        "incident.remediated",
        incident,
        generation=generation,
        data={"message": english(applied)[:1000], "message_phrase": data(applied), "action": plan.action.action},
    )
    return entry.sk


def _announce_executed(incident, outcome, entry: str) -> None:
    """The live event of the fix's entry, once (a retry whose earlier attempt sent it and lost only its answer
    sends nothing)."""
    message, actor, said = _executed(outcome)
    timeline.announce(incident, "action_executed", message, actor=actor, data=said, entry=entry)


def _because(result: dict, said) -> None:
    """Put the escalation's reason on the step's ``result``: its English, and the phrase it is said from."""
    result["reason"], result["reason_phrase"] = english(said), data(said)


def changed_since_dry_run(plan: ActionPlan, proposal: dict) -> list[dict] | None:
    """How the workload differs from what the proposal's dry run found (and the approver saw), field by field
    (``{"field", "was", "now"}``), or None.

    The plan sets values computed from the workload as it was then (a limit, a replica count, a
    revision); on a workload changed since, it would do something nobody was shown (lower a limit
    a person has raised meanwhile). A drain is not compared: the pods on a node come and go."""
    shown = proposal.get("dry_run") or {}
    if plan.action.action == "drain_node" or shown.get("status") != "would_change":
        return None
    from pagerless.kube import cluster
    from pagerless.remediation.executor import dry_run

    kube = cluster.connect()
    try:
        now = dry_run(plan, kube)
    finally:
        kube.close()
    if now.status != "would_change":  # it would change nothing, or fail: the executor says so as it runs
        return None
    found = {c["field"]: c.get("before") for c in shown.get("changes") or []}
    finds = {c["field"]: c.get("before") for c in (change.model_dump(mode="json") for change in now.changes)}
    differences = [
        {"field": field, "was": str(found.get(field, "(not changed)")), "now": str(finds.get(field, "(not changed)"))}
        for field in [*found, *(f for f in finds if f not in found)]
        if found.get(field, ...) != finds.get(field, ...)
    ]
    return differences or None


def _start_verification(incident, plan: ActionPlan, since: str) -> None:
    advance(
        incident,
        IncidentStatus.VERIFYING,
        "checking that the fix worked",
        changes={
            "verification": {"since": since, "checks": [], "target": plan.target, "started_at": utcnow().isoformat()}
        },
    )


def _ran_before(incident, plan: ActionPlan, result: dict) -> dict:
    """The step runs again for an incident it already moved on (Step Functions retried it after
    the function had run): the fix is never sent twice; the workflow goes on from what was recorded."""
    from pagerless.remediation.executor import ActionOutcome
    from pagerless.workflow.verify import fix_record

    fix = fix_record(incident, plan)
    outcome = ActionOutcome.model_validate(fix) if fix is not None else None
    entry = None
    if outcome is not None:  # what the attempt that ran it may not have said (AWS failed it after the fix was sent)
        entry = tell_executed(incident, plan, outcome, generation=str(_position(incident, fix)))
    if fix is None:
        _because(result, phrase("fix_unrecorded", action=plan.action.action))
    elif fix.get("status") != "succeeded":
        failed = phrase(
            "fix_failed",
            action=plan.action.action,
            status=fix.get("status"),
            message=fix.get("message"),
            message_said=fix.get("message_phrase"),
        )
        _because(result, failed)
    else:
        if not incident.verification or incident.status == IncidentStatus.REMEDIATING.value:
            _start_verification(incident, plan, fix["started_at"])
        result["next"] = "verify"
    timeline.record(
        incident,
        "action_not_repeated",
        f"the remediate step ran again; {plan.action.action} was not sent again"
        + (f": {result['reason']}" if result["reason"] else ""),
        actor=ACTOR,
        data={"action": plan.action.action, "next": result["next"]},
    )
    if outcome is not None and entry is not None:
        _announce_executed(incident, outcome, entry)
    return result


def _position(incident, fix: dict) -> int:
    """Where the fix is in the incident's actions: the number of actions before it, the generation its notice had."""
    return next(i for i, entry in enumerate(incident.actions or []) if entry is fix)
