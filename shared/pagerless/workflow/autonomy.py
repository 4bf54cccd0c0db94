"""Autonomy: what the policy lets Pagerless do on its own (seed 002's ``/autonomy/status``), and one
cycle over the open incidents (``POST /autonomy/run``).

A cycle, precisely:

1. Nothing happens while the kill switch is on or autonomy is ``observe``.
2. Candidates are the workspace's incidents in ``diagnosed`` or ``escalated`` (newest first, at most
   ``max_incidents``). Incidents in other states either have a workflow at work or wait for a human.
3. A candidate is re-run only if its workflow execution has ended (one Step Functions cannot
   describe now — throttled, unreachable — might still run, so it is skipped), its stored proposal was
   ``blocked`` by the policy, and the policy evaluated *now* (same ``evaluate``, same context as
   the workflow, the incident's service scope included) allows that plan — i.e. the policy changed since (autonomy raised, a namespace
   allowed, a freeze ended, the rate-limit window passed, the action enabled again).
4. Re-running means starting a new incident-response execution for the incident: it gathers fresh
   context, diagnoses again, proposes and asks the policy again, then runs at once (``auto``) or
   asks for approval (``approval``) exactly as a new incident would. Nothing is executed by the
   cycle itself, so nothing can bypass the policy or the approval step.

Everything else is reported as skipped with the reason (a proposal that failed, was rejected or
ran already is never retried by a cycle); one the policy still refuses carries the decision (``rule``, ``reason`` and its
phrase, ``reason_phrase``, to be said in Chinese too), as the workflow would store it.
"""

import os
from datetime import UTC, datetime

from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import timeline
from pagerless.remediation.actions import ACTION_TYPES, ActionPlan, BlastRadius, Risk
from pagerless.remediation.policy import Autonomy, Policy, evaluate
from pagerless.remediation.policy_phrases import stored
from pagerless.remediation.service_scope import ServiceScope
from pagerless.remediation.workspace_policy import get_policy, policy_context

CANDIDATES = (IncidentStatus.DIAGNOSED.value, IncidentStatus.ESCALATED.value)
MAX_INCIDENTS_PER_CYCLE = 20


def autonomy_status(workspace: str) -> dict:
    """Seed 002's fields from the workspace's policy, plus the policy's own words."""
    from pagerless.plugin_switches import disabled

    policy = get_policy(workspace)
    off = disabled(workspace, "action")
    active = not policy.kill_switch and policy.autonomy is not Autonomy.OBSERVE
    return {
        "enabled": active and policy.autonomy in (Autonomy.AUTO, Autonomy.AUTO_SAFE),
        "approval_required": policy.autonomy is not Autonomy.AUTO,
        "default_dry_run": not active,
        "poll_interval_seconds": None,  # no schedule: a cycle runs on POST /autonomy/run
        "max_incidents_per_cycle": MAX_INCIDENTS_PER_CYCLE,
        "autonomous_actions": _autonomous_actions(policy, off) if active else [],
        "allowed_namespaces": list(policy.allowed_namespaces),
        "deployment_profile": "lambda" if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else "local",
        "autonomy": policy.autonomy.value,
        "kill_switch": policy.kill_switch,
        "denied_namespaces": list(policy.denied_namespaces),
        "max_blast_radius": policy.max_blast_radius.value,
        "disabled_actions": sorted(off),
        "allows": _allows(policy),
    }


def _autonomous_actions(policy: Policy, off: frozenset[str]) -> list[str]:
    """Catalog actions that may run without a human under this policy (by their catalog risk)."""
    names = []
    for action_type in ACTION_TYPES:
        name = action_type.model_fields["action"].default
        if name in off or action_type.blast_radius.rank > policy.max_blast_radius.rank:
            continue
        safe = action_type.risk is Risk.LOW and action_type.blast_radius in (
            BlastRadius.SINGLE_POD,
            BlastRadius.DEPLOYMENT,
        )
        if action_type.always_approve:
            continue
        if policy.autonomy is Autonomy.AUTO or (policy.autonomy is Autonomy.AUTO_SAFE and safe):
            names.append(name)
    return names


