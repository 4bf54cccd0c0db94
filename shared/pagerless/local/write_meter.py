"""Count DynamoDB writes and the write units they would cost, on the embedded AWS.

A development tool for `bench/write_cost.py` and the write-count tests: it wraps the write
actions of moto's DynamoDB handler (every client and thread goes through them), looks at each
written item before and after, and bills it as DynamoDB does (on-demand, standard table class):
- the table: 1 WCU per started KB of the larger of the item before and after (2x in a
  transaction); a failed conditional write costs 1 WCU and changes nothing;
- each global secondary index: nothing when the item is in it neither before nor after, or when
  neither its key nor a projected attribute changed; 1 write when the item enters, leaves, or a
  projected attribute changes; 2 writes (delete + put) when the index key changes. An index
  entry's size is its projected attributes plus 100 bytes.

Usage::

    meter = WriteMeter().install()
    with meter.measure("duplicate"):
        ...
    meter.report["duplicate"]  # {"writes": 1, "wcu": 1.0, "tables": {...}}
    meter.uninstall()
"""

import contextlib
import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field

INDEX_ENTRY_OVERHEAD = 100
_ACTIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


@dataclass
class Cost:
    writes: int = 0  # write requests that changed an item (a transaction counts one per item)
    failed: int = 0  # conditional writes refused (billed 1 WCU each)
    wcu: float = 0.0  # base tables and indexes together
    index_writes: int = 0
    tables: dict = field(default_factory=lambda: defaultdict(lambda: {"writes": 0, "wcu": 0.0}))

    def as_dict(self) -> dict:
        return {
            "writes": self.writes,
            "failed_conditional": self.failed,
            "wcu": self.wcu,
            "index_writes": self.index_writes,
            "by_table_and_index": {k: dict(v) for k, v in self.tables.items()},
        }


class WriteMeter:
    def __init__(self) -> None:
        self.costs: dict[str, Cost] = defaultdict(Cost)
        self._label = threading.local()
        self._originals: dict = {}

    # ------------------------------------------------------------------ use
    def install(self) -> "WriteMeter":
        from moto.dynamodb.responses import DynamoHandler

        for action in _ACTIONS:
            original = getattr(DynamoHandler, action)
            self._originals[action] = original
            setattr(DynamoHandler, action, self._wrap(action, original))
        return self

    def uninstall(self) -> None:
        from moto.dynamodb.responses import DynamoHandler

        for action, original in self._originals.items():
            setattr(DynamoHandler, action, original)
        self._originals.clear()

    @contextlib.contextmanager
    def measure(self, label: str):
        """Bill the writes made by this thread inside the block to ``label``."""
        previous = getattr(self._label, "value", None)
        self._label.value = label
        try:
            yield self.costs[label]
        finally:
            self._label.value = previous

    @property
    def report(self) -> dict:
        return {label: cost.as_dict() for label, cost in self.costs.items()}

    # ------------------------------------------------------------------ billing
    def _wrap(self, action: str, original):
        meter = self

        def wrapped(handler):
            label = getattr(meter._label, "value", None)
            if label is None:
                return original(handler)
            body = handler.body if isinstance(handler.body, dict) else {}
            backend = handler.dynamodb_backend
            targets = meter._targets(action, body)
            before = [meter._snapshot(backend, table, key) for table, key, _ in targets]
            try:
                result = original(handler)
            except Exception:
                cost = meter.costs[label]
                cost.failed += 1
                cost.wcu += 1
                raise
            cost = meter.costs[label]
            for (table, key, factor), old in zip(targets, before, strict=True):
                meter._bill(cost, table, old, meter._snapshot(backend, table, key), factor)
            return result

        return wrapped

    @staticmethod
    def _targets(action: str, body: dict) -> list[tuple[str, dict, int]]:
        if action == "transact_write_items":
            out = []
            for entry in body.get("TransactItems", []):
                for kind in ("Put", "Update", "Delete"):
                    if kind in entry:
                        part = entry[kind]
                        out.append((part["TableName"], part.get("Key") or part.get("Item"), 2))
            return out
        if action == "batch_write_item":
            return [
                (table, (r.get("PutRequest") or {}).get("Item") or (r.get("DeleteRequest") or {}).get("Key"), 1)
                for table, requests in body.get("RequestItems", {}).items()
                for r in requests
            ]
        return [(body["TableName"], body.get("Key") or body.get("Item"), 1)]

    @staticmethod
    def _snapshot(backend, table_name: str, key: dict) -> dict | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = backend.get_table(table_name)
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(DynamoType(key[table.hash_key_attr]), range_key)
        if item is None:
            return None
        indexes = {}
        for index in table.global_indexes:
            if not all(name in item.attrs for name in index.schema_key_attrs):
                continue
            projected = index.project(item)
            indexes[index.name] = (
                tuple(str(item.attrs[name].to_json()) for name in index.schema_key_attrs),
                {name: str(value.to_json()) for name, value in projected.attrs.items()},
                projected.size() + INDEX_ENTRY_OVERHEAD,
            )
        return {"size": item.size(), "indexes": indexes, "names": [i.name for i in table.global_indexes]}

    @staticmethod
    def _bill(cost: Cost, table: str, old: dict | None, new: dict | None, factor: int) -> None:
        if old is None and new is None:
            return
        size = max((old or {}).get("size", 0), (new or {}).get("size", 0))
        units = factor * max(1, math.ceil(size / 1024))
        cost.writes += 1
        cost.wcu += units
        cost.tables[table]["writes"] += 1
        cost.tables[table]["wcu"] += units
        for name in (old or new)["names"]:
            before = (old or {}).get("indexes", {}).get(name)
            after = (new or {}).get("indexes", {}).get(name)
            if before is None and after is None:
                continue
            if before is not None and after is not None and before[1] == after[1]:
                continue  # neither the key nor a projected attribute changed
            if before is not None and after is not None and before[0] != after[0]:
                entries = [before[2], after[2]]  # the key moved: delete + put
            else:
                entries = [(after or before)[2]]
            index_units = sum(max(1, math.ceil(s / 1024)) for s in entries)
            cost.index_writes += len(entries)
            cost.wcu += index_units
            cost.tables[f"{table}.{name}"]["writes"] += len(entries)
            cost.tables[f"{table}.{name}"]["wcu"] += index_units
