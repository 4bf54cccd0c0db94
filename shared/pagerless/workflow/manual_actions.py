"""Actions run by a person through the API: dry run by default, always through the policy.

An operator's explicit request to execute is the human approval the policy may ask for; a
denied decision is a ForbiddenError naming the rule, and nothing reaches the cluster.
"""

from pydantic import TypeAdapter

from pagerless.domain.errors import ForbiddenError
from pagerless.incidents import timeline
from pagerless.remediation.actions import Action, ActionPlan
from pagerless.remediation.policy import evaluate
from pagerless.store.incidents import IncidentRecord, IncidentRepository
from pagerless.kube import cluster
from pagerless.workflow.incidents import update
from pagerless.remediation.workspace_policy import get_policy, note_action, policy_context

_ACTION = TypeAdapter(Action)


def run_action(workspace: str, actor: str, action: dict, *, dry_run: bool = True, incident_id: str | None = None,
               reason: str = "") -> dict:
    """Dry-run or execute ``action``; with ``incident_id`` the result goes on that incident."""
    from pagerless.remediation.executor import dry_run as server_dry_run
    from pagerless.remediation.executor import execute

    parsed = _ACTION.validate_python(action)
    plan = ActionPlan.of(parsed, parsed.action, reason or f"requested by {actor} through the API",
                         target={k: v for k, v in {"namespace": getattr(parsed, "namespace", None),
                                                   "deployment": getattr(parsed, "deployment", None),
                                                   "pod": getattr(parsed, "pod", None)}.items() if v})
    incident = IncidentRepository().get(incident_id, workspace) if incident_id else None
    decision = evaluate(plan, get_policy(workspace), policy_context(workspace))
    if not decision.allowed:
        raise ForbiddenError(f"blocked by policy rule {decision.rule}: {decision.reason}; nothing ran",
                             details=[{"rule": decision.rule, "reason": decision.reason}])
    kube = cluster.connect()
    try:
        if dry_run:
            checked = server_dry_run(plan, kube)
            result = {**checked.model_dump(mode="json"), "diff": checked.diff}
        else:
            outcome = execute(plan, kube, decision, approved_by=actor)
            result = {**outcome.model_dump(mode="json"), "diff": "\n".join(str(c) for c in outcome.changes)}
            if outcome.status == "succeeded":
                note_action(workspace, parsed.service, outcome.started_at)
    finally:
        kube.close()
    response = {"dry_run": dry_run, "plan_id": plan.id, "action": parsed.model_dump(mode="json"),
                "decision": decision.model_dump(mode="json"), "result": result}
    if incident is not None:
        _attach(incident, actor, response)
    return response


def _attach(incident: IncidentRecord, actor: str, response: dict) -> None:
    entry = {**response["result"], "source": "api", "requested_by": actor, "dry_run": response["dry_run"],
             "decision_rule": response["decision"]["rule"]}
    update(incident, [IncidentRecord.actions.set([*(incident.actions or []), entry])])
    kind = "action_dry_run" if response["dry_run"] else "action_executed"
    timeline.record(incident, kind, f"{actor}: {response['result'].get('message', '')}"[:500], actor=actor,
                    data={"action": response["action"]["action"], "status": response["result"].get("status"),
                          "rule": response["decision"]["rule"], "diff": response["result"].get("diff")})
