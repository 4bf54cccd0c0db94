"""A workspace's remediation policy in the system table, and the action history its rate limit reads."""

from datetime import datetime, timedelta

from pagerless.clock import parse_time, utcnow
from pagerless.remediation.policy import Policy, PolicyContext
from pagerless.store.system import SystemRepository

_POLICY_PK, _ACTIONS_PK = "policy", "recent-actions"
_HISTORY_HOURS = 24
_HISTORY_MAX = 200


def get_policy(workspace: str) -> Policy:
    """The stored policy, or the cautious defaults when none was ever stored."""
    record = SystemRepository().get(_POLICY_PK, workspace)
    if record is None:
        return Policy()
    return Policy.model_validate({k: v for k, v in record.data.items() if not k.startswith("_")})


def put_policy(workspace: str, policy: Policy, *, actor: str) -> Policy:
    SystemRepository().put(_POLICY_PK, workspace, {**policy.model_dump(mode="json"), "_updated_by": actor})
    return get_policy(workspace)


def policy_document(workspace: str) -> dict:
    record = SystemRepository().get(_POLICY_PK, workspace)
    body = get_policy(workspace).model_dump(mode="json")
    return {
        "workspace": workspace,
        "policy": body,
        "stored": record is not None,
        "updated_at": record.updated_at.isoformat() if record else None,
        "updated_by": record.data.get("_updated_by") if record else None,
    }


def policy_context(workspace: str, now: datetime | None = None) -> PolicyContext:
    """Now, when each workload (``ActionPlan.workload``) had actions in the last day (for the rate
    limit), and the actions the workspace switched off."""
    record = SystemRepository().get(_ACTIONS_PK, workspace)
    recent: dict[str, list[datetime]] = {}
    for entry in record.data.get("items", []) if record else []:
        recent.setdefault(entry["service"], []).append(parse_time(entry["at"]))
    from pagerless.plugin_switches import disabled

    return PolicyContext(now=now or utcnow(), recent_actions=recent, disabled_actions=disabled(workspace, "action"))


def note_action(workspace: str, workload: str, at: datetime | None = None) -> None:
    """Count an action that ran against ``workload``, an ``ActionPlan.workload`` (read-modify-write;
    the rate limit is advisory-tight)."""
    at = at or utcnow()
    repo = SystemRepository()
    record = repo.get(_ACTIONS_PK, workspace)
    cutoff = at - timedelta(hours=_HISTORY_HOURS)
    items = [e for e in (record.data.get("items", []) if record else []) if parse_time(e["at"]) > cutoff]
    items.append({"service": workload, "at": at.isoformat()})
    repo.put(_ACTIONS_PK, workspace, {"items": items[-_HISTORY_MAX:]})
