"""Execute a plan and record it: the one path for the workflow's fix, its rollback and a person's action.

The plan runs on the cluster under the policy decision already taken; a success is noted for the
policy's rate limits; with an incident, the result is appended to its actions (atomically, so two
actions finishing together are both kept). The timeline entry is the caller's: it knows what ran.
"""

from pagerless.kube import cluster
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy import Decision
from pagerless.remediation.workspace_policy import note_action
from pagerless.workflow.incidents import record_action


def execute_and_record(
    plan: ActionPlan,
    decision: Decision,
    *,
    workspace: str,
    approved_by: str | None,
    incident=None,
    entry: dict | None = None,
) -> tuple:
    """Run ``plan``; returns its outcome and the result (the outcome plus its diff). ``entry`` adds
    fields (source, who asked) to what goes on ``incident``'s actions."""
    from pagerless.remediation.executor import execute

    kube = cluster.connect()
    try:
        outcome = execute(plan, kube, decision, approved_by=approved_by)
    finally:
        kube.close()
    result = {**outcome.model_dump(mode="json"), "diff": "\n".join(str(c) for c in outcome.changes)}
    # what was sent is recorded first: a step run again after a later write failed finds it and sends nothing
    if incident is not None:
        record_action(incident, {**result, **(entry or {})})
    if outcome.status == "succeeded":
        note_action(workspace, plan.workload, outcome.started_at)
    return outcome, result
