"""Knowledge bases, their documents and the documents' chunks, on the knowledge table.

Partitions never meet the plain entries' (`<workspace>`): knowledge bases live under
`<workspace>#kb`, a base's documents and chunks under `<workspace>#kb#<kb id>` with sort keys
`doc#<id>` and `chunk#<doc id>#<n>`.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError
from pagerless.store.base import BaseModel, Region, TableName


class KnowledgeBaseRecord(BaseModel):
    class Meta:
        table_name = TableName("knowledge")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)  # "<workspace>#kb"
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    created_by = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute(default=utcnow)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_by": self.created_by,
            "created_at": self.created_at,
        }


class DocumentItem(BaseModel):
    """A document (``id`` = ``doc#<doc id>``) or one of its chunks (``chunk#<doc id>#<n>``)."""

    class Meta:
        table_name = TableName("knowledge")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)  # "<workspace>#kb#<kb id>"
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    chunk_count = NumberAttribute(null=True)
    text = UnicodeAttribute(null=True)  # chunks only
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)

    def document_dict(self, kb_id: str) -> dict:
        return {
            "id": self.id.removeprefix("doc#"),
            "knowledge_id": kb_id,
            "name": self.name,
            "content_type": self.content_type,
            "size": int(self.size or 0),
            "sha256": self.sha256,
            "chunks": int(self.chunk_count or 0),
            "created_by": self.created_by,
            "created_at": self.created_at,
        }


def _bases(workspace: str) -> str:
    return f"{workspace}#kb"


def _docs(workspace: str, kb_id: str) -> str:
    return f"{workspace}#kb#{kb_id}"


class DocumentRepository:
    def create_base(self, workspace: str, kb_id: str, name: str, description: str, actor: str) -> KnowledgeBaseRecord:
        record = KnowledgeBaseRecord(_bases(workspace), kb_id, name=name, description=description, created_by=actor)
        record.save(condition=KnowledgeBaseRecord.id.does_not_exist())
        return record

    def base(self, workspace: str, kb_id: str) -> KnowledgeBaseRecord:
        try:
            return KnowledgeBaseRecord.get(_bases(workspace), kb_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"knowledge base {kb_id} not found") from exc

    def bases(self, workspace: str) -> list[KnowledgeBaseRecord]:
        return list(KnowledgeBaseRecord.query(_bases(workspace)))

    def delete_base(self, workspace: str, kb_id: str) -> None:
        record = self.base(workspace, kb_id)
        with DocumentItem.batch_write() as batch:
            for item in DocumentItem.query(_docs(workspace, kb_id)):
                batch.delete(item)
        record.delete()

    def add_document(
        self,
        workspace: str,
        kb_id: str,
        doc_id: str,
        *,
        name: str,
        content_type: str,
        size: int,
        sha256: str,
        chunks: list[str],
        actor: str,
    ) -> DocumentItem:
        """Chunks first, the document item last: a listed document always has all its chunks."""
        partition = _docs(workspace, kb_id)
        with DocumentItem.batch_write() as batch:
            for n, text in enumerate(chunks):
                batch.save(DocumentItem(partition, f"chunk#{doc_id}#{n:05d}", text=text))
        document = DocumentItem(
            partition,
            f"doc#{doc_id}",
            name=name,
            content_type=content_type,
            size=size,
            sha256=sha256,
            chunk_count=len(chunks),
            created_by=actor,
        )
        document.save()
        return document

    def documents(self, workspace: str, kb_id: str) -> list[DocumentItem]:
        return list(DocumentItem.query(_docs(workspace, kb_id), DocumentItem.id.startswith("doc#")))

    def document(self, workspace: str, kb_id: str, doc_id: str) -> DocumentItem:
        try:
            return DocumentItem.get(_docs(workspace, kb_id), f"doc#{doc_id}", consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"document {doc_id} not found in knowledge base {kb_id}") from exc

    def chunks(self, workspace: str, kb_id: str) -> list[DocumentItem]:
        return list(DocumentItem.query(_docs(workspace, kb_id), DocumentItem.id.startswith("chunk#")))

    def delete_document(self, workspace: str, kb_id: str, doc_id: str) -> None:
        document = self.document(workspace, kb_id, doc_id)
        document.delete()  # first: a half-deleted document is never listed
        with DocumentItem.batch_write() as batch:
            for item in DocumentItem.query(_docs(workspace, kb_id), DocumentItem.id.startswith(f"chunk#{doc_id}#")):
                batch.delete(item)
