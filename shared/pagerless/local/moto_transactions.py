"""moto's ``TransactWriteItems`` without a copy of every table it touches (patch 8 of
`pagerless.local.moto_speedups`).

To be able to roll a failed transaction back, moto deep-copies each table the transaction names —
every item of it — before it starts, and puts the copy in the table's place if the transaction
fails. A new alert is one transaction over the alerts and incidents tables (docs/writes.md), so
each new alert copied both tables whole: O(table) CPU and a table-sized burst of short-lived
objects per alert. Under the 2,000-alert Alertmanager storm that was most of the process's time,
and the heap fragmentation it leaves kept gigabytes (docs/performance.md, sections 5 and 6).

Here the copy is of the items the transaction names (at most 100), taken before moto's own code
runs; while it runs, moto's copy of a table is the table itself; when moto rolls back (it does on
exactly `TransactionCanceledException`, `MultipleTransactionsException` and
`MockValidationException` from its loop), those items are put back as they were, or removed if
they did not exist. moto's checks, writes, errors and answers are its own. A table with a stream,
or a transaction whose keys cannot be read here, takes moto's own path unchanged.
"""

import copy
import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()


def patch_transactions(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.dynamodb import exceptions
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    rolled_back = (
        exceptions.TransactionCanceledException,
        exceptions.MultipleTransactionsException,
        exceptions.MockValidationException,
    )
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = _touched(self, transact_items) if len(transact_items) <= 100 else None
        if saved is None:
            return original(self, transact_items)
        _local.same_table = True
        try:
            return original(self, transact_items)
        except rolled_back:
            for table, hash_value, range_value, item in reversed(saved):
                _put_back(table, hash_value, range_value, item)
            raise
        finally:
            _local.same_table = False

    def __deepcopy__(self, memo):
        if getattr(_local, "same_table", False):
            return self  # the rollback copy: the touched items were saved instead
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))  # what deepcopy does without this

    patch(DynamoDBBackend, "transact_write_items", transact_write_items)
    patch(Table, "__deepcopy__", __deepcopy__)


def _touched(backend, transact_items: list[dict]) -> list[tuple] | None:
    """(table, hash key, range key, a copy of the item or None) for each item the transaction
    names; None when moto's own path should run (a stream, an unknown table, an unreadable key)."""
    saved = []
    try:
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None or table.stream_shard is not None:
                return None
            if op_type == "Put":
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            hash_value, range_value = backend.get_keys_value(table, key)
            saved.append((table, hash_value, range_value, copy.deepcopy(_current(table, hash_value, range_value))))
    except Exception:  # noqa: BLE001 - moto's own code reports what is wrong with the request
        return None
    return saved


def _current(table, hash_value, range_value):
    if table.range_key_attr is None:
        return table.items.get(hash_value)
    return table.items[hash_value].get(range_value) if hash_value in table.items else None


def _put_back(table, hash_value, range_value, item) -> None:
    if table.range_key_attr is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
    elif item is None:
        if hash_value in table.items:
            table.items[hash_value].pop(range_value, None)
    else:
        table.items[hash_value][range_value] = item
