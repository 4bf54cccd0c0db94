"""What is configured and reachable, for GET /api/status and the dev runtime's banner."""

from datetime import UTC, datetime
from functools import cache

from pagerless import __version__, settings
from pagerless.store.system import SystemRepository

HEARTBEAT_PK = "heartbeat"
DEAD_LETTER_QUEUES = {"alerts_dlq", "notify_dlq"}
QUEUE_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
OK, DEGRADED, UNHEALTHY = "ok", "degraded", "unhealthy"


@cache
def _clients():
    from pagerless import aws, step_functions

    return aws.client("dynamodb"), aws.client("sqs"), step_functions.client()


def record_heartbeat(component: str, details: dict | None = None) -> dict:
    """Note that ``component`` (e.g. the scheduler) ran now."""
    data = {"at": datetime.now(UTC).isoformat(), **(details or {})}
    SystemRepository().put(HEARTBEAT_PK, component, data)
    return data


def collect_status(workspace: str | None = None) -> dict:
    """Reachability of every table, queue and state machine, which integrations are set, and whether
    work piles up (queue backlogs, DLQs, dead letters to replay): ``status`` ok / degraded / unhealthy.

    The probes (a call each, about thirty) run side by side on a few threads: they wait on the
    network, so the answer takes about as long as the slowest few, not the sum of all. Each runs in
    a copy of the request's context (its deadline, and in `pagerless dev` its place before
    background work: pagerless.local.priority).
    """
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    dynamodb, sqs, sfn = _clients()
    wf = settings.workflow()
    queue_urls = {
        "alerts": wf.alert_queue_url,
        "alerts_dlq": wf.alert_dlq_url,
        "notify": wf.notify_queue_url,
        "notify_dlq": wf.notify_dlq_url,
    }
    machine_arns = {"incident_response": wf.incident_state_machine_arn, "selfcheck": wf.selfcheck_state_machine_arn}
    with ThreadPoolExecutor(max_workers=settings.status().probe_threads, thread_name_prefix="status") as executor:

        def submit(fn, *args, **kwargs):
            return executor.submit(contextvars.copy_context().run, fn, *args, **kwargs)

        tables = {
            name: submit(_check, lambda t=table: dynamodb.describe_table(TableName=t)["Table"]["TableStatus"])
            for name, table in settings.tables().model_dump().items()
        }
        queues = {
            name: submit(_queue, sqs, url, dead_letter=name in DEAD_LETTER_QUEUES)
            for name, url in queue_urls.items()
            if url
        }
        machines = {
            name: submit(_check, lambda a=arn: sfn.describe_state_machine(stateMachineArn=a)["status"])
            for name, arn in machine_arns.items()
            if arn
        }
        heartbeats = submit(_heartbeats)
        dead_letters = submit(_dead_letters, workspace)
        notifications = submit(_notifications, workspace)
    tables, queues, machines = ({name: f.result() for name, f in group.items()} for group in (tables, queues, machines))
    dead_letters = dead_letters.result()
    integ = settings.integrations()
    components = [*tables.values(), *queues.values(), *machines.values()]
    state, reasons = _assess({"table": tables, "queue": queues, "state machine": machines}, dead_letters)
    return {
        "version": __version__,
        "healthy": all(c["reachable"] for c in components),  # every dependency reachable (backlogs aside)
        "status": state,
        "reasons": reasons,
        "store": tables,
        "queues": queues,
        "state_machines": machines,
        "llm": {"configured": bool(integ.anthropic_api_key or integ.pagerless_anthropic_key_parameter)},
        "kubernetes": {
            "configured": bool(integ.pagerless_kubeconfig or integ.pagerless_in_cluster or integ.pagerless_sandbox),
            "mode": "sandbox"
            if integ.pagerless_sandbox
            else "in-cluster"
            if integ.pagerless_in_cluster
            else "kubeconfig"
            if integ.pagerless_kubeconfig
            else "none",
        },
        "heartbeats": heartbeats.result(),
        "dead_letters": dead_letters,
        "notifications": notifications.result(),
    }


