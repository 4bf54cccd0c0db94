"""Delivering one notification job: route, render, claim, send with retry (`pagerless.notify.attempts`), record.

Each (job, channel) is a delivery with a deterministic id over (workspace, incident, event,
channel, generation). The delivery is claimed with a conditional write before the vendor is
called, so a Lambda retry of the same job skips what was sent. A retryable failure (429 with
Retry-After, 5xx, timeout) is tried again with backoff, in this invocation while the wait is
short, otherwise by the queue; after ``max_attempts`` the delivery is dead and the job goes to
the dead-letter store, where a replay sends it again. Any other 4xx gives up at once. A throttle (a 429,
WeCom's 45009, DingTalk's 130101) does not use up ``max_attempts``: it waits the vendor's wait (at least a
second), or minutes through the queue when the vendor says none, and only time ends it; a job that only waits
goes back as a new delayed message, so NotifyQueue's maxReceiveCount counts only real failures (`throttle`).
A message sent in several requests records its parts on the delivery as they go (``Parts``): a retry sends
the rest.

Known window: a Lambda that dies after the vendor accepted the message but before the ``sent``
write leaves a ``sending`` claim; after ``claim_stale_seconds`` a retry takes it over and the
message may be sent a second time. Nothing else sends twice.
"""

import hashlib
import json
import time
from dataclasses import dataclass, field
from functools import partial

import httpx

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.notify import attempts, compose, edits, reach, recipients, render, threads
from pagerless.notify import context as contexts
from pagerless.notify.channels import channel_module
from pagerless.notify.channels.base import ChannelError, Mention, Message
from pagerless.notify.config import ChannelService, channel_zone
from pagerless.notify.email_pages import with_ack_link, with_approval_links
from pagerless.notify.recipients import Recipient
from pagerless.notify.route_service import RouteService
from pagerless.notify.routing import pick
from pagerless.notify.template_service import TemplateService
from pagerless.notify.throttle import RetryLaterError
from pagerless.observability import logger
from pagerless.outbox.jobs import NotifyJob
from pagerless.store import deliveries as store
from pagerless.store.deliveries import DeliveryRepository
from pagerless.store.notify import ConfigRepository


@dataclass
class Outcome:
    delivered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already sent (a retry), or nothing to update
    failed: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"delivered": self.delivered, "skipped": self.skipped, "failed": self.failed}


def delivery_id(job: NotifyJob, channel_id: str, event: str | None = None) -> str:
    key = "|".join((job.workspace, job.incident_id or "-", event or job.event, channel_id, job.generation))
    return "dlv-" + hashlib.sha256(key.encode()).hexdigest()[:32]


