"""A rollback puts back what the action it undoes found, not a fixed value.

A rollback is a catalog action with fixed parameters: the node-drain runbook's rollback and the
planner's inverse of a cordon or a drain both uncordon (``cordon_node`` with ``unschedulable:
false``). Run as written, it would also uncordon a node a person had cordoned before the action.
So what an action found, before it changed it, is kept for each field a rollback may set back
(``found``, from the action's recorded changes); its rollback sets that value, and a rollback of
a field the action left as it found it is skipped (``restoring``). A scale's rollback likewise
sets the replica count the scale found when it ran, not the count read when the run started or
the plan was made (a person or an autoscaler may have changed it since). Runbook runs
(``pagerless.runbooks.endings``) and the incident workflow (``pagerless.workflow.outcomes``) both
roll back through here.
"""

from __future__ import annotations

from pagerless.remediation.actions import Action, CordonNode, DrainNode, ScaleDeployment
from pagerless.remediation.diff import Change


def _unschedulable(node: str) -> str:
    return f"node {node} spec.unschedulable"


def _replicas(action: ScaleDeployment) -> str:
    return f"deployment {action.namespace}/{action.deployment} spec.replicas"


def _may_change(action: Action) -> set[str]:
    """The fields ``action`` may change that a rollback can set back."""
    if isinstance(action, (CordonNode, DrainNode)):
        return {_unschedulable(action.node)}
    if isinstance(action, ScaleDeployment):
        return {_replicas(action)}
    return set()


def _sets(rollback: Action) -> tuple[str, str] | None:
    """The field a rollback sets and the parameter that holds its value."""
    if isinstance(rollback, CordonNode):
        return _unschedulable(rollback.node), "unschedulable"
    if isinstance(rollback, ScaleDeployment):  # a scale's count is whatever ran when it scaled
        return _replicas(rollback), "replicas"
    return None


def _named(action: Action, field: str) -> str:
    """A change's field, named with its object (a scale's diff says only ``spec.replicas``)."""
    if isinstance(action, ScaleDeployment) and field == "spec.replicas":
        return _replicas(action)
    return field


def found(action: Action, changes: list[Change]) -> dict:
    """What ``action`` found in the fields a rollback may set back and it changed: field → value before."""
    fields = _may_change(action)
    seen: dict = {}
    for change in changes:
        field = _named(action, change.field)
        if field in fields and field not in seen:  # the first change holds the value found
            seen[field] = change.before
    return seen


def found_in_record(action: Action, changes: list[dict]) -> dict:
    """``found`` from changes recorded as JSON (an incident's action log)."""
    return found(action, [Change.model_validate(change) for change in changes])


def restoring(rollback: Action, step: Action, before: dict | None) -> tuple[Action | None, str]:
    """The rollback to run, or None with why nothing is to be set back.

    ``before`` is ``found`` of ``step``, the action rolled back; None (nothing was kept, as for a
    runbook step recorded before it was) runs the rollback as written."""
    target = _sets(rollback)
    if target is None or before is None:
        return rollback, ""
    field, parameter = target
    if field in before:
        return rollback.model_copy(update={parameter: before[field]}), ""
    if field in _may_change(step):
        return None, f"{step.action} did not change {field} (it was so before): nothing to set back"
    return rollback, ""
