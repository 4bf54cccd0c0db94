"""Concurrent saves of one model's items, committed together.

A writer that finds no commit in progress commits what every writer has handed in by then: one
``PutItem`` for a lone item, one ``BatchWriteItem`` of up to 25 otherwise. Writers that arrive
while it commits wait, and the next of them commits what gathered meanwhile. Nothing waits for
company: a lone writer commits at once, as ``Model.save`` would, so a Lambda function (one
request at a time) makes the same single ``PutItem`` as before. Under concurrent load (`pagerless
dev` answering a storm's webhooks from many threads) one request carries many items.

Each ``save`` returns once its own item is stored, and raises what committing it raised; the
items of a failed batch may be partly stored, as with ``Model.batch_write``. Only for items that
are put whole, with no condition and no version attribute: a batch write takes neither.
"""

import threading
from dataclasses import dataclass

from pynamodb.models import Model

BATCH_LIMIT = 25  # DynamoDB's BatchWriteItem


@dataclass(eq=False)
class _Ticket:
    item: Model
    done: bool = False
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self._changed = threading.Condition()
        self._pending: list[_Ticket] = []
        self._committing = False

    def save(self, item: Model) -> None:
        ticket = _Ticket(item)
        with self._changed:
            self._pending.append(ticket)
        while True:
            with self._changed:
                while self._committing and not ticket.done:
                    self._changed.wait()
                if ticket.done:
                    break
                self._committing = True
                batch, self._pending = self._pending[:BATCH_LIMIT], self._pending[BATCH_LIMIT:]
            error: BaseException | None = None
            try:
                self._commit(batch)
            except BaseException as exc:  # every writer of the batch gets it
                error = exc
                if not isinstance(exc, Exception):
                    raise  # an interrupt: the finally still releases the waiting writers
            finally:
                with self._changed:
                    for each in batch:
                        each.done, each.error = True, error
                    self._committing = False
                    self._changed.notify_all()
        if ticket.error is not None:
            raise ticket.error

    def _commit(self, batch: list[_Ticket]) -> None:
        if len(batch) == 1:
            batch[0].item.save()
            return
        with self.model.batch_write() as writer:
            for each in batch:
                writer.save(each.item)
