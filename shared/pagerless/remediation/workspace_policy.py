"""A workspace's remediation policy in the system table, and the action history its rate limit reads.

The policy is a document a PUT replaces whole: each write raises its ``version``, and a replace that names the
version it read (If-Match, or the console editor's page) is written only if that is still the stored one
(`pagerless.store.versions.replace_if_match`), else 412 and nothing changes.
"""

from datetime import datetime, timedelta

from pagerless.clock import STORED, parse_time, utcnow
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.remediation.policy import Policy, PolicyContext
from pagerless.remediation.service_scope import ServiceScope
from pagerless.store.system import SystemRecord, SystemRepository
from pagerless.store.versions import version_of

_POLICY_PK, _ACTIONS_PK = "policy", "recent-actions"
_HISTORY_HOURS = 24
_HISTORY_MAX = 200


def get_policy(workspace: str) -> Policy:
    """The stored policy, or the cautious defaults when none was ever stored."""
    return _policy_of(SystemRepository().get(_POLICY_PK, workspace))


def _policy_of(record: SystemRecord | None) -> Policy:
    if record is None:
        return Policy()
    return Policy.model_validate({k: v for k, v in record.data.items() if not k.startswith("_")}, context=STORED)


def put_policy(workspace: str, policy: Policy, *, actor: str, if_match: IfMatch | None = None) -> tuple[dict, int]:
    """Replace the stored policy (created without ``if_match``); with ``if_match``, only over that stored version
    (412 if not, or if none is stored). The policy as the API shows it, and the version written."""
    repository = SystemRepository()
    data = {**policy.model_dump(mode="json"), "_updated_by": actor}
    record = repository.replace(_POLICY_PK, workspace, data, if_match)
    if record is None:
        stored = repository.get_versioned(_POLICY_PK, workspace)
        what = "the remediation policy"
        raise precondition_failed(what, stored[1] if stored else None, exists=stored is not None, if_match=if_match)
    return _document(workspace, record), version_of(record)


def policy_document(workspace: str) -> dict:
    return versioned_policy_document(workspace)[0]


def versioned_policy_document(workspace: str) -> tuple[dict, int | None]:
    """The policy as the API shows it and its stored version (None: never stored, the defaults: no ETag)."""
    record = SystemRepository().get(_POLICY_PK, workspace)
    return _document(workspace, record), version_of(record) if record is not None else None


def _document(workspace: str, record: SystemRecord | None) -> dict:
    return {
        "workspace": workspace,
        "policy": _policy_of(record).model_dump(mode="json"),
        "stored": record is not None,
        "updated_at": record.updated_at.isoformat() if record else None,
        "updated_by": record.data.get("_updated_by") if record else None,
    }


def policy_context(workspace: str, now: datetime | None = None, *, scope: dict | None = None) -> PolicyContext:
    """Now, when each workload (``ActionPlan.workload``) had actions in the last day (for the rate
    limit), and the actions the workspace switched off; for an incident's action, ``scope``: its service and the
    service catalog (`pagerless.knowledge.service.service_scope`), which bound where it may act."""
    record = SystemRepository().get(_ACTIONS_PK, workspace)
    recent: dict[str, list[datetime]] = {}
    for entry in record.data.get("items", []) if record else []:
        recent.setdefault(entry["service"], []).append(parse_time(entry["at"]))
    from pagerless.plugin_switches import disabled

    return PolicyContext(
        now=now or utcnow(),
        recent_actions=recent,
        disabled_actions=disabled(workspace, "action"),
        scope=ServiceScope(**(scope or {})),
    )


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
