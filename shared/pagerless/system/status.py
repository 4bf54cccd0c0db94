"""What is configured and reachable, for GET /api/status and the dev runtime's banner."""

from datetime import UTC, datetime

from pagerless import __version__, settings
from pagerless.store.system import KUBE_SK, LLM_SK, SystemRepository
from pagerless.system import findings, probes
from pagerless.system.probes import HEARTBEAT_PK

OK = "ok"


def record_heartbeat(component: str, details: dict | None = None) -> dict:
    """Note that ``component`` (e.g. the scheduler) ran now."""
    data = {"at": datetime.now(UTC).isoformat(), **(details or {})}
    SystemRepository().put(HEARTBEAT_PK, component, data)
    return data


def collect_status(workspace: str | None = None, *, live: bool = True) -> dict:
    """Reachability of every table, queue and state machine, which integrations are set, and whether
    work piles up (queue backlogs, DLQs, dead letters to replay): ``status`` ok / degraded / unhealthy.

    The tables, queues and state machines (about thirty calls, the same for every workspace) come from the
    stored probe (`pagerless.system.probes`: the scheduled job takes it every minute) unless ``live``, or it is
    older than PAGERLESS_STATUS_MAX_AGE_SECONDS, or missing, or cannot be read: then they are probed now,
    and the result stored for the next caller. ``probes`` says which, and when they were taken. The
    workspace's dead letters and notification routes are read for every call.

    The calls run side by side on a few threads: they wait on the network, so the answer takes about as
    long as the slowest few, not the sum of all. Each runs in a copy of the request's context (its
    deadline, and in `pagerless dev` its place before background work: pagerless.local.priority).
    """
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=settings.status().probe_threads, thread_name_prefix="status") as executor:

        def submit(fn, *args, **kwargs):
            return executor.submit(contextvars.copy_context().run, fn, *args, **kwargs)

        records = submit(_heartbeat_records)
        dead_letters = submit(_dead_letters, workspace)
        notifications = submit(_notifications, workspace)
        escalations = submit(_escalations, workspace)
        infra = probes.probe(submit) if live else None  # forced: at once, beside the reads
        try:
            records = records.result()
        except Exception:  # noqa: BLE001 — the store is down: the probes (live) say so
            records = None
        stored = None if live else _fresh(records)
        if stored is not None:
            infra, source = stored, probes.SOURCES[stored["by"]]
        else:
            infra, source = infra or probes.probe(submit), "live"
            if records is not None:  # kept for the next caller; not when the store just failed (the answer would wait)
                submit(_store, infra)
    tables, queues, machines = infra["store"], infra["queues"], infra["state_machines"]
    dead_letters = dead_letters.result()
    integ = settings.integrations()
    components = [*tables.values(), *queues.values(), *machines.values()]
    notifications = notifications.result()
    escalations = escalations.result()
    llm_configured = bool(integ.anthropic_api_key or integ.pagerless_anthropic_key_parameter)
    llm_call = next((r.data for r in records or () if r.sk == LLM_SK), None) if llm_configured else None
    llm_call = findings.aged(llm_call)  # with its age; a failure long past is shown, not counted (`findings`)
    kube_configured = bool(integ.pagerless_kubeconfig or integ.pagerless_in_cluster or integ.pagerless_sandbox)
    kube_call = next((r.data for r in records or () if r.sk == KUBE_SK), None) if kube_configured else None
    kube_call = findings.aged(kube_call)
    document = {
        "version": __version__,
        "healthy": all(c["reachable"] for c in components),  # every dependency reachable (backlogs aside)
        "status": OK,
        "reasons": [],
        "probes": {
            "source": source,
            "checked_at": infra["checked_at"],
            "age_seconds": round(probes.age_seconds(infra), 1),
            "max_age_seconds": settings.status().max_age_seconds,
        },
        "store": tables,
        "queues": queues,
        "state_machines": machines,
        "llm": {
            "configured": llm_configured,
            "last_call": llm_call,  # how the investigator's last call to the model went (workflow.diagnose)
        },
        "kubernetes": {
            "configured": kube_configured,
            "last_call": kube_call,  # whether the last context gathering reached the cluster (workflow.context)
            "mode": "sandbox"
            if integ.pagerless_sandbox
            else "in-cluster"
            if integ.pagerless_in_cluster
            else "kubeconfig"
            if integ.pagerless_kubeconfig
            else "none",
        },
        "heartbeats": {r.sk: r.data for r in records or () if r.sk not in (probes.PROBE_SK, LLM_SK, KUBE_SK)},
        "dead_letters": dead_letters,
        "notifications": notifications,
        "escalations": escalations,
    }
    found = findings.findings(document)  # what the console's status page says, in its language
    return document | {"status": findings.state(found), "reasons": [findings.sentence(f) for f in found]}


