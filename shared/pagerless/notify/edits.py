"""Cards sent earlier that a later event edits in place (Slack, the Lark app: channels that update a message).

- ``incident.acknowledged``: every page card a person got by direct message (`page_cards`), whose Acknowledge button
  would otherwise stay live, says who acknowledged and when instead (the incident's opened cards in its channels are
  edited by the delivery itself: `pagerless.notify.threads.opened_message`).
- ``incident.resolved``: in a chat that threads, the thread's first message and the incident's opened cards
  (`closing_cards`) say who resolved it and when: the resolution is a reply in the thread, and the message the channel
  sees read as before (open, or acknowledged, with its button). The page cards people got say it too.

Both edit wherever the cards went, whatever the routes say now.

A card keeps what it said: its own job renders it again (a page's in the person's time zone), with the decision line
(`Message.decision`) in place of its buttons.
"""

import json
from dataclasses import replace

from pagerless.notify.channels import channel_module
from pagerless.notify.channels.base import ACKNOWLEDGED, RESOLVED, Message
from pagerless.notify.recipients import Recipient, zone_of
from pagerless.outbox.jobs import NotifyJob
from pagerless.store.deliveries import SENT, DeliveryRecord, DeliveryRepository

PAGE, OPENED = "escalation.page", "incident.opened"
APPROVAL_CARDS = ("approval.requested", "approval.decided")


def page_cards(
    deliveries: DeliveryRepository, job: NotifyJob, channels: list[dict]
) -> list[tuple[dict, DeliveryRecord]]:
    """(channel, delivery) of each page card of the incident sent to a person through one of ``channels`` (usable
    now) whose buttons call back (and so which updates its messages), oldest first."""
    return [
        (channel, record)
        for channel, record in _sent(deliveries, job, channels)
        if record.event == PAGE
        and record.recipient
        and getattr(channel_module(channel["channel_type"]), "CLICKS", False)
    ]


def closing_cards(
    deliveries: DeliveryRepository, job: NotifyJob, channels: list[dict]
) -> list[tuple[dict, DeliveryRecord]]:
    """(channel, delivery) of the first message of the incident in each of ``channels`` that threads and updates its
    messages, and of each of its opened cards there (a reopen's), once each, oldest first. An approval's card is left
    to its decision (`approval.decided`: a resolve closes a pending approval, and its card says so)."""
    found, seen = [], set()
    for channel, record in _sent(deliveries, job, channels):
        module = channel_module(channel["channel_type"])
        if record.recipient or not (getattr(module, "THREADS", False) and module.CAN_UPDATE):
            continue
        if record.event in APPROVAL_CARDS:  # its approval's decision edits it (a resolve closes the approval)
            continue
        first = channel["id"] not in {c["id"] for c, _ in found}
        message = json.dumps(record.provider_ref, sort_keys=True)
        if (first and not record.provider_ref.get("root") or record.event == OPENED) and message not in seen:
            seen.add(message)
            found.append((channel, record))
    return found


def _sent(deliveries: DeliveryRepository, job: NotifyJob, channels: list[dict]):
    if not job.incident_id:
        return
    by_id = {c["id"]: c for c in channels}
    for record in deliveries.for_incident(job.workspace, job.incident_id):
        if record.status == SENT and record.provider_ref and record.job and record.channel_id in by_id:
            yield by_id[record.channel_id], record


def card_job(record: DeliveryRecord) -> NotifyJob:
    """The card's own job, which renders it again."""
    return NotifyJob.from_json(json.dumps(record.job))


def recipient(workspace: str, record: DeliveryRecord) -> Recipient | None:
    """The person a card went to (None: a channel's), in their time zone now, for the card's times."""
    from pagerless.people.service import PeopleService

    if not record.recipient:
        return None
    sent = record.recipient
    person = PeopleService().find(workspace, str(sent.get("person_id") or ""))
    zone = zone_of(person) if person is not None else None
    return Recipient(
        str(sent.get("person_id") or ""), str(sent.get("name") or ""), str(sent.get("address") or ""), {}, timezone=zone
    )


def edited(message: Message, job: NotifyJob, ctx: dict) -> Message:
    """The card once ``job`` happened: who acknowledged (or resolved) it and when, in place of its buttons."""
    if job.event == "incident.resolved":
        decision = {"status": RESOLVED, "decided_by": ctx.get("resolved_by"), "decided_at": ctx.get("resolved_at")}
    else:
        decision = {
            "status": ACKNOWLEDGED,
            "decided_by": ctx.get("acknowledged_by"),
            "decided_at": ctx.get("acknowledged_at"),
        }
    return replace(message, decision=decision)
