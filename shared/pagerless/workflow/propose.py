"""Propose: plan actions from the diagnosis, dry-run the chosen one on the server, ask the policy.

The proposal (plan, dry-run diff, decision with its rule, alternatives) is stored on the
incident; the state machine only gets the route: ``none`` (nothing Pagerless may run),
``blocked`` (the policy denied every plan), ``auto`` or ``approval``.
"""

from pagerless import settings
from pagerless.clock import parse_time, utcnow
from pagerless.diagnosis.models import Diagnosis
from pagerless.incidents import timeline
from pagerless.knowledge.service import service_scope
from pagerless.kube import cluster
from pagerless.remediation import policy_phrases
from pagerless.remediation.actions import ActionPlan, NoAction
from pagerless.remediation.policy import Decision, Policy, evaluate
from pagerless.remediation.reasons import nothing_planned
from pagerless.remediation.workspace_policy import get_policy, policy_context
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow.incidents import ACTOR, load, update

NO_CLUSTER = "no cluster configured: nothing was planned against a cluster, nothing was dry-run and nothing ran"


def propose(
    incident_id: str,
    workspace: str,
    options: dict | None = None,
    *,
    execution_arn: str | None = None,
    entered_at: str | None = None,
) -> dict:
    """Store the incident's proposal; returns ``{"route", "approval_timeout_seconds"}``. With the time the step's
    state was entered (``entered_at``: ``$$.State.EnteredTime``, the same for every retry of the step) its `proposal`
    entry is written once per execution, at that time, and its live event sent last, by the attempt that succeeds (a
    retry after a failed attempt neither writes it twice nor loses its event)."""
    incident = load(incident_id, workspace)
    said = {"execution_arn": execution_arn, "entered_at": entered_at}
    diagnosis = Diagnosis.model_validate(incident.diagnosis)
    policy = get_policy(workspace)
    try:
        kube = cluster.connect()
    except cluster.ClusterNotConfiguredError:
        proposal = {
            "status": "no_cluster",
            "route": "none",
            "message": NO_CLUSTER,
            "remediations": diagnosis.remediations,
        }
        return _store(incident, proposal, policy, options, **said)
    try:
        proposal = _plan_and_check(diagnosis, kube, workspace, policy, service=incident.service)
    finally:
        kube.close()
    return _store(incident, proposal, policy, options, **said)


def _plan_and_check(diagnosis: Diagnosis, kube, workspace: str, policy: Policy, *, service: str | None) -> dict:
    from pagerless.remediation.executor import dry_run
    from pagerless.remediation.planner import PlannerLimits, plan_diagnosis

    # the planner proposes within the policy's bounds, which judge every action whatever its source
    limits = PlannerLimits.within(policy.action_limits)
    read: dict = {}  # the target's pod, read once: for its deployment, then for its owner
    from pagerless.remediation.dependency import catalogued_dependency, dependency_target, is_dependency_outage
    from pagerless.remediation.service_scope import ServiceScope

    # the alert named the service and the target: the service catalog, not its labels, bounds where a fix may act
    scope = service_scope(workspace, service)
    if is_dependency_outage(diagnosis.category, diagnosis.target):  # the fix is the dependency's, not the caller's
        # a diagnosis naming the dependency without its Deployment (Claude's): the catalog's dependency entry says it
        target = catalogued_dependency(diagnosis.target, ServiceScope(**scope))
        diagnosis = diagnosis.model_copy(update={"target": target})
        named = dependency_target(target)
        dependency = _dependency_workload(kube, named) if named else None
        planned = plan_diagnosis(diagnosis, dependency=dependency, limits=limits)
    else:
        planned = plan_diagnosis(diagnosis, _workload(kube, diagnosis.target, read), limits=limits)
    from pagerless.remediation.workloads import with_pod_owner

    plans = [with_pod_owner(p, kube, read=read) for p in planned if isinstance(p, ActionPlan)]
    not_automated = [
        {"remediation": p.remediation, "reason": p.reason, "reason_phrase": p.why.model_dump() if p.why else None}
        for p in planned
        if isinstance(p, NoAction)
    ]
    if not plans:
        reason = why_nothing(not_automated)
        return {
            "status": "no_action",
            "route": "none",
            "not_automated": not_automated,
            "reason": reason,
            # said in the reader's language (remediation.reasons: `reasons.said`)
            "reason_phrase": nothing_planned(not_automated).model_dump(mode="json"),
            "message": f"nothing proposed: {reason}; a human takes it from here",
        }
    context = policy_context(workspace, scope=scope)
    judged = [(plan, evaluate(plan, policy, context)) for plan in plans]
    # The first plan the policy allows; if it allows none, show the first with the rule that blocked it.
    plan, decision = next(((p, d) for p, d in judged if d.allowed), judged[0])
    checked = dry_run(plan, kube, decision)  # a drain's per-pod namespace rules apply
    proposal = {
        **describe(plan, decision),
        "dry_run": {**checked.model_dump(mode="json"), "diff": checked.diff},
        "alternatives": [{**describe(p, d), "chosen": False} for p, d in judged if p.id != plan.id],
        "not_automated": not_automated,
    }
    if not decision.allowed:
        return {
            **proposal,
            "status": "blocked",
            "route": "blocked",
            "message": f"blocked by policy rule {decision.rule}: {decision.reason}; nothing ran",
        }
    if checked.status == "no_change":
        return {
            **proposal,
            "status": "no_change",
            "route": "none",
            "message": f"{plan.action.action} would change nothing (server-side dry run); nothing ran",
        }
    if checked.status != "would_change":
        return {
            **proposal,
            "status": "dry_run_failed",
            "route": "none",
            "message": f"the server-side dry run failed ({checked.status}): {checked.message}; nothing ran",
        }
    route = "approval" if decision.requires_approval else "auto"
    return {
        **proposal,
        "status": "proposed",
        "route": route,
        "message": f"{plan.action.action} proposed; policy {decision.rule}: {decision.reason}",
    }


