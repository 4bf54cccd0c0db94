"""The delivery log (``deliveries`` table): one item per delivery, keyed by its deterministic id
(incident, event, channel, generation). The claim is a conditional write on that item, so a retried job
never notifies twice. A workspace's notification configuration is ``store.notify``.
"""

import time
from datetime import datetime, timedelta

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor, written

SENDING, SENT, FAILED, GAVE_UP, DEAD = "sending", "sent", "failed", "gave_up", "dead"
SKIPPED = "skipped"  # not sent, on purpose, for good: its ``last_error`` says why (`mark_skipped`)
DELIVERY_STATUSES = (SENDING, SENT, FAILED, GAVE_UP, DEAD, SKIPPED)
# a channel's fix (`PermanentError.fix`) is our own words, a few hundred characters at most (one naming a channel's
# values names few: `pagerless.notify.channels.dingtalk`), kept whole: this bound only guards the item's size
FIX_MAX_CHARS = 1000


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_workspace"
        projection = AllProjection()

    workspace = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)  # "<created iso>#<delivery id>"


class ByIncident(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_incident"
        projection = AllProjection()

    incident_key = UnicodeAttribute(hash_key=True)  # "<workspace>#<incident id>"
    created_key = UnicodeAttribute(range_key=True)


class ByMessage(GlobalSecondaryIndex):
    """Sparse: only a sent message with a vendor reference has a ``message_key`` (`message_key`)."""

    class Meta:
        index_name = "by_message"
        projection = IncludeProjection(["incident_id"])

    message_key = UnicodeAttribute(hash_key=True)


def message_key(workspace: str, ref: dict) -> str | None:
    """The key of the vendor message ``ref`` names in the workspace: Slack's ``channel`` and ``ts``, Lark's
    ``message_id``; None for a reference that names no message (a webhook's)."""
    if ref.get("ts") and ref.get("channel"):
        return f"{workspace}#slack#{ref['channel']}#{ref['ts']}"
    if ref.get("message_id"):
        return f"{workspace}#lark#{ref['message_id']}"
    return None


class DeliveryRecord(BaseModel):
    class Meta:
        table_name = TableName("deliveries")
        region = Region()

    delivery_id = UnicodeAttribute(hash_key=True)
    workspace = UnicodeAttribute()
    created_key = UnicodeAttribute()
    incident_key = UnicodeAttribute()
    incident_id = UnicodeAttribute(null=True)
    event = UnicodeAttribute()
    generation = UnicodeAttribute(default="0")
    channel_id = UnicodeAttribute()
    channel_type = UnicodeAttribute()
    channel_name = UnicodeAttribute(default="")
    status = UnicodeAttribute(default=SENDING)
    attempts = NumberAttribute(default=0)
    throttles = NumberAttribute(null=True)  # of the attempts, those the vendor throttled (not held against retries)
    last_error = UnicodeAttribute(null=True)
    # a refusal about the channel itself (its token, secret or sender), not this message or recipient: what to fix
    channel_fix = UnicodeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    provider_ref = JSONAttribute(null=True)  # what a later update needs (Slack channel + ts, Lark message id)
    message_key = UnicodeAttribute(null=True)  # the sent message, for `incident_of_message` (`by_message`)
    title = UnicodeAttribute(default="")
    job = JSONAttribute(null=True)
    recipient = JSONAttribute(null=True)  # a page to a person: {person_id, name, address}
    # a page to a Teams channel: the people its card @-mentions by their email for lack of a ``teams`` contact,
    # [{person_id, name, email}]; Teams notifies them only where that email is their sign-in name (UPN)
    mentioned_by_email = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    replayed_at = UTCDateTimeAttribute(null=True)  # the last replay: a new run of tries (and throttles) began
    claimed_at = UTCDateTimeAttribute(null=True)
    retry_at = UTCDateTimeAttribute(null=True)  # a failed delivery the vendor told to wait: not tried before
    # a message sent in several requests (SES batches of 50, WeCom's card and its mentions): the parts sent,
    # which a retry or a replay does not send again
    parts_sent = UnicodeSetAttribute(null=True)
    # a card Pagerless edits later (`pagerless.notify.edits`): a digest of what its last edit made it show (None:
    # not known, or an edit under way), so an edit that would show the same is not made (`mark_shown`)
    shown = UnicodeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    expires_at = NumberAttribute(null=True)

    by_workspace = ByWorkspace()
    by_incident = ByIncident()
    by_message = ByMessage()

    def to_public(self) -> dict:
        return {
            "id": self.delivery_id,
            "incident_id": self.incident_id,
            "alert_id": self.incident_id,
            "event": self.event,
            "generation": self.generation,
            "channel_id": self.channel_id,
            "channel_type": self.channel_type,
            "channel_name": self.channel_name,
            "recipient": self.recipient,
            "mentioned_by_email": self.mentioned_by_email or [],
            "status": self.status,
            "attempts": int(self.attempts or 0),
            "last_error": self.last_error,
            "title": self.title,
            "provider_message_id": self.provider_message_id,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "updated_at": self.updated_at.isoformat(),
        }


class DeliveryRepository:
    def claim(self, record: DeliveryRecord, *, stale_seconds: int, retention_days: int) -> DeliveryRecord | None:
        """Take the delivery for one attempt; None when it was sent, given up, or is being sent now.

        Allowed: a new delivery, a failed one (a retry) whose vendor-given wait is over
        (`not_before`), or a ``sending`` claim older than ``stale_seconds`` (its Lambda died mid-send).
        """
        now = utcnow()
        stale = now - timedelta(seconds=stale_seconds)
        due = DeliveryRecord.retry_at.does_not_exist() | (DeliveryRecord.retry_at <= now)
        condition = (
            DeliveryRecord.delivery_id.does_not_exist()
            | ((DeliveryRecord.status == FAILED) & due)
            | ((DeliveryRecord.status == SENDING) & (DeliveryRecord.claimed_at < stale))
        )
        actions = [
            DeliveryRecord.workspace.set(record.workspace),
            DeliveryRecord.incident_key.set(record.incident_key),
            DeliveryRecord.event.set(record.event),
            DeliveryRecord.generation.set(record.generation),
            DeliveryRecord.channel_id.set(record.channel_id),
            DeliveryRecord.channel_type.set(record.channel_type),
            DeliveryRecord.channel_name.set(record.channel_name),
            DeliveryRecord.title.set(record.title[:300]),
            DeliveryRecord.status.set(SENDING),
            DeliveryRecord.claimed_at.set(now),
            DeliveryRecord.updated_at.set(now),
            DeliveryRecord.created_at.set(DeliveryRecord.created_at | now),
            DeliveryRecord.created_key.set(DeliveryRecord.created_key | f"{now.isoformat()}#{record.delivery_id}"),
            DeliveryRecord.attempts.set(DeliveryRecord.attempts | 0),
            DeliveryRecord.expires_at.set(int(time.time()) + retention_days * 86400),
            DeliveryRecord.retry_at.remove(),
        ]
        if record.incident_id:
            actions.append(DeliveryRecord.incident_id.set(record.incident_id))
        if record.job is not None:
            actions.append(DeliveryRecord.job.set(record.job))
        if record.recipient is not None:
            actions.append(DeliveryRecord.recipient.set(record.recipient))
        if record.mentioned_by_email:
            actions.append(DeliveryRecord.mentioned_by_email.set(record.mentioned_by_email))
        if not written(record.update, actions=actions, condition=condition):
            return None
        return record

    def note_attempt(self, record: DeliveryRecord) -> None:
        record.update(actions=[DeliveryRecord.attempts.add(1), DeliveryRecord.updated_at.set(utcnow())])

    def note_throttle(self, record: DeliveryRecord) -> None:
        """The last attempt was throttled: it does not use up the delivery's retries."""
        record.update(actions=[DeliveryRecord.throttles.add(1), DeliveryRecord.updated_at.set(utcnow())])

    def mark_parts_sent(self, record: DeliveryRecord, keys: set[str]) -> None:
        """Record, as each goes out, the parts of a message sent in several requests."""
        record.update(actions=[DeliveryRecord.parts_sent.add(keys), DeliveryRecord.updated_at.set(utcnow())])

    def mark_sent(self, record: DeliveryRecord, *, message_id: str | None, ref: dict | None) -> None:
        now = utcnow()
        actions = [
            DeliveryRecord.status.set(SENT),
            DeliveryRecord.sent_at.set(now),
            DeliveryRecord.updated_at.set(now),
            DeliveryRecord.last_error.remove(),
        ]
        if message_id:
            actions.append(DeliveryRecord.provider_message_id.set(message_id))
        if ref:
            actions.append(DeliveryRecord.provider_ref.set(ref))
            if key := message_key(record.workspace, ref):
                actions.append(DeliveryRecord.message_key.set(key))
        record.update(actions=actions)

    def mark_failed(
        self,
        record: DeliveryRecord,
        status: str,
        error: str,
        *,
        retry_at: datetime | None = None,
        fix: str | None = None,
    ) -> None:
        """``retry_at``: when the vendor said the delivery may be tried again; its claim is refused
        before (the job's other deliveries are retried at the queue's pace meanwhile). ``fix``: the refusal is
        about the channel itself, and this is what to change (`pagerless.notify.health`)."""
        now = utcnow()
        actions = [
            DeliveryRecord.status.set(status),
            DeliveryRecord.last_error.set(error[:1000]),
            DeliveryRecord.channel_fix.set(fix[:FIX_MAX_CHARS]) if fix else DeliveryRecord.channel_fix.remove(),
            DeliveryRecord.updated_at.set(now),
        ]
        if retry_at is not None and retry_at > now:
            actions.append(DeliveryRecord.retry_at.set(retry_at))
        record.update(actions=actions)

    def mark_skipped(self, record: DeliveryRecord, why: str) -> None:
        """The claimed delivery is not sent, and never will be (no claim takes it again): ``why``."""
        self.mark_failed(record, SKIPPED, why)

    def forget_shown(self, card: DeliveryRecord) -> None:
        """An edit of ``card`` is under way: what it shows is not known until it is done (`mark_shown`)."""
        written(card.update, actions=[DeliveryRecord.shown.remove()], condition=DeliveryRecord.delivery_id.exists())

    def mark_shown(self, card: DeliveryRecord, digest: str) -> None:
        """The edit of ``card`` is done: it shows ``digest``; unless another edit was under way meanwhile (its
        ``forget_shown`` came after this one's, and it may have reached the vendor last): then not known. A card
        whose delivery is gone (past the log's retention) is left so."""
        exists = DeliveryRecord.delivery_id.exists()
        if not written(
            card.update,
            actions=[DeliveryRecord.shown.set(digest)],
            condition=exists & DeliveryRecord.shown.does_not_exist(),
        ):
            self.forget_shown(card)

    def not_before(self, delivery_id: str) -> datetime | None:
        """When a failed delivery that its vendor told to wait may be tried again; None if it may be
        now, or is not a failed one (sent, given up, being sent)."""
        record = self.find(delivery_id)
        if record is None or record.status != FAILED or record.retry_at is None or record.retry_at <= utcnow():
            return None
        return record.retry_at

    def release(self, record: DeliveryRecord, error: str) -> None:
        """Give the claim back without counting it (rate-limited: a later run tries again)."""
        self.mark_failed(record, FAILED, error)

    def revive(self, delivery_id: str) -> bool:
        """A dead or given-up delivery may be claimed again (a replay); False if it was sent meanwhile."""
        return written(
            DeliveryRecord(delivery_id).update,
            actions=[
                DeliveryRecord.status.set(FAILED),
                DeliveryRecord.attempts.set(0),
                DeliveryRecord.throttles.remove(),
                DeliveryRecord.replayed_at.set(utcnow()),
                DeliveryRecord.updated_at.set(utcnow()),
                DeliveryRecord.retry_at.remove(),  # a person's replay is tried now
            ],
            condition=DeliveryRecord.status.is_in(DEAD, GAVE_UP, FAILED),
        )

    def get(self, delivery_id: str) -> DeliveryRecord:
        try:
            return DeliveryRecord.get(delivery_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"delivery {delivery_id} not found") from exc

    def find(self, delivery_id: str) -> DeliveryRecord | None:
        try:
            return DeliveryRecord.get(delivery_id, consistent_read=True)
        except DoesNotExist:
            return None

    def for_incident(self, workspace: str, incident_id: str) -> list[DeliveryRecord]:
        return list(DeliveryRecord.by_incident.query(f"{workspace}#{incident_id}"))

    def latest(self, workspace: str, *, limit: int) -> list[DeliveryRecord]:
        """The workspace's ``limit`` most recently created deliveries, newest first (one query)."""
        return list(DeliveryRecord.by_workspace.query(workspace, scan_index_forward=False, limit=limit))

    def incident_of_message(self, workspace: str, ref: dict) -> str | None:
        """The incident whose message is the vendor message ``ref`` names (Slack's ``channel`` and ``ts``, Lark's
        ``message_id``): one query of ``by_message``, however long ago it was sent (within the log's retention)."""
        key = message_key(workspace, ref)
        if key is None:
            return None
        found = next((r.incident_id for r in DeliveryRecord.by_message.query(key) if r.incident_id), None)
        return found or self._recent_incident_of_message(workspace, ref)

    def _recent_incident_of_message(self, workspace: str, ref: dict, within: int = 500) -> str | None:
        """A message sent before ``message_key`` was written (an upgrade's open incidents): among the workspace's
        ``within`` latest deliveries, as the lookup was before."""
        for record in self.latest(workspace, limit=within):
            sent = record.provider_ref or {}
            if record.incident_id and not record.message_key and all(sent.get(k) == v for k, v in ref.items()):
                return record.incident_id
        return None

    def page(
        self, workspace: str, *, incident_id: str | None, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[DeliveryRecord], str | None]:
        condition = None
        if status:
            condition = DeliveryRecord.status == status
        if incident_id:
            results = DeliveryRecord.by_incident.query(
                f"{workspace}#{incident_id}",
                filter_condition=condition,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(
                    cursor, DeliveryRecord, DeliveryRecord.by_incident, partition=f"{workspace}#{incident_id}"
                ),
                page_size=max(limit, 25),
            )
        else:
            results = DeliveryRecord.by_workspace.query(
                workspace,
                filter_condition=condition,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(
                    cursor, DeliveryRecord, DeliveryRecord.by_workspace, partition=workspace
                ),
                page_size=max(limit, 25),
            )
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)


def new_delivery(
    delivery_id: str,
    *,
    workspace: str,
    incident_id: str | None,
    event: str,
    generation: str,
    channel: dict,
    title: str,
    job: dict | None,
    recipient: dict | None = None,
    mentioned_by_email: list[dict] | None = None,
) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_id,
        workspace=workspace,
        incident_id=incident_id,
        incident_key=f"{workspace}#{incident_id or '-'}",
        event=event,
        generation=generation,
        channel_id=channel["id"],
        channel_type=channel["channel_type"],
        channel_name=channel.get("name", ""),
        title=title,
        job=job,
        recipient=recipient,
        mentioned_by_email=mentioned_by_email or None,
    )


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
