"""Where an incident's messages sit in a chat that threads (Slack, the Lark app: a channel module's ``THREADS``).

The incident's first message in a channel is its root: it is sent on its own, and updated in place where that
happens already (an approval card's decision; the opened card's acknowledgement; the root's resolution,
`pagerless.notify.edits`). A Lark reopen's card is sent on its own (Lark has no ``reply_broadcast``), with a note in
the thread; it is no root: the thread keeps its first message. Every later message of the
incident in that channel (its diagnosis, an approval, a fix, a raised severity, a reopen, its resolution) is a
reply in the root's thread. A page to the channel is not: it is there to wake someone, and a thread's reply
notifies only the people following the thread, so it is sent on its own as before. The delivery log (``deliveries``) knows the root: the oldest delivery of the incident
to the channel that was sent on its own, with the vendor's reference (Slack's channel and ``ts``, Lark's
``message_id``). A root never sent (refused, dead, still retrying) is no root: the next message is sent on its own,
as before, and becomes the root. So does the message sent on its own in place of a reply to a root deleted in the
chat (its reference names the root it ``replaces``): the incident's later messages reply in its thread. A direct message to a paged person, and a webhook channel (DingTalk, WeCom, Teams,
the Lark custom bot), has no thread.
"""

from pagerless.notify.throttle import RetryLaterError
from pagerless.outbox.jobs import NotifyJob
from pagerless.store.deliveries import FAILED, SENDING, SENT, DeliveryRepository

OPENED = "incident.opened"
UNTHREADED = ("escalation.page",)  # sent on its own: see the module docstring


def root(deliveries: DeliveryRepository, job: NotifyJob, channel_id: str) -> dict | None:
    """The vendor reference of the incident's root message in the channel ``channel_id``, or None (no incident, or
    nothing of it sent there on its own yet)."""
    if not job.incident_id or job.event in UNTHREADED:
        return None
    own = [r for r in deliveries.for_incident(job.workspace, job.incident_id) if _own_message(r, channel_id)]
    gone = {r.provider_ref.get("replaces") for r in own} - {None}  # roots deleted in the chat: replaced since
    for record in own:  # oldest first
        ref = record.provider_ref
        if not ref.get("root") and (ref.get("ts") or ref.get("message_id")) not in gone:
            return dict(ref)
    return None


def opened_message(deliveries: DeliveryRepository, job: NotifyJob, channel_id: str) -> dict | None:
    """The vendor reference of the latest ``incident.opened`` message of the incident in the channel (a reopen's,
    if it reopened), the card its Acknowledge button is on; None if none was sent there."""
    card = opened_card(deliveries, job, channel_id)
    return dict(card.provider_ref) if card is not None else None


def opened_said(deliveries: DeliveryRepository, job: NotifyJob, channel_id: str) -> dict:
    """What the opened card in the channel said of a reopen (its job's ``reopened``, ``reopened_at``): an update of
    the card (its acknowledgement) says it again, so a reopen's card stays one and a first opening's stays one."""
    card = opened_card(deliveries, job, channel_id)
    data = ((card.job or {}).get("data") or {}) if card is not None else {}
    return {"reopened": bool(data.get("reopened")), "reopened_at": data.get("reopened_at")}


def opened_card(deliveries: DeliveryRepository, job: NotifyJob, channel_id: str):
    """The delivery of the latest ``incident.opened`` message of the incident in the channel (`opened_message`)."""
    if not job.incident_id:
        return None
    found = None
    for record in deliveries.for_incident(job.workspace, job.incident_id):
        if record.event == OPENED and _own_message(record, channel_id):
            found = record
    return found


def approval_card(deliveries: DeliveryRepository, job: NotifyJob, channel_id: str):
    """The sent approval card (its delivery) of the job's approval in the channel, if any, which its decision updates.

    A card still being sent (or waiting for a retry) makes the update wait: the queue brings the
    decision back later, so a card can never be left with live buttons after its decision.
    """
    if not job.incident_id:
        return None
    cards = [
        d
        for d in deliveries.for_incident(job.workspace, job.incident_id)
        if d.event == "approval.requested" and d.generation == job.generation and d.channel_id == channel_id
    ]
    if any(d.status in (SENDING, FAILED) for d in cards):
        raise RetryLaterError("the approval card is still being sent")
    return next((d for d in cards if d.status == SENT and d.provider_ref), None)


def opened_channels(deliveries: DeliveryRepository, job: NotifyJob) -> list[str]:
    """The channels an ``incident.opened`` message of the incident was sent to (not a person's direct message)."""
    if not job.incident_id:
        return []
    return list(
        dict.fromkeys(
            record.channel_id
            for record in deliveries.for_incident(job.workspace, job.incident_id)
            if record.event == OPENED and record.recipient is None and record.status == SENT and record.provider_ref
        )
    )


def _own_message(record, channel_id: str) -> bool:
    """A message the channel itself got (not a paged person's direct message through it), sent, with a reference."""
    return (
        record.channel_id == channel_id
        and record.recipient is None
        and record.status == SENT
        and bool(record.provider_ref)
    )