def _fresh(records) -> dict | None:
    """The stored probe, if it was read and is younger than PAGERLESS_STATUS_MAX_AGE_SECONDS (0: never)."""
    found = probes.stored(records) if records is not None else None
    if found is None or probes.age_seconds(found) >= settings.status().max_age_seconds:
        return None
    return found


def _store(result: dict) -> None:
    try:
        probes.store(result, by="request")
    except Exception as exc:  # noqa: BLE001 — the next caller probes again; this answer stands
        from pagerless.observability import logger

        logger().warning("status probe not stored", extra={"error_type": type(exc).__name__})


def _heartbeat_records() -> list:
    """The heartbeat partition: each component's last run, and the stored probe."""
    return SystemRepository().list(HEARTBEAT_PK)


def _notifications(workspace: str | None) -> dict:
    """Whether anyone will hear of an incident: without a route, nothing is sent; a route that names a channel
    that is no more (stored before such routes were refused, or deleted meanwhile) sends nowhere, and is named;
    a channel whose vendor refused its latest message for good (`failing_channels`) is named with the refusal."""
    if workspace is None:
        return {"configured": False, "message": "no workspace given"}
    try:
        from pagerless.clock import STORED
        from pagerless.notify.health import failing_channels
        from pagerless.notify.routing import RouteSet, sends_nowhere, unresolved
        from pagerless.store.notify import ConfigRepository

        repository = ConfigRepository()
        stored = repository.get_routes(workspace) or {}
        everything = repository.list(workspace, "channel")
        unknown = unresolved(RouteSet.model_validate(stored, context=STORED), everything) if stored else []
        failing = failing_channels(workspace, everything)
    except Exception as exc:  # noqa: BLE001 — report, never raise (the store section says why)
        return {"configured": False, "error": type(exc).__name__}
    routes = stored.get("routes") or []
    channels = [c for c in everything if c.get("is_enabled", True)]
    configured = bool(routes and channels)
    message = None
    if not configured:
        message = (
            "notifications are not configured: add a channel and a route "
            "(/api/notifications/channels, /api/notifications/routes); nothing is sent"
        )
    elif unknown:
        message = sends_nowhere(unknown)
    elif failing:
        from pagerless.notify.health import failing_message

        message = failing_message(failing)
    return {
        "configured": configured,
        "routes": len(routes),
        "channels": len(channels),
        "unknown_channels": [{k: u[k] for k in ("route", "name", "channel")} for u in unknown],
        "failing_channels": failing,
        "message": message,
    }


def _dead_letters(workspace: str | None) -> dict:
    """Payloads given up and not replayed yet in the workspace's dead-letter store (two queries, each bounded by the
    limit): ``to_replay``, the backlog, and apart from it ``refused``, the alerts refused for their key's scope that
    nobody replayed (kept for an admin to read, not a failure). ``at_least``: a count reached the limit."""
    if workspace is None:
        return {"to_replay": None, "refused": None, "message": "no workspace given"}
    limit = settings.status().dead_letter_count_limit
    try:
        from pagerless.store.dead_letters import DeadLetterRepository

        to_replay, refused = DeadLetterRepository().count_waiting(workspace, limit=limit)
    except Exception as exc:  # noqa: BLE001 — report, never raise (the store section says why)
        return {"to_replay": None, "refused": None, "error": type(exc).__name__}
    return {
        "to_replay": to_replay,
        "refused": refused,
        "at_least": max(to_replay, refused) >= limit,
        "list": "/api/webhooks/dead-letter",
        "refused_list": "/api/webhooks/dead-letter?kind=refused",
    }


def _escalations(workspace: str | None) -> dict:
    """The workspace's escalations the escalation sweep stopped resuming (their executions kept failing), whose
    incidents nobody acknowledged or resolved since: nobody is paged for them (`oncall.sweep`). The first
    `GIVEN_UP_LISTED` are listed (``more``: there are others), from one Query."""
    if workspace is None:
        return {"stopped": None, "message": "no workspace given"}
    try:
        from pagerless.store.escalations import EscalationRepository

        records, more = EscalationRepository().given_up(workspace)
    except Exception as exc:  # noqa: BLE001 — report, never raise (the store section says why)
        return {"stopped": None, "error": type(exc).__name__}
    listed = [
        {
            "incident_id": r.incident_id,
            "generation": r.generation,
            "reason": r.reason,
            "stopped_at": r.stopped_at.isoformat(),
        }
        for r in records
    ]
    return {"stopped": len(listed), "list": listed} | ({"at_least": True} if more else {})
