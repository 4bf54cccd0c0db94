"""People and their chat identities, on one table (pk/sk) with a per-workspace index.

A person:          pk "person#<id>",                          sk "person"
A chat identity:   pk "chat#<provider>#<tenant>#<user>",       sk "identity"
    provider is "lark" (tenant = the app id: an open_id differs per app) or "slack" (tenant = team id).
    status "bound" ties it to a person; "pending" waits for an admin to approve the binding.
A chat app config: pk "chatapp#<provider>#<app id>",          sk "app" (its secrets live in SSM).
An email claim:    pk "email#<workspace>#<email>",             sk "email" (one person per email).

A person carries ``version``: an edit is written back only if nobody else wrote it since it was read
(`store.versions`); the other items are written whole by one act each (a binding, an app's registration).
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from pagerless.clock import utcnow
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor, written
from pagerless.store.references import Seen, Write, commit
from pagerless.store.versions import save_unchanged

PERSON_SK, IDENTITY_SK, APP_SK, EMAIL_SK = "person", "identity", "app", "email"
BOUND, PENDING = "bound", "pending"


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_workspace"
        projection = AllProjection()

    workspace_key = UnicodeAttribute(hash_key=True)  # "<workspace>#person" | "<workspace>#identity#<status>" | ...
    sort_key = UnicodeAttribute(range_key=True)


class PeopleRecord(BaseModel):
    """Every item of the people table: the fields below are shared, ``data`` carries the rest."""

    class Meta:
        table_name = TableName("people")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace = UnicodeAttribute()
    workspace_key = UnicodeAttribute()
    sort_key = UnicodeAttribute()
    data = JSONAttribute(default=dict)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(null=True)  # a person's: raised by each edit (none on items an older version wrote)

    by_workspace = ByWorkspace()


class PeopleRepository:
    def get(self, pk: str, sk: str) -> PeopleRecord | None:
        try:
            return PeopleRecord.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None

    def create(self, record: PeopleRecord) -> bool:
        """Store a new item; False if one with the same key exists."""
        return written(record.save, condition=PeopleRecord.pk.does_not_exist())

    def replace(self, record: PeopleRecord) -> bool:
        """Write back an edit of ``record`` if the stored item is still the version it was read at; False,
        and nothing written, if another edit (or a delete) came first: read it again."""
        record.updated_at = utcnow()
        return save_unchanged(record)

    def put(self, record: PeopleRecord) -> None:
        """Store ``record`` whole, whatever is stored under its key (a chat binding, a chat app)."""
        record.updated_at = utcnow()
        record.save()

    def delete(self, record: PeopleRecord, at: Seen | None = None) -> bool:
        """Delete the item (False if it is gone); with ``at``, as a turn of the reference ledger (`store.references`)."""
        if at is not None:
            return commit(at, Write("delete", record, PeopleRecord.pk.exists()))
        return written(record.delete, condition=PeopleRecord.pk.exists())

    def list(
        self, workspace_key: str, *, limit: int = 200, cursor: str | None = None
    ) -> tuple[list[PeopleRecord], str | None]:
        results = PeopleRecord.by_workspace.query(
            workspace_key,
            limit=limit,
            page_size=limit,
            last_evaluated_key=decode_cursor(cursor, PeopleRecord, PeopleRecord.by_workspace, partition=workspace_key),
        )
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)

    def get_many(self, keys: list[tuple[str, str]]) -> list[PeopleRecord]:
        """The items of ``keys`` ((pk, sk)) that exist, in batches (BatchGetItem: 100 a call, unprocessed keys
        asked again), in no particular order."""
        return list(PeopleRecord.batch_get(list(dict.fromkeys(keys)))) if keys else []

    def all(self, workspace_key: str) -> list[PeopleRecord]:
        return list(PeopleRecord.by_workspace.query(workspace_key))