class NotifyService:
    def __init__(self, http: httpx.Client | None = None, sleep=time.sleep) -> None:
        self.config = ConfigRepository()
        self.channels = ChannelService(self.config)
        self.templates = TemplateService(self.config)
        self.routes = RouteService(self.config)
        self.deliveries = DeliveryRepository()
        self._http = http
        self.sleep = sleep

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=settings.notify().timeout_seconds, follow_redirects=False)
        return self._http

    # ------------------------------------------------------------------ the job
    def handle(self, job: NotifyJob, *, deadline: float | None = None) -> Outcome:
        """Deliver ``job`` to its channels; ``deadline`` (time.monotonic) is when the invocation must end:
        what cannot be tried before it goes back to the queue instead of being cut off by a timeout."""
        incident = contexts.incident_of(job)  # read once: the context, the edits and the cards rendered again
        ctx = contexts.build_for(job, incident)
        outcome = Outcome()
        retry_later: list[str] = []
        waits: list[float | None] = []  # per delivery to retry: the vendor's wait, or None (the queue's pace)
        waiting_only = True  # every delivery to retry only waits (throttled): no receive of the job failed
        plan, unreachable = self.recipients(job, ctx) if not edits.only_edits(job) else ([], [])
        mentions = self._mentions(job, [c for c, r in plan if r is None])
        stale = edits.stale_resolve(job, incident)  # a resolve the incident reopened since: its message is not said
        steps = [
            (
                c["id"] + (f"#{r.person_id}" if r else ""),
                partial(self._skip, job, c, ctx, stale, outcome)
                if stale
                else partial(self._deliver, job, c, ctx, outcome, deadline, r, mentions),
            )
            for c, r in plan
        ]
        if job.event in edits.EDITING:  # and the cards sent earlier it edits, whatever the routes say
            latest = [threads.opened_message(self.deliveries, job, c["id"]) for c, r in plan if r is None]
            cards = edits.cards(self.deliveries, job, self.channels.usable(job.workspace), latest, incident)
            steps += [
                (card.delivery_id, partial(self._edit, job, c, card, ctx, outcome, deadline, incident))
                for c, card in cards
            ]
        for label, step in steps:
            if not attempts.time_for(deadline, 0):
                retry_later.append(f"{label}: no time left in this invocation")
                waits.append(None)
                waiting_only = False
                continue
            try:
                step()
            except RetryLaterError as exc:
                retry_later.append(f"{label}: {exc}")
                waits.append(exc.retry_after)
                waiting_only = waiting_only and exc.throttled
        reach.settle(job, plan, unreachable, mentions, self._status, waiting=bool(retry_later))
        if retry_later:
            # back at the queue's pace while a delivery has no wait of its own, else when the first wait
            # is over: a delivery whose wait is not over is not tried (its claim says when: `not_before`)
            wait = None if None in waits else min(waits)
            raise RetryLaterError("; ".join(retry_later), wait, throttled=waiting_only)
        return outcome

    def given_up(self, job: NotifyJob) -> None:
        """The queue gave up on ``job``: the paged people no delivered message reached are unreachable (a message
        still to be retried then reaches nobody)."""
        if job.incident_id and job.targets:
            plan, unreachable = self.recipients(job, contexts.build(job))
            mentions = self._mentions(job, [c for c, r in plan if r is None])
            reach.settle(job, plan, unreachable, mentions, self._status, waiting=False)

    def _status(self, delivery: str) -> str | None:
        return getattr(self.deliveries.find(delivery), "status", None)

    def recipients(self, job: NotifyJob, ctx: dict) -> tuple[list[tuple[dict, Recipient | None]], list[str]]:
        """Where the job goes: each channel (recipient None), then each person paged through a channel; and
        the paged people no direct message or email reaches."""
        out: list[tuple[dict, Recipient | None]] = [(c, None) for c in self.targets(job, ctx)]
        people = [t for t in job.targets or [] if t.get("kind") in ("person", "schedule")]
        if not people:
            return out, []
        usable = self.channels.usable(job.workspace)  # not a type switched off in /api/plugins
        reached, unreachable = recipients.resolve(job.workspace, people, usable)
        return out + reached, unreachable

    def _mentions(self, job: NotifyJob, groups: list[dict]) -> tuple[Mention, ...]:
        """The paged people a page to ``groups`` may @-mention, when one of them mentions people at all."""
        if job.event != "escalation.page" or not any(
            getattr(channel_module(c["channel_type"]), "MENTIONS", None) for c in groups
        ):
            return ()
        return tuple(recipients.mentions(job.workspace, job.targets or []))

    def targets(self, job: NotifyJob, ctx: dict) -> list[dict]:
        """Enabled channels: the job's own channel targets, else whatever the routes say. A channel
        whose type is switched off in /api/plugins is not delivered to."""
        channels = self.channels.usable(job.workspace)
        if job.event == ACKNOWLEDGED:  # the opened cards it edits, whatever the routes say now, then the routes'
            opened = pick(channels, threads.opened_channels(self.deliveries, job))
            edited = [c for c in opened if channel_module(c["channel_type"]).CAN_UPDATE]
            return edited + [c for c in self._routed(job, ctx, channels) if c not in edited]
        if job.targets is not None:
            return pick(channels, [t.get("id") for t in job.targets if t.get("kind") == "channel"])
        return self._routed(job, ctx, channels)

    def _routed(self, job: NotifyJob, ctx: dict, channels: list[dict]) -> list[dict]:
        route_set = self.routes.get(job.workspace)
        if route_set is None or not route_set.routes:
            return []
        from pagerless.notify.routing import resolve

        return pick(channels, resolve(route_set, contexts.facts(ctx)))

    # ------------------------------------------------------------------ one channel
    def _deliver(
        self,
        job: NotifyJob,
        channel: dict,
        ctx: dict,
        outcome: Outcome,
        deadline: float | None,
        recipient: Recipient | None = None,
        mentions: tuple[Mention, ...] = (),
    ) -> None:
        module = channel_module(channel["channel_type"])
        ref = None
        event = job.event
        if job.event == ACKNOWLEDGED and module.CAN_UPDATE:  # an opened card there says who: edited, no message
            if (opened := threads.opened_card(self.deliveries, job, channel["id"])) is not None:
                ref = dict(opened.provider_ref)
                ctx = {**ctx, **threads.opened_said(self.deliveries, job, channel["id"])}  # a reopen's stays one
                self.deliveries.forget_shown(opened)  # edited here, not by `_edit`: what it shows is not known
        if job.event == "approval.decided":
            card = threads.approval_card(self.deliveries, job, channel["id"])
            if card is not None and module.CAN_UPDATE:
                ref = card.provider_ref
            elif module.CAN_UPDATE:
                outcome.skipped.append(channel["id"])  # no card of this approval there: nothing to update
                return
        message = self.message(job, channel, ctx, update=ref is not None, recipient=recipient, mentions=mentions)
        if recipient is not None and job.event == "escalation.page" and channel["channel_type"] in ("email", "ses"):
            message = with_ack_link(message, job, recipient)
        if job.event == "approval.requested" and channel["channel_type"] in ("email", "ses") and ref is None:
            message = with_approval_links(message, job, channel)
        target = channel["id"] + (f"#{recipient.person_id}" if recipient else "")
        if recipient is not None and recipient.instead_of and not self._refused(job, recipient.instead_of, event):
            return  # the person's direct messages went out (or are being retried): no email on top
        by_email = module.mentioned_by_email(message) if hasattr(module, "mentioned_by_email") else []
        if by_email:
            logger().warning(
                "teams mentions by email, for lack of a teams contact: they notify only where it is the UPN",
                extra={"channel_id": channel["id"], "people": [p["person_id"] for p in by_email]},
            )
        record = store.new_delivery(
            delivery_id(job, target, event),
            workspace=job.workspace,
            incident_id=job.incident_id,
            event=event,
            generation=job.generation,
            channel=channel,
            title=render_plain(message.title),
            job=json.loads(job.to_json()),
            recipient=recipient.to_public() if recipient else None,
            mentioned_by_email=by_email,
        )
        claimed = self._claim(record, outcome, target)
        if claimed is None:
            return
        override, configured = (recipient.override if recipient is not None else {}), channel

        def config() -> dict:  # read per attempt: an SSM outage is retried like a vendor's 5xx
            return {**self.channels.delivery_config(job.workspace, configured), **override}

        thread = None
        if ref is None and recipient is None and getattr(module, "THREADS", False):
            thread = threads.root(self.deliveries, job, channel["id"])  # later messages reply in the root's thread
        if recipient is not None:
            channel = {**channel, "id": target}  # what the outcome and the dead letter name
        sent = self._attempt(job, channel, module, config, claimed, message, ref, outcome, deadline, thread)
        if sent and ref is None and module.CAN_UPDATE:  # a card a later event may edit: what it shows (`_edit`)
            self.deliveries.mark_shown(claimed, edits.digest(message))

    def _claim(self, record, outcome: Outcome, target: str):
        """The delivery claimed for an attempt; None (noted skipped) when it was sent or is being sent."""
        conf = settings.notify()
        claimed = self.deliveries.claim(
            record, stale_seconds=conf.claim_stale_seconds, retention_days=conf.log_retention_days
        )
        if claimed is None:
            if (due := self.deliveries.not_before(record.delivery_id)) is not None:  # the vendor's wait is not over
                raise RetryLaterError(
                    f"waiting until {due.isoformat()}", (due - utcnow()).total_seconds(), throttled=True
                )
            outcome.skipped.append(target)
        return claimed

    def _edit(self, job: NotifyJob, channel: dict, card, ctx: dict, outcome: Outcome, deadline, incident) -> None:
        """A card sent earlier (``card``, its delivery), edited to say what ``job`` says (`edits`); ``incident``: as
        read for ``job`` (the card's is the same incident)."""
        earlier = edits.card_job(card)
        shown = self.message(
            earlier, channel, contexts.build_for(earlier, incident), recipient=edits.recipient(job.workspace, card)
        )
        message = edits.edited(shown, job, ctx)
        target, showing = card.delivery_id, edits.digest(message)  # a person paged twice got two cards
        record = store.new_delivery(
            delivery_id(job, target),
            workspace=job.workspace,
            incident_id=job.incident_id,
            event=job.event,
            generation=job.generation,
            channel=channel,
            title=render_plain(message.title),
            job=json.loads(job.to_json()),
            recipient=card.recipient,
        )
        if (claimed := self._claim(record, outcome, target)) is None:
            return
        if card.shown == showing:  # the card shows that already: no vendor call (Slack's chat.update is rate-limited)
            self.deliveries.mark_skipped(claimed, "not edited: the card shows this already")
            outcome.skipped.append(target)
            return
        module, config = (
            channel_module(channel["channel_type"]),
            partial(self.channels.delivery_config, job.workspace, channel),
        )
        self.deliveries.forget_shown(card)
        ref, to = dict(card.provider_ref), {**channel, "id": target}
        if self._attempt(job, to, module, config, claimed, message, ref, outcome, deadline):
            self.deliveries.mark_shown(card, showing)

    def _skip(self, job: NotifyJob, channel: dict, ctx: dict, why: str, outcome: Outcome) -> None:
        """The job's message to ``channel``, not sent: the delivery log says ``why`` (`edits.stale_resolve`)."""
        message = self.message(job, channel, ctx)
        record = store.new_delivery(
            delivery_id(job, channel["id"]),
            workspace=job.workspace,
            incident_id=job.incident_id,
            event=job.event,
            generation=job.generation,
            channel=channel,
            title=render_plain(message.title),
            job=json.loads(job.to_json()),
        )
        if (claimed := self._claim(record, outcome, channel["id"])) is not None:
            self.deliveries.mark_skipped(claimed, why)
            outcome.skipped.append(channel["id"])
            logger().info("notification not said", extra={"delivery_id": record.delivery_id, "reason": why})

    def _refused(self, job: NotifyJob, targets: tuple[str, ...], event: str) -> bool:
        """Whether every one of the job's deliveries to ``targets`` was refused for good."""
        records = [self.deliveries.find(delivery_id(job, target, event)) for target in targets]
        return all(r is not None and r.status in (store.GAVE_UP, store.DEAD) for r in records)

    def _attempt(self, job, channel, module, config_for, record, message, ref, outcome, deadline, thread=None) -> bool:
        return attempts.attempt(self, job, channel, module, config_for, record, message, ref, outcome, deadline, thread)

    # ------------------------------------------------------------------ rendering
    def message(
        self,
        job: NotifyJob,
        channel: dict,
        ctx: dict,
        *,
        update: bool = False,
        recipient: Recipient | None = None,
        mentions: tuple[Mention, ...] = (),
    ) -> Message:
        """``job`` as ``channel`` shows it; ``recipient``: a paged person's direct message (or email), whose times
        read in the person's time zone, else in the channel's."""
        module = channel_module(channel["channel_type"])
        # the channel's language; else the job's own (a report's, which is written in one), else English
        language = channel["config"].get("language") or job.data.get("language") or "en"
        zone = (recipient.timezone if recipient is not None else None) or channel_zone(channel)
        event = _UPDATED.get(job.event, job.event) if update else job.event  # an updated card keeps its content
        template = self.templates.choose(job.workspace, module.TYPE, event, language)
        fallback = render.default_template(event, language)
        page = recipient is not None
        decided = None
        if event == "approval.requested":  # a card decided (updated, or sent late) says the decision in its title

            def decided() -> dict:
                return self.templates.choose(job.workspace, module.TYPE, "approval.decided", language)

        return compose.message(
            job, module, template, ctx, page=page, mentions=mentions, fallback=fallback, zone=zone, decided=decided
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()


ACKNOWLEDGED, RESOLVED = "incident.acknowledged", "incident.resolved"
# an update's event -> the event of the card it updates, whose template renders it (the card keeps its content)
_UPDATED = {"approval.decided": "approval.requested", ACKNOWLEDGED: "incident.opened"}


def render_plain(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


__all__ = ["ChannelError", "NotifyService", "Outcome", "RetryLaterError", "delivery_id"]