def why_nothing(not_automated: list[dict]) -> str:
    """Why no remediation became an action ("rollback_deployment: deployment x has no earlier revision")."""
    if not not_automated:
        return "the diagnosis suggests no remediation"
    return "; ".join(f"{item['remediation']}: {item['reason']}" for item in not_automated)


def describe(plan: ActionPlan, decision: Decision) -> dict:
    return {
        "plan": plan.model_dump(mode="json"),
        "plan_id": plan.id,
        "action": plan.action.action,
        "description": plan.action.description,
        "reason": plan.reason,
        "reason_phrase": plan.why.model_dump(mode="json") if plan.why else None,
        "risk": plan.risk.value,
        "blast_radius": plan.blast_radius.value,
        "reversible": plan.inverse is not None,
        "decision": policy_phrases.stored(decision),  # its reason's phrase beside the English
    }


def _workload(kube, target: dict, read: dict):
    from pagerless.remediation.workloads import read_workload

    workload = read_workload(kube, target, read)
    if workload.deployment is None and target.get("workload") and not target.get("deployment"):
        workload = read_workload(kube, {**target, "deployment": target["workload"]}, read)
    return workload


def _dependency_workload(kube, target: dict):
    """A dependency's Deployment as the planner reads it, with the events that may say what it ran before."""
    from dataclasses import replace

    from pagerless.remediation.workloads import deployment_events, read_workload

    workload = read_workload(kube, target)
    if workload.deployment is None:
        return workload
    return replace(workload, events=deployment_events(kube, workload.deployment))


def approval_timeout(policy: Policy, options: dict | None) -> int:
    """The execution input's ``options.approval_timeout_seconds``, the env override, or the policy's."""
    override = (options or {}).get("approval_timeout_seconds") or settings.workflow_timing().approval_timeout_seconds
    return int(override or policy.approval_timeout_seconds)


def _store(
    incident: IncidentRecord,
    proposal: dict,
    policy: Policy,
    options: dict | None,
    *,
    execution_arn: str | None = None,
    entered_at: str | None = None,
) -> dict:
    timeout = approval_timeout(policy, options)
    # when it was proposed: only an approval requested since approves it (`remediate._approver`)
    proposal = {**proposal, "approval_timeout_seconds": timeout, "proposed_at": utcnow().isoformat()}
    update(incident, proposal=proposal)
    decision = proposal.get("decision") or {}
    said = {
        "status": proposal["status"],
        "route": proposal["route"],
        "action": proposal.get("action"),
        "not_automated": proposal.get("not_automated") or [],
        "rule": decision.get("rule"),
        "allowed": decision.get("allowed"),
        "diff": (proposal.get("dry_run") or {}).get("diff"),
    }
    changed = decision.get("reason_phrase") or {}
    if changed.get("code") == "dependency_change":  # the fix changes the service's dependency: the entry says which
        said |= {"dependency": changed["params"]["dependency"], "service": changed["params"]["service"]}
    at = parse_time(entered_at) if entered_at and execution_arn else None
    once = f"proposal#{execution_arn}" if at else None
    timeline.record(incident, "proposal", proposal["message"], actor=ACTOR, data=said, once=once, at=at, live=not at)
    if at:  # once: an attempt whose earlier one sent it and lost only its answer sends nothing
        entry = timeline.once_entry(at, once)
        timeline.announce(incident, "proposal", proposal["message"], actor=ACTOR, data=said, entry=entry)
    return {"route": proposal["route"], "approval_timeout_seconds": timeout}
