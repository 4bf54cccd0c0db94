"""moto's SQS receive, send and delete without walking the whole queue per message (patches 7,
13 and 14 of `pagerless.local.moto_speedups`).

``ReceiveMessage`` asked the queue for all its attributes (each counting every message, reading
the clock per message) to learn its retention period, once per message received: a backlog made
each receive O(n) several times over (a third of a storm's samples). Here the period is read from
the queue itself, and the visible messages (and the approximate counts, which ``SendMessage`` also
builds) are taken against one reading of the clock instead of one per message. Same messages, same
order, same counts, same retention rule.

``DeleteMessage`` looked for the message holding the receipt handle with two Python passes over
every message of the queue, each building a list of the message's handles, and the journal
(`pagerless.local.journal`) made a third to learn the message's id: under a storm's backlog of
thousands, each delete cost more than the alert it acknowledged. Here a message is remembered by
the receipt handle a receive gives it (``holder``), and a delete takes that message out of the
queue in one step, under the queue's lock. A message is remembered only while it exists (weakly:
a deleted or purged message is forgotten with it). A handle not remembered (given before this
patch), or whose message is no longer in that queue (moved to the DLQ, purged), takes moto's own
search, with moto's errors.

``SendMessage`` built the queue's whole attribute map (three counts over every message) to ask it
one thing: whether the queue deduplicates by content. Under a storm's backlog that was a third of
each acknowledgement's send. Here the send asks the queue's own two attributes the map would have
been built from (``fifo_queue``, ``content_based_deduplication``; a standard queue's map has no
``ContentBasedDeduplication``); the rest is moto's ``send_message`` as of moto 5.2.
"""

import hashlib
import string
import threading
import weakref
from collections.abc import Callable
from typing import Any

_holders: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # receipt handle -> its message
_holders_lock = threading.Lock()


def holder(receipt_handle: str):
    """The message a receive gave ``receipt_handle`` to, if remembered (it may since have left its queue)."""
    message = _holders.get(receipt_handle)
    return message if message is not None and message.had_receipt_handle(receipt_handle) else None


def patch_sqs_receive(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.sqs import models

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        retention_period = self.get_queue(queue_name).message_retention_period
        return retention_period + message.sent_timestamp / 1000 > models.unix_time()

    def messages(self) -> list:
        now = models.unix_time_millis()  # what `Message.visible` and `.delayed` each read
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def not_visible(self) -> int:
        now = models.unix_time_millis()
        return sum(1 for m in self._messages if not now > m.visible_at)

    def delayed(self) -> int:
        now = models.unix_time_millis()
        return sum(1 for m in self._messages if now < m.delayed_until)

    patch(models.SQSBackend, "is_message_valid_based_on_retention_period", is_message_valid_based_on_retention_period)
    patch(models.Queue, "messages", property(messages))
    patch(models.Queue, "approximate_number_of_messages_not_visible", property(not_visible))
    patch(models.Queue, "approximate_number_of_messages_delayed", property(delayed))


def patch_sqs_delete(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.sqs import models

    mark_received = models.Message.mark_received
    delete_message = models.Queue.delete_message

    def remembering_mark_received(self, visibility_timeout: int | None = None) -> None:
        mark_received(self, visibility_timeout)
        with _holders_lock:
            _holders[self.receipt_handle] = self

    def deleting_the_holder(self, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # moto: already deleted, gracefully
        message = holder(receipt_handle)
        if message is not None:
            with self._messages_lock:  # what a send appends under
                kept = list(self._messages)
                try:
                    kept.remove(message)  # Message has no __eq__: found by identity
                except ValueError:
                    kept = None
                else:
                    self._messages = kept
            if kept is not None:
                self.pending_messages.discard(message)
                self.deleted_messages.update(message.all_receipt_handles)
                with _holders_lock:
                    for handle in message.all_receipt_handles:
                        _holders.pop(handle, None)
                return
        delete_message(self, receipt_handle)

    patch(models.Message, "mark_received", remembering_mark_received)
    patch(models.Queue, "delete_message", deleting_the_holder)


def patch_sqs_send(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.sqs import models

    if getattr(models.SQSBackend.send_message, "__wrapped__", None) is not None:
        # replacing it would drop the wrapper: the journal's, that makes each send survive a crash
        raise RuntimeError("moto's SQS send_message is already wrapped: install the speedups before the journal")

    def deduplicates_by_content(queue) -> bool:
        # what `queue.attributes.get("ContentBasedDeduplication") == "true"` answers
        return bool(queue.fifo_queue) and str(queue.content_based_deduplication).lower() == "true"

    def send_message(
        self,
        queue_name: str,
        message_body: str,
        message_attributes: dict[str, Any] | None = None,
        delay_seconds: int | None = None,
        deduplication_id: str | None = None,
        group_id: str | None = None,
        system_attributes: dict[str, Any] | None = None,
        validate_group_id: bool = True,
    ):
        queue = self.get_queue(queue_name)
        self._validate_message(
            queue,
            message_body=message_body,
            delay_seconds=int(delay_seconds or 0),
            deduplication_id=deduplication_id,
            group_id=group_id,
            validate_group_id=validate_group_id,
        )
        delay_seconds = int(delay_seconds) if delay_seconds is not None else queue.delay_seconds
        message = models.Message(str(models.random.uuid4()), message_body, system_attributes)
        if deduplication_id is None and deduplicates_by_content(queue):
            message.deduplication_id = hashlib.sha256(message_body.encode("utf-8")).hexdigest()
        if deduplication_id is not None:
            message.deduplication_id = deduplication_id
            message.sequence_number = "".join(models.random.choice(string.digits) for _ in range(20))
        if group_id is not None:
            message.group_id = group_id
        if message_attributes:
            message.message_attributes = message_attributes
        if delay_seconds > models.MAXIMUM_MESSAGE_DELAY:
            raise models.InvalidParameterValue(
                f"Value {delay_seconds} for parameter DelaySeconds is invalid. "
                "Reason: DelaySeconds must be >= 0 and <= 900."
            )
        message.mark_sent(delay_seconds=delay_seconds)
        queue.add_message(message)
        return message

    patch(models.SQSBackend, "send_message", send_message)


def forget_holders() -> None:
    with _holders_lock:
        _holders.clear()
