"""moto's DynamoDB ``Query`` without sorting the whole table (patch 9 of
`pagerless.local.moto_speedups`).

moto answers every ``Query`` by listing every item of the table sorted by its key
(``Table.all_items``: a sort with a Python comparison per step) and keeping those that match:
O(n log n) per query in the table's size, which every new alert pays (its correlation query on
the incidents table) and every timeline read. Here, during a query:

- on the table's own key, ``all_items`` lists only the items of the queried hash key — the ones
  moto's filter would keep (it compares each item's hash key with the queried one; the items are
  stored under that key). moto then sorts them by range key itself, as before;
- on an index, ``all_items`` lists every item without sorting, and the matching subset is put in
  the table-key order moto would have listed it in before moto's own index sort runs (a stable
  sort, so items with equal index keys keep moto's order);
- with a ``Limit`` and no ``ExclusiveStartKey`` (the first page), moto sorts only the items its
  query loop can reach before the limit stops it, chosen by a heap in moto's own order (the range
  key's value; on an index, its keys then the table's, the tuple moto sorts by). The workspace's
  event stream takes its next number by reading its newest event, every open event stream polls
  for the events after the last it sent (``seq > n``), and every new incident reads the newest
  incident id from an index: moto sorted the whole partition (three days of events, every
  incident of the workspace) for each. The items are the ``Limit + 1`` first in the query's
  direction: the one past the limit is what moto decides ``LastEvaluatedKey`` on. With a range
  condition, they are counted from the first item that meets it. The items before it can neither
  stop moto's loop (nothing is counted yet, and no item is as large as the 1 MB page) nor meet
  the condition, which on a sort key selects one run of the sorted items. When fewer than
  ``Limit + 1`` meet it, every item past them is kept, as moto's loop would reach them. A
  ``FilterExpression`` does not change which items the loop reaches (moto applies it to the page
  afterwards); moto's legacy ``KeyConditions`` and ``QueryFilter`` filters do, and take moto's path.

The filter, the sort on the index keys, limits, pagination, projection and the answer are moto's.
"""

import heapq
import inspect
import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()


def patch_queries(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.dynamodb.models.table import Table

    query, all_items, sorted_items = Table.query, Table.all_items, Table.sorted_items
    # where each argument comes after hash_key (moto passes most of them by position)
    names = list(inspect.signature(query).parameters)
    position = {name: i - 2 for i, name in enumerate(names)}

    def patched_query(self, hash_key, *args, **kwargs):
        def argument(name):
            return kwargs[name] if name in kwargs else (args[position[name]] if len(args) > position[name] else None)

        index_name, limit, comparison = argument("index_name"), argument("limit"), argument("range_comparison")
        conditions = argument("range_key_conditions") or []
        window = None
        if (
            (index_name or self.range_key_attr)
            and isinstance(limit, int)
            and limit > 0
            and len(conditions) == (1 if comparison else 0)  # one sort key, as every table here has
            and not argument("exclusive_start_key")
            and not set(kwargs) - set(names)  # legacy KeyConditions/QueryFilter, applied inside moto's loop
        ):
            condition = (conditions[0][0], comparison, argument("range_objs")) if comparison else None
            window = (limit + 1, argument("scan_index_forward") is not False, condition)
        _local.query = (self, hash_key, index_name, window)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _local.query = _local.presort = None

    def patched_all_items(self):
        current = getattr(_local, "query", None)
        if current is None or current[0] is not self:
            return all_items(self)
        _, hash_key, index_name, window = current
        if index_name:
            _local.presort = self
            return [i for s in self.items.values() for i in (s.values() if self.range_key_attr else (s,))]
        if hash_key is None or hash_key not in self.items:
            return []
        stored = self.items[hash_key]
        if not self.range_key_attr:
            return [stored]
        return list(stored.values()) if window is None else _reachable(stored.values(), *window, order=_range_value)

    def patched_sorted_items(self, hash_key_attrs, range_key_attrs, items):
        if getattr(_local, "presort", None) is self:
            _local.presort = None
            window = _local.query[3]
            if window is not None:  # the index's order: its keys, then the table's (moto's sort key)
                keys = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
                items = _reachable(items, *window, order=lambda i: tuple(i.attrs[k].cast_value for k in keys))
            items.sort(key=_table_order)  # the order all_items would have listed them in
        return sorted_items(self, hash_key_attrs, range_key_attrs, items)

    patch(Table, "query", patched_query)
    patch(Table, "all_items", patched_all_items)
    patch(Table, "sorted_items", patched_sorted_items)


def _reachable(items, count: int, forward: bool, condition, *, order: Callable) -> list:
    """The items moto's query loop can reach, in the query's ``order``: see the module's docstring."""
    first = heapq.nsmallest if forward else heapq.nlargest
    if condition is None:
        return first(count, items, key=order)
    name, operator, values = condition
    meeting, others = [], []
    for item in items:
        value = item.attrs.get(name)
        (meeting if value is not None and value.compare(operator, values) else others).append(item)
    if len(meeting) >= count or not meeting:
        return first(count, meeting, key=order)
    last = order(max(meeting, key=order) if forward else min(meeting, key=order))
    return meeting + [i for i in others if (order(i) > last if forward else order(i) < last)]


def _range_value(item):
    return item.range_key.cast_value  # what moto's DynamoType comparisons compare


def _table_order(item):
    return (item.hash_key, item.range_key) if item.range_key else item.hash_key
