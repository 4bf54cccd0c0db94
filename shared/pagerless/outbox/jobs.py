"""The notification job: what a workflow step, intake, escalation or a report puts on NotifyQueue.

This is the one contract between the code that decides *that* people must hear of something
and the notify function that decides *who*, *where* and *how* (routes, on-call targets,
templates, channels, delivery with retry). Producers never call a vendor inline.

A job is JSON on the queue::

    {"kind": "notify", "workspace": "default", "event": "approval.requested",
     "incident_id": "INC-20261202-0001", "generation": "<approval id>",
     "targets": null, "data": {...}}

``generation`` makes a delivery's deterministic id ``(incident_id, event, channel, generation)``:
a Lambda retry of the same job notifies nobody twice, while a later occurrence of the same event
(a new approval after a re-diagnosis, the next escalation step) carries a new generation.
``targets`` is ``None`` for "whoever the routes say"; escalation and reports name theirs:
``[{"kind": "person" | "schedule" | "channel", "id": "..."}]``.
"""

import json
import math
from dataclasses import asdict, dataclass, field

from pagerless import settings
from pagerless.sqs_text import message_json

KIND = "notify"

# Every event a template and a route can name.
EVENTS = (
    "incident.opened",
    "incident.acknowledged",  # edits the opened and page cards (Slack, the Lark app); routed where none is edited
    "incident.diagnosed",
    "approval.requested",
    "approval.decided",
    "incident.remediated",
    "incident.resolved",
    "incident.escalated",
    "incident.no_fix",  # the workflow proposed no fix: why, in the incident's thread (the planner's reason)
    "escalation.page",
    "oncall.handoff",
    "report.ready",
    "test",
)
# Jobs that only edit cards sent earlier (`pagerless.notify.edits`): no route, no template names them.
CARD_EDITS = ("incident.reopened",)  # a reopen: the thread's first message and the opened cards are open again


@dataclass(frozen=True)
class NotifyJob:
    workspace: str
    event: str
    incident_id: str | None = None
    generation: str = "0"
    targets: list[dict] | None = None
    data: dict = field(default_factory=dict)
    kind: str = KIND

    def __post_init__(self) -> None:
        if self.event not in EVENTS + CARD_EDITS:
            raise ValueError(f"unknown notification event {self.event!r}")

    def to_json(self) -> str:
        return message_json(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> "NotifyJob":
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise ValueError("not a notification job")
        return cls(
            workspace=data["workspace"],
            event=data["event"],
            incident_id=data.get("incident_id"),
            generation=str(data.get("generation", "0")),
            targets=data.get("targets"),
            data=data.get("data") or {},
        )


def _sqs():
    from pagerless import aws

    return aws.shared_client("sqs")


MAX_DELAY_SECONDS = 900  # SQS's longest message delay: no job is held back longer than this
QUEUE_REDELIVERY_SECONDS = 180  # NotifyQueue's VisibilityTimeout (template.yaml): when a failed job comes back


def delay_redelivery(receipt_handle: str, seconds: float) -> None:
    """Make a received NotifyQueue message visible again only after ``seconds`` (at most
    MAX_DELAY_SECONDS; best effort: if this fails, the queue's own visibility timeout applies)."""
    url = settings.workflow().notify_queue_url
    if not url:
        return
    try:
        _sqs().change_message_visibility(
            QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=min(MAX_DELAY_SECONDS, math.ceil(seconds))
        )
    except Exception:
        from pagerless.observability import logger

        logger().warning("could not delay the redelivery of a notification job", exc_info=True)


def enqueue(job: NotifyJob, *, sqs=None, delay_seconds: int = 0) -> bool:
    """Put the job on NotifyQueue, received no sooner than ``delay_seconds`` (at most MAX_DELAY_SECONDS); a no-op
    (logged by the caller's choice) when no queue is wired: False."""
    url = settings.workflow().notify_queue_url
    if not url:
        return False
    extra = {"DelaySeconds": min(MAX_DELAY_SECONDS, delay_seconds)} if delay_seconds else {}
    (sqs or _sqs()).send_message(QueueUrl=url, MessageBody=job.to_json(), **extra)
    return True
