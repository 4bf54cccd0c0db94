"""moto's SQS receive and send without counting the whole queue per message (patch 7 of
`pagerless.local.moto_speedups`).

``ReceiveMessage`` asked the queue for all its attributes (each counting every message, reading
the clock per message) to learn its retention period, once per message received: a backlog made
each receive O(n) several times over (a third of a storm's samples). Here the period is read from
the queue itself, and the visible messages (and the approximate counts, which ``SendMessage`` also
builds) are taken against one reading of the clock instead of one per message. Same messages, same
order, same counts, same retention rule.
"""

from collections.abc import Callable
from typing import Any


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
