"""The pages a person got by direct message (Slack, the Lark app), whose Acknowledge button goes stale once the
incident is acknowledged.

An acknowledgement (``incident.acknowledged``) updates the incident's opened cards in its channels
(`pagerless.notify.threads.opened_message`) and, here, every page card sent to a person: the card keeps what it said
(the page's own job renders it again, in the person's time zone) and says who acknowledged and when in place of its
button, as the opened card does. A page card already answered "already acknowledged" to a second person's click;
now it shows it before anyone clicks.
"""

import json
from dataclasses import replace

from pagerless.notify.channels import channel_module
from pagerless.notify.channels.base import ACKNOWLEDGED, Message
from pagerless.notify.recipients import Recipient, zone_of
from pagerless.outbox.jobs import NotifyJob
from pagerless.store.deliveries import SENT, DeliveryRecord, DeliveryRepository

PAGE = "escalation.page"


def live(deliveries: DeliveryRepository, job: NotifyJob, channels: list[dict]) -> list[tuple[dict, DeliveryRecord]]:
    """(channel, delivery) of each page card of the incident sent to a person through one of ``channels`` (usable
    now) whose chat updates its messages and whose buttons call back, oldest first."""
    if not job.incident_id:
        return []
    by_id = {c["id"]: c for c in channels}
    found = []
    for record in deliveries.for_incident(job.workspace, job.incident_id):
        channel = by_id.get(record.channel_id)
        if (
            record.event == PAGE
            and record.recipient
            and record.status == SENT
            and record.provider_ref
            and channel is not None
            and getattr(channel_module(channel["channel_type"]), "CLICKS", False)
        ):
            found.append((channel, record))
    return found


def page_job(record: DeliveryRecord) -> NotifyJob:
    """The page's own job, which renders its card again."""
    return NotifyJob.from_json(json.dumps(record.job))


def recipient(workspace: str, record: DeliveryRecord) -> Recipient:
    """The paged person of ``record``, in their time zone now (None: the channel's), for the card's times."""
    from pagerless.people.service import PeopleService

    sent = record.recipient or {}
    person = PeopleService().find(workspace, str(sent.get("person_id") or ""))
    zone = zone_of(person) if person is not None else None
    return Recipient(
        str(sent.get("person_id") or ""), str(sent.get("name") or ""), str(sent.get("address") or ""), {}, timezone=zone
    )


def acknowledged(message: Message, ctx: dict) -> Message:
    """The page card once acknowledged: who did it and when, in place of its Acknowledge button."""
    decision = {
        "status": ACKNOWLEDGED,
        "decided_by": ctx.get("acknowledged_by"),
        "decided_at": ctx.get("acknowledged_at"),
    }
    return replace(message, decision=decision)
