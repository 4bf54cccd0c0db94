"""Cards sent earlier that a later event edits in place (Slack, the Lark app: channels that update a message).

- ``incident.acknowledged``: every page card of the incident's current episode a person got by direct message
  (`page_cards`), whose Acknowledge button would otherwise stay live, says who acknowledged and when instead (the
  incident's latest opened card in a channel is edited by the delivery itself: `pagerless.notify.threads.opened_message`;
  after a reopen, the thread's first message and the earlier opened cards, which the reopen opened again, with it).
- ``incident.resolved``: in a chat that threads, the thread's first message and the incident's opened cards
  (`closing_cards`) say who resolved it and when: the resolution is a reply in the thread, and the message the channel
  sees read as before (open, or acknowledged, with its button). The page cards of the episode it resolved (its job's
  ``episode``: `pagerless.incidents.notices.resolved_episode`) say it too. A resolve the incident has reopened since
  (its job came after the reopen) closes only those: the cards the reopen opened stay open, and it says nothing in
  the thread (`stale_resolve`). A job naming no episode (queued by an older version) closes the current episode's
  page cards and the opened cards, unless the incident is open now: then nothing.
- ``incident.reopened`` (an edit only: `pagerless.outbox.jobs.CARD_EDITS`): the cards the resolve closed
  (`closing_cards`) read as the incident is now, open, with their Acknowledge button again.

Episodes: the thread's first message and the opened cards are the incident's face in the channel and follow it
through every reopen. A page card belongs to the episode that paged: its job names the reopen it paged for (the
escalation's ``reopened_at``, `pagerless.oncall.engine`; none for the first opening), and it follows the incident only
while that is the incident's last reopen. A page card of an earlier episode stays as its episode's resolve left it.

All of them are edited wherever the cards went, whatever the routes say now. An edit that would not change what the
card shows (its delivery's ``shown``, `digest`) is not made: the delivery log says so (Slack's ``chat.update`` is
rate-limited: the README's "What a card costs").

A card keeps what it said: its own job renders it again (a page's in the person's time zone), with the decision line
(`Message.decision`) in place of its buttons.
"""

import hashlib
import json
from dataclasses import asdict, replace

from pagerless.domain.incidents import IncidentStatus
from pagerless.notify.channels import channel_module
from pagerless.notify.channels.base import ACKNOWLEDGED, RESOLVED, Message
from pagerless.notify.recipients import Recipient, zone_of
from pagerless.outbox.jobs import CARD_EDITS, NotifyJob
from pagerless.store.deliveries import SENT, DeliveryRecord, DeliveryRepository

PAGE, OPENED, REOPENED = "escalation.page", "incident.opened", "incident.reopened"
RESOLVED_EVENT, ENDED = "incident.resolved", "episode"  # a resolve's job names the episode it ended
APPROVAL_CARDS = ("approval.requested", "approval.decided")
EDITING = ("incident.acknowledged", "incident.resolved", REOPENED)  # the events that edit cards sent earlier


def only_edits(job: NotifyJob) -> bool:
    """Whether ``job`` only edits cards (a reopen's; a flap's quiet resolve, ``cards_only``): no message of its own."""
    return job.event in CARD_EDITS or bool(job.event in EDITING and (job.data or {}).get("cards_only"))


def page_cards(
    deliveries: DeliveryRepository, job: NotifyJob, channels: list[dict], episode: str | None
) -> list[tuple[dict, DeliveryRecord]]:
    """(channel, delivery) of each page card of the incident's episode ``episode`` (its last reopen, ISO 8601; None:
    never reopened) sent to a person through one of ``channels`` (usable now) whose buttons call back (and so which
    updates its messages), oldest first."""
    return [
        (channel, record)
        for channel, record in _sent(deliveries, job, channels)
        if record.event == PAGE
        and record.recipient
        and getattr(channel_module(channel["channel_type"]), "CLICKS", False)
        and ((record.job or {}).get("data") or {}).get("reopened_at") == episode
    ]