def _allows(policy: Policy) -> str:
    if policy.kill_switch:
        return "nothing runs: the kill switch is on"
    return {
        Autonomy.OBSERVE: "proposals only: nothing runs",
        Autonomy.APPROVE: "every action runs only after a human approves it",
        Autonomy.AUTO_SAFE: "low-risk actions on one pod or deployment run at once; others need approval",
        Autonomy.AUTO: "every action the other rules allow runs at once",
    }[policy.autonomy]


def run_cycle(workspace: str, actor: str, max_incidents: int = MAX_INCIDENTS_PER_CYCLE) -> dict:
    """One cycle (see the module's docstring); returns what was re-run and what was skipped, and why."""
    from pagerless.incidents.service import IncidentService
    from pagerless.knowledge.service import service_scope

    started = datetime.now(UTC)
    policy = get_policy(workspace)
    result = {
        "started_at": started.isoformat(),
        "autonomy": policy.autonomy.value,
        "ran": False,
        "examined": 0,
        "rerun": [],
        "skipped": [],
    }
    if policy.kill_switch or policy.autonomy is Autonomy.OBSERVE:
        result["reason"] = _allows(policy)
        return result
    result["ran"] = True
    context = policy_context(workspace)
    catalog = service_scope(workspace, None)  # read once: each incident's scope names its own service
    service = IncidentService()
    candidates = [i for status in CANDIDATES for i in service.search(workspace, status=status, limit=max_incidents)[0]]
    candidates.sort(key=lambda i: i.updated_at, reverse=True)
    for incident in candidates[:max_incidents]:
        result["examined"] += 1
        scoped = context.model_copy(update={"scope": ServiceScope(**{**catalog, "service": incident.service})})
        reason, decision = _why_not(incident, policy, scoped)
        if reason:
            skipped = {"incident_id": incident.id, "status": incident.status, "reason": reason}
            result["skipped"].append(skipped | ({"decision": stored(decision)} if decision else {}))
            continue
        result["rerun"].append(_rerun(incident, decision, actor, started))
    return result


def _why_not(incident, policy: Policy, context):
    proposal = incident.proposal or {}
    running = _running(incident.execution_arn)
    if running:
        return running, None
    if proposal.get("status") != "blocked" or not proposal.get("plan"):
        return f"its proposal was not blocked by the policy (status {proposal.get('status') or 'none'})", None
    decision = evaluate(ActionPlan.model_validate(proposal["plan"]), policy, context)
    if not decision.allowed:
        return f"still blocked by policy rule {decision.rule}: {decision.reason}", decision
    return None, decision


def _rerun(incident, decision, actor: str, started: datetime) -> dict:
    from pagerless.workflow.executions import start_incident_workflow

    arn = start_incident_workflow(incident, name=f"{incident.id}-autonomy-{started:%Y%m%dT%H%M%S}")
    message = f"autonomy cycle: the policy now allows the blocked proposal (rule {decision.rule}); workflow re-run"
    timeline.record(
        incident, "autonomy_rerun", message, actor=actor, data={"rule": decision.rule, "execution_arn": arn}
    )
    return {
        "incident_id": incident.id,
        "previous_status": incident.status,
        "execution_arn": arn,
        "rule": decision.rule,
        "requires_approval": decision.requires_approval,
    }


def _running(execution_arn: str | None) -> str | None:
    """Why the incident's workflow may still be at work, or None when it has ended (or never was).
    A describe that fails for another reason than a missing execution (throttled, unreachable)
    leaves it unknown, which counts as running: a second execution would act twice."""
    if not execution_arn:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    from pagerless import step_functions

    try:
        status = step_functions.client().describe_execution(executionArn=execution_arn)["status"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ExecutionDoesNotExist":
            return None  # an execution Step Functions does not know is not running
        return f"its workflow's state is unknown (Step Functions: {code or exc}); not re-run this cycle"
    except BotoCoreError as exc:
        return f"its workflow's state is unknown (Step Functions: {type(exc).__name__}); not re-run this cycle"
    return "its workflow is still running" if status == "RUNNING" else None
