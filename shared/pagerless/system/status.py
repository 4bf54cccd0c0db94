"""What is configured and reachable, for GET /api/status and the dev runtime's banner."""

from datetime import UTC, datetime
from functools import cache

from pagerless import __version__, settings
from pagerless.store.system import SystemRepository

HEARTBEAT_PK = "heartbeat"


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
    """Reachability of every table, queue and state machine, and which integrations are set."""
    dynamodb, sqs, sfn = _clients()
    tables = {
        name: _check(lambda t=table: dynamodb.describe_table(TableName=t)["Table"]["TableStatus"])
        for name, table in settings.tables().model_dump().items()
    }
    wf = settings.workflow()
    queues = {
        name: _check(
            lambda u=url: (
                sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                    "ApproximateNumberOfMessages"
                ]
                + " messages"
            )
        )
        for name, url in {
            "alerts": wf.alert_queue_url,
            "alerts_dlq": wf.alert_dlq_url,
            "notify": wf.notify_queue_url,
            "notify_dlq": wf.notify_dlq_url,
        }.items()
        if url
    }
    machines = {
        name: _check(lambda a=arn: sfn.describe_state_machine(stateMachineArn=a)["status"])
        for name, arn in {
            "incident_response": wf.incident_state_machine_arn,
            "selfcheck": wf.selfcheck_state_machine_arn,
        }.items()
        if arn
    }
    integ = settings.integrations()
    heartbeats = {}
    try:
        heartbeats = {r.sk: r.data for r in SystemRepository().list(HEARTBEAT_PK)}
    except Exception:  # the tables section already reports the store as unreachable
        pass
    components = [*tables.values(), *queues.values(), *machines.values()]
    return {
        "version": __version__,
        "healthy": all(c["reachable"] for c in components),
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
        "heartbeats": heartbeats,
        "notifications": _notifications(workspace),
    }


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


def _check(probe) -> dict:
    try:
        return {"reachable": True, "state": probe()}
    except Exception as exc:  # report, never raise: status must answer when things are down
        return {"reachable": False, "error": type(exc).__name__}