def episode(incident) -> str | None:
    """The incident's current episode: when it last reopened (ISO 8601); None if it never did (or is gone: None)."""
    reopened = getattr(incident, "reopened_at", None)
    return reopened.isoformat() if reopened else None


def cards(
    deliveries: DeliveryRepository, job: NotifyJob, channels: list[dict], latest_opened: list[dict], incident
) -> list[tuple[dict, DeliveryRecord]]:
    """(channel, delivery) of each card sent earlier that ``job`` edits (see the module docstring), through
    ``channels`` (usable now); ``latest_opened``: the references of the opened cards the acknowledgement's own
    delivery edits (`pagerless.notify.threads.opened_message`); ``incident``: the job's, as read for it (None: gone,
    `pagerless.notify.context.incident_of`)."""
    resolved_now = incident is not None and incident.status == IncidentStatus.RESOLVED.value
    if job.event == REOPENED:  # resolved again meanwhile: its resolve's edit says so
        return closing_cards(deliveries, job, channels) if incident is not None and not resolved_now else []
    if job.event == RESOLVED_EVENT:
        return _resolved_cards(deliveries, job, channels, incident)
    now = episode(incident)
    found = page_cards(deliveries, job, channels, now)
    if now is not None:  # an acknowledgement after a reopen: the cards the reopen opened again
        found += [(c, r) for c, r in closing_cards(deliveries, job, channels) if r.provider_ref not in latest_opened]
    return found


def _resolved_cards(deliveries: DeliveryRepository, job: NotifyJob, channels: list[dict], incident):
    if ENDED in (job.data or {}):  # the episode it resolved: its page cards, the incident's face unless reopened
        found = page_cards(deliveries, job, channels, job.data[ENDED])
        return found if _reopened_since(job, incident) else found + closing_cards(deliveries, job, channels)
    if incident is not None and incident.status != IncidentStatus.RESOLVED.value:
        return []  # an older job, come after a later reopen: which episode it resolved is not known
    return page_cards(deliveries, job, channels, episode(incident)) + closing_cards(deliveries, job, channels)


def stale_resolve(job: NotifyJob, incident) -> str | None:
    """Why ``job``, an ``incident.resolved`` naming the episode it resolved, says nothing in the chat: ``incident``
    (its incident as read for it) reopened since (its "resolved" would read after the reopen, as if the reopened
    incident were resolved); None when it speaks (and for a job naming no episode, an older version's)."""
    if job.event != RESOLVED_EVENT or ENDED not in (job.data or {}):
        return None
    if not _reopened_since(job, incident):
        return None
    return f"not said: the incident reopened at {episode(incident)}, after this resolve (its job came late)"


def _reopened_since(job: NotifyJob, incident) -> bool:
    """Whether the incident left the episode ``job`` resolved (its ``episode``): open again, or reopened since."""
    if incident is None:
        return False
    return incident.status != IncidentStatus.RESOLVED.value or episode(incident) != job.data[ENDED]


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


def digest(message: Message) -> str:
    """What a card shows once ``message`` is its content (a digest of all of it), as its delivery remembers it."""
    content = json.dumps(asdict(message), sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:32]


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
    """The card once ``job`` happened: who acknowledged (or resolved) it and when, in place of its buttons; reopened,
    as it was sent (its buttons back)."""
    if job.event == REOPENED:
        return replace(message, decision=None)
    if job.event == RESOLVED_EVENT:
        decision = {"status": RESOLVED, "decided_by": ctx.get("resolved_by"), "decided_at": ctx.get("resolved_at")}
    else:
        decision = {
            "status": ACKNOWLEDGED,
            "decided_by": ctx.get("acknowledged_by"),
            "decided_at": ctx.get("acknowledged_at"),
        }
    return replace(message, decision=decision)
