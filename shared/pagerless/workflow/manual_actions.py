"""Actions run by a person through the API: dry run by default, always through the policy.

An operator's explicit request to execute is the human approval the policy may ask for; a
denied decision is a ForbiddenError naming the rule, and nothing reaches the cluster.
"""

from pydantic import TypeAdapter

from pagerless.domain.errors import ForbiddenError
from pagerless.incidents import timeline
from pagerless.kube import cluster
from pagerless.remediation.actions import Action, ActionPlan
from pagerless.remediation.policy import evaluate
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
    plan = with_pod_owner(plan)  # a pod counts against its workload for the rate limit, not its name
    incident = IncidentRepository().get(incident_id, workspace) if incident_id else None
    decision = evaluate(plan, get_policy(workspace), policy_context(workspace))
    if not decision.allowed:
        raise ForbiddenError(
            f"blocked by policy rule {decision.rule}: {decision.reason}; nothing ran",
            details=[{"rule": decision.rule, "reason": decision.reason}],
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
            checked = server_dry_run(plan, kube, decision)  # a drain's per-pod namespace rules apply
        finally:
            kube.close()
        result = {**checked.model_dump(mode="json"), "diff": checked.diff}
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
            "diff": response["result"].get("diff"),
        },
    )
