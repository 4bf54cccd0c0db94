"""The infrastructure probes of /api/status: every table, queue and state machine, the same for every workspace.

The scheduled `status-probe` job takes them every minute and stores the result in the system table, so that
/api/status answers from it (a request that finds it too old or unreadable probes live, and stores that). It is
one item in the heartbeat partition: the query of the heartbeats that /api/status makes anyway returns it, so
reading it costs no call of its own.
"""

from datetime import datetime

from pagerless import settings
from pagerless.clock import parse_time, utcnow
from pagerless.store.system import HEARTBEAT_PK

PROBE_SK = "status-probe"  # the stored probe's sort key in the heartbeat partition
# who took a stored probe -> the `source` /api/status reports for it ("live": this request probed)
SOURCES = {"scheduler": "scheduled", "request": "earlier_request"}
DEAD_LETTER_QUEUES = {"alerts_dlq", "notify_dlq"}
QUEUE_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


def _clients():
    """The process's one client of each service, as the rest of the code sends with: the store's DynamoDB client
    (`store.session`, so a table is probed the way the models reach it), the shared SQS client (`aws.shared_client`)
    and Step Functions' (`step_functions.client`). None is made for the probes: a cold status check makes no client
    of its own."""
    from pagerless import aws, step_functions
    from pagerless.store.session import dynamodb_client

    return dynamodb_client(), aws.shared_client("sqs"), step_functions.client()


def targets() -> dict[str, dict[str, str]]:
    """What is probed, by this process's settings: table names, queue URLs and state machine ARNs by name."""
    wf = settings.workflow()
    queues = {
        "alerts": wf.alert_queue_url,
        "alerts_dlq": wf.alert_dlq_url,
        "notify": wf.notify_queue_url,
        "notify_dlq": wf.notify_dlq_url,
    }
    machines = {"incident_response": wf.incident_state_machine_arn, "selfcheck": wf.selfcheck_state_machine_arn}
    return {
        "store": settings.tables().model_dump(),
        "queues": {name: url for name, url in queues.items() if url},
        "state_machines": {name: arn for name, arn in machines.items() if arn},
    }


def probe(submit) -> dict:
    """A call to every table, queue and state machine, side by side (``submit(fn, *args)`` runs one on the
    caller's threads and returns its future): ``checked_at`` (when the probes began), ``store``, ``queues``,
    ``state_machines`` (each by name: reachable, and its state or the error's type)."""
    dynamodb, sqs, sfn = _clients()
    probed = targets()
    checked_at = utcnow()
    futures = {
        "store": {
            name: submit(_check, lambda t=table: dynamodb.describe_table(TableName=t)["Table"]["TableStatus"])
            for name, table in probed["store"].items()
        },
        "queues": {
            name: submit(_queue, sqs, url, dead_letter=name in DEAD_LETTER_QUEUES)
            for name, url in probed["queues"].items()
        },
        "state_machines": {
            name: submit(_check, lambda a=arn: sfn.describe_state_machine(stateMachineArn=a)["status"])
            for name, arn in probed["state_machines"].items()
        },
    }
    result = {kind: {name: f.result() for name, f in group.items()} for kind, group in futures.items()}
    return {"checked_at": checked_at.isoformat(), **result}


def store(result: dict, *, by: str) -> None:
    """Keep ``result`` (from `probe`) for the next /api/status; ``by``: "scheduler" or "request". A probe
    that began before the one stored (a slow live probe finishing after the scheduler's) is not kept."""
    from pagerless.store.system import SystemRepository

    SystemRepository().put_newer(
        HEARTBEAT_PK, PROBE_SK, {**result, "by": by, "targets": targets()}, parse_time(result["checked_at"])
    )


def stored(records) -> dict | None:
    """The stored probe among the heartbeat partition's ``records``, if there is one that probed what this
    process would probe (a stack's functions share their settings; a probe of other names is not an answer)."""
    data = next((r.data for r in records if r.sk == PROBE_SK), None)
    if not data or data.get("targets") != targets() or data.get("by") not in SOURCES:
        return None
    if parse_time(data.get("checked_at")) is None:
        return None
    return data


def age_seconds(result: dict, now: datetime | None = None) -> float:
    """Seconds since ``result``'s probes began (0 for a clock behind the prober's)."""
    return max(0.0, ((now or utcnow()) - parse_time(result["checked_at"])).total_seconds())


def probe_and_store() -> dict:
    """The scheduled `status-probe` job: probe everything, store it, say when and what did not answer."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=settings.status().probe_threads, thread_name_prefix="status") as executor:
        result = probe(lambda fn, *a, **kw: executor.submit(contextvars.copy_context().run, fn, *a, **kw))
    store(result, by="scheduler")
    unreachable = [
        f"{kind} {name}"
        for kind in ("store", "queues", "state_machines")
        for name, check in result[kind].items()
        if not check["reachable"]
    ]
    return {"checked_at": result["checked_at"], "unreachable": unreachable}


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


def _check(probe) -> dict:
    try:
        return {"reachable": True, "state": probe()}
    except Exception as exc:  # report, never raise: status must answer when things are down
        return {"reachable": False, "error": type(exc).__name__}
