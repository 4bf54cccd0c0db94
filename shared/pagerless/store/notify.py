"""Notification configuration (channels, templates, routes, rate windows), the ``notify`` table.

It holds a workspace's configuration under one partition: ``channel#<id>``, ``template#<id>``, ``routes``,
short-lived ``rate#<channel>#<minute>`` counters and ``noted#<key>`` markers (what was written on a timeline
once: a person a page did not reach). The delivery log is ``store.deliveries``.

A channel or template carries ``version``: an edit is written back only if nobody else wrote it since it was
read (`store.versions`). So does the routes document, replaced whole: each write raises it, and a replace is
conditional on the request's If-Match (`store.versions.replace_if_match`).
"""

import time

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError
from pagerless.domain.preconditions import IfMatch
from pagerless.store.base import BaseModel, Region, TableName, lost_race, written
from pagerless.store.versions import replace_if_match, save_unchanged, version_of


class NotifyItem(BaseModel):
    class Meta:
        table_name = TableName("notify")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    data = JSONAttribute(default=dict)
    count = NumberAttribute(null=True)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    expires_at = NumberAttribute(null=True)
    version = NumberAttribute(null=True)  # a channel's, template's or the routes': raised by each edit


class ConfigRepository:
    """Channels and templates (``kind`` is "channel" or "template") and the routes document."""

    def put(self, workspace: str, kind: str, item_id: str, data: dict) -> dict:
        NotifyItem(workspace, f"{kind}#{item_id}", data=data, updated_at=utcnow()).save()
        return data

    def get(self, workspace: str, kind: str, item_id: str) -> dict:
        return self.item(workspace, kind, item_id).data

    def item(self, workspace: str, kind: str, item_id: str) -> NotifyItem:
        """The stored channel or template with its version, for an edit (`replace`)."""
        try:
            return NotifyItem.get(workspace, f"{kind}#{item_id}", consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"{kind} {item_id} not found") from exc

    def replace(self, item: NotifyItem, data: dict) -> bool:
        """Write ``data`` as the edit of ``item`` if the stored item is still the version it was read at; False,
        and nothing written, if another edit (or a delete) came first: read it again."""
        item.data, item.updated_at = data, utcnow()
        return save_unchanged(item)

    def list(self, workspace: str, kind: str) -> list[dict]:
        return [i.data for i in NotifyItem.query(workspace, NotifyItem.sk.startswith(f"{kind}#"), consistent_read=True)]

    def delete(self, workspace: str, kind: str, item_id: str) -> None:
        self.get(workspace, kind, item_id)
        NotifyItem(workspace, f"{kind}#{item_id}").delete()

    def get_routes(self, workspace: str) -> dict | None:
        found = self.get_routes_versioned(workspace)
        return found[0] if found is not None else None

    def get_routes_versioned(self, workspace: str) -> tuple[dict, int] | None:
        """The routes document and its stored version (0: stored before versions); None if never stored."""
        try:
            item = NotifyItem.get(workspace, "routes", consistent_read=True)
        except DoesNotExist:
            return None
        return item.data, version_of(item)

    def put_routes(self, workspace: str, data: dict, if_match: IfMatch | None = None) -> int | None:
        """Replace the routes (created without ``if_match``): the version written, or None and nothing
        written when ``if_match`` does not hold for what is stored."""
        return replace_if_match(NotifyItem(workspace, "routes", data=data), if_match, upsert=True)

    def take_rate_slot(
        self, workspace: str, channel_id: str, per_minute: int, now: float | None = None, *, slots: int = 1
    ) -> float:
        """Count ``slots`` messages in the channel's current minute; 0 if allowed, else seconds to wait."""
        now = time.time() if now is None else now
        minute = int(now // 60)
        item = NotifyItem(workspace, f"rate#{channel_id}#{minute}")
        if not written(
            item.update,
            actions=[NotifyItem.count.add(slots), NotifyItem.expires_at.set(minute * 60 + 180)],
            condition=NotifyItem.count.does_not_exist() | (NotifyItem.count <= per_minute - slots),
        ):
            return (minute + 1) * 60 - now
        return 0.0


def not_noted(workspace: str, keys: list[str]) -> list[str]:
    """Those of ``keys`` that no `put_noted` marked yet, in order."""
    found = {i.sk for i in NotifyItem.batch_get([(workspace, f"noted#{k}") for k in dict.fromkeys(keys)])}
    return [k for k in keys if f"noted#{k}" not in found]


NOTED_PER_ITEM = 99  # DynamoDB's 100 items in one transaction, less the item the markers go with


def put_noted(item: Model, workspace: str, keys: list[str], *, retention_days: int) -> bool:
    """Put ``item`` (a timeline item) with a marker for each of ``keys`` (at most NOTED_PER_ITEM), in one
    transaction; False, and nothing written, when one of them was marked already (another run wrote it first)."""
    if len(keys) > NOTED_PER_ITEM:
        raise ValueError(f"at most {NOTED_PER_ITEM} markers go with one item, not {len(keys)}")
    expires = int(time.time()) + retention_days * 86400
    try:
        with TransactWrite(connection=Connection(region=Region().__get__(None, NotifyItem))) as tx:
            tx.save(item)
            for key in keys:
                marker = NotifyItem(workspace, f"noted#{key}", updated_at=utcnow(), expires_at=expires)
                tx.save(marker, condition=NotifyItem.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_race(exc):
            return False
        raise
    return True