def _heartbeats() -> dict:
    try:
        return {r.sk: r.data for r in SystemRepository().list(HEARTBEAT_PK)}
    except Exception:  # noqa: BLE001 — the tables section already reports the store as unreachable
        return {}


def _notifications(workspace: str | None) -> dict:
    """Whether anyone will hear of an incident: without a route, nothing is sent."""
    if workspace is None:
        return {"configured": False, "message": "no workspace given"}
    try:
        from pagerless.store.notify import ConfigRepository

        repository = ConfigRepository()
        routes = (repository.get_routes(workspace) or {}).get("routes") or []
        channels = [c for c in repository.list(workspace, "channel") if c.get("is_enabled", True)]
    except Exception as exc:  # noqa: BLE001 — report, never raise (the store section says why)
        return {"configured": False, "error": type(exc).__name__}
    configured = bool(routes and channels)
    return {
        "configured": configured,
        "routes": len(routes),
        "channels": len(channels),
        "message": None
        if configured
        else "notifications are not configured: add a channel and a route "
        "(/api/notifications/channels, /api/notifications/routes); nothing is sent",
    }


def _queue(sqs, url: str, *, dead_letter: bool) -> dict:
    """One GetQueueAttributes: messages waiting, in flight and delayed (SQS's approximate counts; a
    notification job waiting out a vendor's throttle is a delayed message: `pagerless.notify.throttle`)."""
    probe = _check(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=QUEUE_ATTRIBUTES)["Attributes"])
    if not probe["reachable"]:
        return {**probe, "dead_letter_queue": dead_letter}
    attributes = probe["state"]
    messages = int(attributes.get("ApproximateNumberOfMessages", 0))
    return {
        "reachable": True,
        "state": f"{messages} messages",
        "messages": messages,
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        "dead_letter_queue": dead_letter,
    }


def _dead_letters(workspace: str | None) -> dict:
    """Payloads given up and not replayed yet in the workspace's dead-letter store (one query)."""
    if workspace is None:
        return {"to_replay": None, "message": "no workspace given"}
    limit = settings.status().dead_letter_count_limit
    try:
        from pagerless.store.dead_letters import DeadLetterRepository

        count = DeadLetterRepository().count_to_replay(workspace, limit=limit)
    except Exception as exc:  # noqa: BLE001 — report, never raise (the store section says why)
        return {"to_replay": None, "error": type(exc).__name__}
    return {"to_replay": count, "at_least": count >= limit, "list": "/api/webhooks/dead-letter"}


def _assess(groups: dict[str, dict], dead_letters: dict) -> tuple[str, list[str]]:
    """`unhealthy` when a dependency is unreachable; `degraded` when work piles up or was given up."""
    threshold = settings.status().queue_backlog_threshold
    unreachable, behind = [], []
    for kind, group in groups.items():
        for name, check in group.items():
            if not check["reachable"]:
                unreachable.append(f"{kind} {name} is unreachable ({check['error']})")
            elif kind != "queue":
                continue
            elif check["dead_letter_queue"] and check["messages"] + check["in_flight"]:
                behind.append(f"queue {name} holds {check['messages'] + check['in_flight']} given-up message(s)")
            elif not check["dead_letter_queue"] and check["messages"] > threshold:
                behind.append(f"queue {name} has {check['messages']} messages waiting (threshold {threshold})")
    if dead_letters.get("to_replay"):
        more = "at least " if dead_letters.get("at_least") else ""
        behind.append(f"{more}{dead_letters['to_replay']} dead letter(s) wait for replay ({dead_letters['list']})")
    return (UNHEALTHY if unreachable else DEGRADED if behind else OK), unreachable + behind


def _check(probe) -> dict:
    try:
        return {"reachable": True, "state": probe()}
    except Exception as exc:  # report, never raise: status must answer when things are down
        return {"reachable": False, "error": type(exc).__name__}
