"""Why /api/status is not ``ok``, as data: each finding a ``code``, whether it makes the status ``unhealthy`` or
``degraded``, and what it names. The status's ``reasons`` are their English sentences (`sentence`); the console's
status page (`pagerless.console.status_pages`) says the same findings in the page's language, from this function
on the same document: one judgement, two ways of saying it.

A failed last call to the model or to the cluster (``llm.last_call``, ``kubernetes.last_call``) counts while it is
younger than PAGERLESS_STATUS_CALL_FAILURE_MAX_AGE_SECONDS (default a day; `aged` marks an older one ``stale``):
nothing retries such a call on its own, the next incident does, so a failure older than that tells how an incident
long gone went, not that anything is failing now (docs/status.md)."""

from datetime import UTC, datetime

from pagerless import settings
from pagerless.clock import parse_time

UNHEALTHY, DEGRADED = "unhealthy", "degraded"


def findings(document: dict) -> list[dict]:
    """What is wrong in a status ``document`` (as `collect_status` builds it), unreachable dependencies first."""
    threshold = settings.status().queue_backlog_threshold
    unreachable, behind = [], []
    groups = {"table": document["store"], "queue": document["queues"], "state machine": document["state_machines"]}
    for kind, group in groups.items():
        for name, check in group.items():
            if not check["reachable"]:
                unreachable.append({"code": "unreachable", "kind": kind, "name": name, "error": check["error"]})
            elif kind != "queue":
                continue
            elif check["dead_letter_queue"] and check["messages"] + check["in_flight"]:
                behind.append(
                    {"code": "dead_letter_queue", "name": name, "count": check["messages"] + check["in_flight"]}
                )
            elif not check["dead_letter_queue"] and check["messages"] > threshold:
                behind.append({"code": "backlog", "name": name, "count": check["messages"], "threshold": threshold})
    dead_letters = document["dead_letters"]
    if dead_letters.get("to_replay"):
        behind.append(
            {
                "code": "dead_letters",
                "count": dead_letters["to_replay"],
                "at_least": bool(dead_letters.get("at_least")),
                "list": dead_letters["list"],
            }
        )
    failing = document["notifications"].get("failing_channels")
    if failing:
        behind.append({"code": "channels_refuse", "channels": failing})
    for stopped in (document["escalations"] or {}).get("list") or []:
        behind.append(
            {"code": "escalation_stopped", "incident_id": stopped["incident_id"], "reason": stopped["reason"]}
        )
    for code, call in (
        ("llm_failed", document["llm"]["last_call"]),
        ("kube_failed", document["kubernetes"]["last_call"]),
    ):
        if call and not call.get("ok") and not call.get("stale"):
            behind.append({"code": code, "at": call.get("at"), "error": call.get("error")})
    for finding in unreachable:
        finding["status"] = UNHEALTHY
    for finding in behind:
        finding["status"] = DEGRADED
    return unreachable + behind


def aged(call: dict | None, now: datetime | None = None) -> dict | None:
    """A last call (``{"at", "ok", ...}`` as the workflow keeps it) with ``age_seconds`` (None when its time cannot be
    read) and ``stale``: a failure older than PAGERLESS_STATUS_CALL_FAILURE_MAX_AGE_SECONDS, shown but not counted."""
    if call is None:
        return None
    at = parse_time(call.get("at"))
    age = max(0.0, ((now or datetime.now(UTC)) - at).total_seconds()) if at is not None else None
    limit = settings.status().call_failure_max_age_seconds
    stale = bool(not call.get("ok") and limit and age is not None and age >= limit)
    return {**call, "age_seconds": None if age is None else round(age, 1), "stale": stale}


def sentence(finding: dict) -> str:
    """A finding in English, as the status's ``reasons`` say it."""
    code = finding["code"]
    if code == "unreachable":
        return f"{finding['kind']} {finding['name']} is unreachable ({finding['error']})"
    if code == "dead_letter_queue":
        return f"queue {finding['name']} holds {finding['count']} given-up message(s)"
    if code == "backlog":
        return f"queue {finding['name']} has {finding['count']} messages waiting (threshold {finding['threshold']})"
    if code == "dead_letters":
        more = "at least " if finding["at_least"] else ""
        return f"{more}{finding['count']} dead letter(s) wait for replay ({finding['list']})"
    if code == "channels_refuse":
        from pagerless.notify.health import failing_message

        return failing_message(finding["channels"])
    if code == "escalation_stopped":
        return f"the escalation of incident {finding['incident_id']} pages nobody: {finding['reason']}"
    if code == "llm_failed":
        return (
            f"the Claude investigator's last call ({finding['at']}) failed: {finding['error']};"
            " incidents get the analyzers' diagnosis until a call succeeds"
        )
    return (
        f"the last context gathering ({finding['at']}) did not reach the Kubernetes cluster:"
        f" {finding['error']}; incidents are diagnosed from their alerts alone until it does"
    )


def state(found: list[dict]) -> str:
    """``unhealthy``, ``degraded`` or ``ok``, from the worst finding."""
    if any(f["status"] == UNHEALTHY for f in found):
        return UNHEALTHY
    return DEGRADED if found else "ok"
