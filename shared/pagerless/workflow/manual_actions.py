"""Actions run by a person through the API: dry run by default, always through the policy.

An operator's explicit request to execute is the human approval the policy may ask for; a
denied decision is a ForbiddenError naming the rule, and nothing reaches the cluster. A dry run
changes nothing, so the rate limit does not hold it back (`policy.evaluate_dry_run`); it answers
the decision a real run would get now, and its message says when that one would be refused. What
the action names that does not exist (a pod, a deployment, a node) is a NotFoundError (404) naming
it, once the attempt is on the incident's actions and timeline, as any other outcome is.
"""

from pydantic import TypeAdapter

from pagerless.domain.errors import ForbiddenError, NotFoundError
from pagerless.incidents import timeline
from pagerless.kube import cluster
from pagerless.remediation.actions import Action, ActionPlan
from pagerless.remediation.policy import dry_run_message, evaluate, evaluate_dry_run
from pagerless.remediation.workloads import with_pod_owner
from pagerless.remediation.workspace_policy import get_policy, policy_context
from pagerless.store.incidents import IncidentRecord, IncidentRepository
from pagerless.workflow.execute_plan import execute_and_record
from pagerless.workflow.incidents import record_action

_ACTION = TypeAdapter(Action)


def run_action(
    workspace: str, actor: str, action: dict, *, dry_run: bool = True, incident_id: str | None = None, reason: str = ""
) -> dict:
    """Dry-run or execute ``action``; with ``incident_id`` the result goes on that incident."""
    from pagerless.remediation.executor import dry_run as server_dry_run

    parsed = _ACTION.validate_python(action)
    plan = ActionPlan.of(
        parsed,
        parsed.action,
        reason or f"requested by {actor} through the API",
        target={
            k: v
            for k, v in {
                "namespace": getattr(parsed, "namespace", None),
                "deployment": getattr(parsed, "deployment", None),
                "pod": getattr(parsed, "pod", None),
            }.items()
            if v
        },
    )
    # a pod counts against its workload for the rate limit, not its name; a person named the target, and the
    # service scope does not bound it: a deployment named with the pod is taken at its word
    plan = with_pod_owner(plan, when_unnamed=True)
    incident = IncidentRepository().get(incident_id, workspace) if incident_id else None
    policy, context = get_policy(workspace), policy_context(workspace)
    decision = evaluate(plan, policy, context)  # what a real run is told now: a dry run answers it too
    permit = evaluate_dry_run(plan, policy, context) if dry_run else decision
    if not permit.allowed:
        raise ForbiddenError(
            f"blocked by policy rule {permit.rule}: {permit.reason}; nothing ran",
            details=[{"rule": permit.rule, "reason": permit.reason}],
        )
    entry = {
        "source": "api",
        "requested_by": actor,
        "dry_run": dry_run,
        "decision_rule": decision.rule,
        "plan": plan.model_dump(mode="json"),  # what it acted on (its namespace), as the workflow's and runs' say
    }
    if dry_run:
        kube = cluster.connect()
        try:
            checked = server_dry_run(plan, kube, permit)  # a drain's per-pod namespace rules apply
        finally:
            kube.close()
        result = {
            **checked.model_dump(mode="json"),
            "message": dry_run_message(checked.message, decision),
            "diff": checked.diff,
        }
        if incident is not None:
            record_action(incident, {**result, **entry})
    else:
        _, result = execute_and_record(
            plan, decision, workspace=workspace, approved_by=actor, incident=incident, entry=entry
        )
    response = {
        "dry_run": dry_run,
        "plan_id": plan.id,
        "action": parsed.model_dump(mode="json"),
        "decision": decision.model_dump(mode="json"),
        "result": result,
    }
    if incident is not None:
        _note(incident, actor, response)
    if result.get("status") == "not_found":  # recorded on the incident above, as every outcome of a request is
        raise NotFoundError(
            result["message"], details=[{"action": parsed.action, "status": "not_found", "dry_run": dry_run}]
        )
    return response


def _note(incident: IncidentRecord, actor: str, response: dict) -> None:
    kind = "action_dry_run" if response["dry_run"] else "action_executed"
    timeline.record(
        incident,
        kind,
        f"{actor}: {response['result'].get('message', '')}"[:500],
        actor=actor,
        data={
            "action": response["action"]["action"],
            "status": response["result"].get("status"),
            "rule": response["decision"]["rule"],
            "allowed": response["decision"]["allowed"],
            "diff": response["result"].get("diff"),
        },
    )
