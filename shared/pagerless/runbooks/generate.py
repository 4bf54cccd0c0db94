"""Runbook drafts: from the incident history of a pattern, or from a description.

A draft is stored, never used, until someone other than its author approves it
(``approve``): then it becomes a runbook version like any other. From a description, Claude
writes the draft when a key is configured (its answer must validate as a runbook: catalog
actions, checks and waits only); without a key, or when Claude fails, a deterministic template
does (the built-in runbook whose words best match the description, else a read-only check).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from pagerless.observability import logger
from pagerless.remediation.actions import catalog
from pagerless.runbooks.builtin import BUILTINS
from pagerless.runbooks.models import CHECK_NAMES, CONTEXT_FIELDS, Runbook
from pagerless.runbooks.service import RunbookService, normalize, parse, slug

_ACTION_PARAMS = {
    "restart_pod": ["namespace", "pod", "deployment"],
    "delete_pod": ["namespace", "pod", "deployment"],
    "rollout_restart": ["namespace", "deployment"],
    "scale_deployment": ["namespace", "deployment", "replicas"],
    "rollback_deployment": ["namespace", "deployment"],
    "patch_resources": ["namespace", "deployment", "container", "memory_limit", "cpu_limit"],
    "cordon_node": ["node"],
    "drain_node": ["node"],
}
_WORKLOAD = {"namespace": "{namespace}", "deployment": "{deployment}"}
_NODE = {"node": "{node}"}
_UNCORDON = {"action": "cordon_node", "params": {**_NODE, "unschedulable": False}}  # puts back what it found
_UNDO = {
    "patch_resources": {"action": "rollback_deployment", "params": _WORKLOAD},
    "rollback_deployment": {"action": "rollback_deployment", "params": _WORKLOAD},
    "cordon_node": _UNCORDON,
    "drain_node": _UNCORDON,
}
# what a draft reads before the action and verifies after it: the node for a node action
_INSPECT = {"cordon_node": ("node_ready", _NODE), "drain_node": ("node_ready", _NODE)}
_VERIFY = {"cordon_node": ("node_ready", _NODE), "drain_node": ("node_drained", _NODE)}


def _history(workspace: str, pattern: str, service: str | None, services: frozenset[str] | None = None) -> list:
    from pagerless.store import incident_reads

    pattern = pattern.lower()
    found = []
    for incident in incident_reads.recent(workspace, 1000):
        if (service and incident.service != service) or (services is not None and incident.service not in services):
            continue
        category = ((incident.diagnosis or {}).get("category") or "").lower().replace("_", "")
        text = f"{incident.title} {incident.description or ''} {(incident.labels or {}).get('alertname', '')}".lower()
        if pattern.replace("_", "") == category or pattern in text:
            found.append(incident)
    return found


def _fixes(incident) -> list[dict]:
    """The catalog actions that changed the incident's workload and stayed: succeeded, not a
    rollback, and not rolled back after (a fix whose verify failed did not resolve it). An incident
    not resolved has none: what ran on it has resolved nothing (yet)."""
    if incident.status != "resolved":
        return []
    held: list[dict] = []
    for entry in incident.actions or []:
        if entry.get("rollback"):
            if held:
                held.pop()  # the latest fix failed its verify: rolled back (or tried to be), it did not resolve
        elif entry.get("status") == "succeeded" and entry.get("action") in _ACTION_PARAMS and not entry.get("dry_run"):
            held.append(entry)
    return held


def from_history(
    workspace: str,
    actor: str,
    pattern: str,
    min_incidents: int,
    service: str | None = None,
    *,
    services: frozenset[str] | None = None,
) -> dict:
    """A draft from what resolved the pattern's past incidents (the most common fix that held); ``services`` (a
    key's scope) draws from those services' incidents only."""
    incidents = _history(workspace, pattern, service, services)
    if len(incidents) < min_incidents:
        raise ValidationError(
            f"only {len(incidents)} incident(s) match {pattern!r}"
            f"{f' for {service}' if service else ''}; {min_incidents} needed",
            details=[{"field": "min_incidents", "occurrences": len(incidents)}],
        )
    actions = Counter(a.get("action") for i in incidents for a in _fixes(i))
    top = actions.most_common(1)
    inspect, inspect_params = _INSPECT.get(top[0][0] if top else "", ("pods_running", _WORKLOAD))
    steps: list[dict] = [
        {
            "name": "Inspect the node" if inspect == "node_ready" else "Inspect the pods",
            "kind": "check",
            "check": {"check": inspect, "params": inspect_params},
            "on_fail": "continue",  # it records the state the fix is for: it does not gate the fix
        }
    ]
    for name, count in top:
        verify, verify_params = _VERIFY.get(name, ("workload_healthy", _WORKLOAD))
        step = {
            "name": f"{name.replace('_', ' ').capitalize()} (ran {count}x before)",
            "kind": "action",
            "action": {"action": name, "params": _params(name, incidents)},
            "verify": {"check": verify, "max_attempts": 5, "interval_seconds": 15, "params": verify_params},
        }
        if _UNDO.get(name):
            step["rollback"] = _UNDO[name]
        steps.append(step)
    runbook_id = slug(f"generated-{pattern}" + (f"-{service}" if service else ""))
    body = {
        "id": runbook_id,
        "name": f"{pattern} recovery" + (f" for {service}" if service else ""),
        "description": f"Drafted from {len(incidents)} past incidents matching {pattern!r}; "
        + (
            f"{actions.most_common(1)[0][0]} resolved {actions.most_common(1)[0][1]} of them."
            if actions
            else "no action of the catalog resolved them: a read-only check only."
        ),
        "match": {"alert_types": [pattern], "keywords": [pattern], "labels": {"service": service} if service else {}},
        "risk_level": "confirm",
        "steps": steps,
    }
    draft = _save_draft(workspace, actor, body, "history")
    return {
        "pattern": pattern,
        "occurrences": len(incidents),
        "runbook": draft["runbook"],
        "draft_id": draft["draft_id"],
        "source": "generated",
        "incidents": [i.id for i in incidents[:20]],
        "message": f"Generated runbook for {pattern!r} pattern (seen {len(incidents)}x). "
        "Review and approve to save (someone other than the author approves).",
    }


def _params(action: str, incidents: list) -> dict:
    """Templates for the context fields; values every incident agreed on stay as values (e.g. a memory limit)."""
    params: dict = {}
    for field in _ACTION_PARAMS[action]:
        seen = {
            str((a.get("plan") or {}).get("action", {}).get(field))
            for i in incidents
            for a in _fixes(i)
            if a.get("action") == action and (a.get("plan") or {}).get("action", {}).get(field) is not None
        }
        if field in ("namespace", "deployment", "pod", "node", "container"):
            params[field] = f"{{{field}}}"
        elif len(seen) == 1:
            params[field] = next(iter(seen))
        elif field in ("memory_limit", "replicas"):
            params[field] = f"{{{field}}}"
    return params


def from_description(workspace: str, actor: str, description: str, risk_level: str = "confirm") -> dict:
    body, engine, note = None, "template", ""
    try:
        body = _claude(description, risk_level)
        engine = "claude" if body is not None else "template"
    except Exception as exc:  # any failure of the model leaves the deterministic draft, and says so
        note = f"Claude could not draft it ({type(exc).__name__}: {str(exc)[:200]}); a template was used"
        logger().warning("runbook draft by Claude failed", extra={"error": note})
    if body is None:
        body = _template(description, risk_level)
    draft = _save_draft(workspace, actor, body, engine)
    return {
        "runbook": draft["runbook"],
        "draft_id": draft["draft_id"],
        "source": "generated",
        "engine": engine,
        "message": note or f"Drafted by {engine}. Review and approve to save (someone other than the author approves).",
    }


def _template(description: str, risk_level: str) -> dict:
    words = description.lower()
    scored = sorted(
        (
            (
                sum(1 for k in r.match.keywords if k.lower() in words)
                + sum(1 for t in r.match.alert_types if t.lower() in words),
                r.id,
            )
            for r in BUILTINS.values()
        ),
        reverse=True,
    )
    name = description.strip().splitlines()[0][:80] or "runbook"
    if scored and scored[0][0] > 0:
        base = BUILTINS[scored[0][1]].model_dump(mode="json", include={"match", "steps"})
    else:
        base = {
            "match": {"keywords": [w for w in words.split() if len(w) > 4][:5]},
            "steps": [
                {
                    "name": "Inspect the pods",
                    "kind": "check",
                    "check": {
                        "check": "pods_running",
                        "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
                    },
                    "on_fail": "continue",
                }
            ],
        }
    return {
        **base,
        "id": slug(f"draft-{name}")[:60] + f"-{uuid.uuid4().hex[:4]}",
        "name": name,
        "description": description[:2000],
        "risk_level": risk_level,
    }


_SYSTEM = (
    "You write Kubernetes runbooks for Pagerless as JSON. Steps may ONLY be: an action of this catalog "
    "({actions}); a read-only check ({checks}); or a wait. Parameters are templates over these context "
    'fields: {fields}, written like "{{namespace}}". Shape: {{"name", "description", "match": '
    '{{"alert_types": [], "keywords": [], "labels": {{}}}}, "steps": [{{"name", "kind": '
    '"action"|"check"|"wait", "action": {{"action", "params"}}, "check": {{"check", '
    '"params", "max_attempts", "interval_seconds"}}, "on_fail": "stop"|"continue", "seconds", "verify": <check>, '
    '"rollback": <action>}}]}}. A failed check step stops the run ("stop", the default); a check that only records '
    'the state a later step fixes says "continue". If the request needs anything else (a shell command, a '
    "database call), use the closest "
    "read-only checks and say so in the description. Answer with the JSON object only."
)


def _claude(description: str, risk_level: str) -> dict | None:
    from pagerless.diagnosis.llm import get_llm_settings

    settings = get_llm_settings()
    if settings.api_key is None:
        return None
    from pagerless.diagnosis.llm.transport import anthropic_client

    client = anthropic_client(settings)
    system = _SYSTEM.format(
        actions=", ".join(e["name"] for e in catalog()), checks=", ".join(CHECK_NAMES), fields=", ".join(CONTEXT_FIELDS)
    )
    response = client.messages.create(
        model=settings.model, max_tokens=2000, system=system, messages=[{"role": "user", "content": description}]
    )
    text = "".join(b.text for b in response.content if getattr(b, "type", "") == "text").strip()
    start, end = text.find("{"), text.rfind("}")
    body = normalize(json.loads(text[start : end + 1]))
    body = {k: v for k, v in body.items() if k in Runbook.model_fields and k not in ("version", "source")}
    body["id"] = slug(f"draft-{body.get('name') or description[:40]}")[:60] + f"-{uuid.uuid4().hex[:4]}"
    body["risk_level"] = risk_level
    parse(body)  # an answer that is not a valid runbook is a failure of the model
    return body


def _save_draft(workspace: str, actor: str, body: dict, engine: str) -> dict:
    runbook = parse({**normalize(body), "source": "generated", "created_by": actor})
    draft = {
        "draft_id": runbook.id,
        "runbook": runbook.model_dump(mode="json"),
        "author": actor,
        "engine": engine,
        "created_at": utcnow().isoformat(),
        "status": "pending",
    }
    RunbookService(workspace).store.put_draft(draft)
    return draft


def approve(workspace: str, actor: str, draft_id: str, edits: dict | None = None) -> Runbook:
    """Save the draft as a runbook version; the author cannot approve their own draft, and of two
    approvals at the same time one saves it and the other is refused (ConflictError)."""
    service = RunbookService(workspace)
    draft = service.store.get_draft(draft_id)
    if draft is None:
        raise NotFoundError(f"draft {draft_id} not found (POST /api/runbooks/generate makes one)")
    if draft["status"] != "pending":
        by = f" by {draft['approved_by']}" if draft.get("approved_by") else ""
        raise ConflictError(f"draft {draft_id} was already {draft['status']}{by}")
    if draft["author"] == actor:
        raise ForbiddenError(
            "a draft is approved by someone other than its author", details=[{"author": draft["author"]}]
        )
    body = {**draft["runbook"], **(edits or {})}
    body = {k: v for k, v in body.items() if k not in ("version", "created_by", "created_at", "source")}
    holder = service.store.claim_draft(draft, actor)
    if holder is not None:
        raise ConflictError(f"draft {draft_id} was already approved by {holder}")
    try:
        existing = service.store.versions(body["id"])
        runbook = (
            service.update(body["id"], body, actor)
            if existing and not service.store.is_deleted(body["id"])
            else service.create(body, actor, source="generated")
        )
    except Exception:
        service.store.release_draft(draft)
        raise
    service.store.put_draft({**draft, "status": "approved", "approved_by": actor, "runbook_version": runbook.version})
    return runbook
