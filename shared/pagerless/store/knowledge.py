"""Knowledge-base entries per workspace."""

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor, field_edits, written


class KnowledgeRecord(BaseModel):
    class Meta:
        table_name = TableName("knowledge")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    content = UnicodeAttribute()
    tags = JSONAttribute(default=list)
    service = UnicodeAttribute(null=True)
    author = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "content": self.content,
            "tags": list(self.tags or []),
            "service": self.service,
            "author": self.author,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


_EDITABLE = ("title", "content", "tags", "service")


class KnowledgeRepository:
    def get(self, workspace: str, entry_id: str) -> KnowledgeRecord:
        try:
            return KnowledgeRecord.get(workspace, entry_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"knowledge entry {entry_id} not found") from exc

    def all(self, workspace: str) -> list[KnowledgeRecord]:
        return list(KnowledgeRecord.query(workspace))

    def page(self, workspace: str, limit: int, cursor: str | None) -> tuple[list[KnowledgeRecord], str | None]:
        """One page of the workspace's entries and the cursor of the next (a bad cursor is a 400)."""
        results = KnowledgeRecord.query(
            workspace, limit=limit, last_evaluated_key=decode_cursor(cursor, KnowledgeRecord, partition=workspace)
        )
        return list(results), encode_cursor(results.last_evaluated_key)

    def put(self, record: KnowledgeRecord) -> KnowledgeRecord:
        record.save()
        return record

    def edit(self, workspace: str, entry_id: str, fields: dict, *, service: str | None = None) -> KnowledgeRecord:
        """Set the named ``fields`` of the stored entry (None removes one) and return it as stored; a
        NotFoundError if it is gone. Only those attributes are written: an edit of the others made since the
        caller read the entry is kept, and a deleted entry is not stored again. With ``service``, only while the
        entry is still that service's (a ConflictError if it was moved meanwhile)."""
        actions = [*field_edits(KnowledgeRecord, fields, _EDITABLE), KnowledgeRecord.updated_at.set(utcnow())]
        record = KnowledgeRecord(workspace, entry_id)
        condition = KnowledgeRecord.id.exists()
        if service is not None:
            condition &= KnowledgeRecord.service == service
        if not written(record.update, actions=actions, condition=condition):
            self.get(workspace, entry_id)  # gone: its NotFoundError
            raise ConflictError(f"knowledge entry {entry_id} was moved to another service meanwhile; read it again")
        return record

    def delete(self, record: KnowledgeRecord, *, service: str | None = None) -> None:
        """Delete the entry; with ``service`` (what a scoped key's check read), only while it is still that
        service's: a ConflictError if it was moved meanwhile, and it stays. An entry gone already is deleted."""
        if service is None:
            record.delete()
            return
        condition = KnowledgeRecord.id.does_not_exist() | (KnowledgeRecord.service == service)
        if not written(record.delete, condition=condition):
            raise ConflictError(f"knowledge entry {record.id} was moved to another service meanwhile; read it again")
