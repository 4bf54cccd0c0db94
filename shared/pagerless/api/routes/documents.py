from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.domain.schema_docs import documented
from pagerless.knowledge.documents import MAX_DOCUMENT_BYTES, DocumentService, Upload

router = APIRouter(tags=["knowledge"], route_class=DeferredRoute)


class KnowledgeBaseCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"name": "Payments runbooks", "description": "how the payments team runs its services"},
            name="The knowledge base's name.",
            description="What it holds.",
        )
    )
    name: str = Field(min_length=1, max_length=200, examples=["Payments runbooks"])
    description: str = Field(default="", max_length=2000)


class KnowledgeSearch(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"query": "redis failover", "top_k": 5},
            query="What to look for, in any language.",
            top_k="How many passages to return.",
        )
    )
    query: str = Field(min_length=1, max_length=500, examples=["redis failover"])
    top_k: int = Field(default=5, ge=1, le=50)


class KnowledgeRag(BaseModel):
    """Seed 004's RAG request: a question answered from one knowledge base's documents."""

    model_config = ConfigDict(**documented({"query": "How do I fail over Redis?", "top_k": 5}))

    query: str = Field(
        min_length=1,
        max_length=500,
        description="The question, in any language.",
        examples=["How do I fail over Redis?"],
    )
    top_k: int = Field(
        default=5, ge=1, le=20, description="How many passages to retrieve and answer from.", examples=[5]
    )


async def _upload(file: UploadFile) -> Upload:
    data = await file.read(MAX_DOCUMENT_BYTES + 1)
    return Upload(filename=file.filename or "document", content_type=file.content_type or "", data=data)


@router.get("/api/knowledge-bases")
def list_bases(principal: ViewerDep) -> dict:
    """The workspace's knowledge bases of uploaded documents."""
    return {"items": DocumentService().bases(principal.workspace), "next_cursor": None}


@router.post("/api/knowledge-bases", status_code=status.HTTP_201_CREATED)
def create_base(body: KnowledgeBaseCreate, principal: OperatorDep) -> dict:
    """Create a knowledge base."""
    return DocumentService().create_base(principal.workspace, body.name, body.description, principal.key_id)


@router.get("/api/knowledge-bases/{kb_id}")
def get_base(kb_id: str, principal: ViewerDep) -> dict:
    """One knowledge base, with its number of documents."""
    return DocumentService().base(principal.workspace, kb_id)


@router.delete("/api/knowledge-bases/{kb_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_base(kb_id: str, principal: OperatorDep) -> None:
    """Delete a knowledge base and all its documents."""
    DocumentService().delete_base(principal.workspace, kb_id)


@router.get("/api/knowledge-bases/{kb_id}/documents")
def list_documents(kb_id: str, principal: ViewerDep) -> dict:
    """The documents of a knowledge base."""
    return {"items": DocumentService().documents(principal.workspace, kb_id), "next_cursor": None}


def _multipart_example(**fields: str) -> dict:
    """An example of a multipart upload body, for the OpenAPI."""
    return {"requestBody": {"content": {"multipart/form-data": {"example": {"file": "redis-failover.md", **fields}}}}}


@router.post(
    "/api/knowledge-bases/{kb_id}/documents", status_code=status.HTTP_201_CREATED, openapi_extra=_multipart_example()
)
async def add_document(
    kb_id: str,
    principal: OperatorDep,
    request: Request,
    file: Annotated[UploadFile, File(description="a .txt, .md or .pdf file")],
) -> dict:
    """Upload a document (multipart `file`: text, Markdown or PDF); it is chunked and searchable at once."""
    from anyio import to_thread

    upload = await _upload(file)
    request.state.audit_details = {"document": upload.filename, "bytes": len(upload.data)}
    return await to_thread.run_sync(DocumentService().upload, principal.workspace, kb_id, upload, principal.key_id)


@router.delete("/api/knowledge-bases/{kb_id}/documents/{doc_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(kb_id: str, doc_id: str, principal: OperatorDep) -> None:
    """Delete a document and its chunks."""
    DocumentService().delete_document(principal.workspace, kb_id, doc_id)


@router.post("/api/knowledge-bases/{kb_id}/search")
def search_base(kb_id: str, body: KnowledgeSearch, principal: ViewerDep) -> dict:
    """The document chunks most relevant to the query (BM25 over words and Chinese bigrams)."""
    return {"items": DocumentService().search(principal.workspace, kb_id, body.query, body.top_k), "next_cursor": None}


@router.post("/api/knowledge-bases/{kb_id}/rag")
def rag_base(kb_id: str, body: KnowledgeRag, principal: ViewerDep) -> dict:
    """An answer to the question from the base's best passages (Claude when keyed, else extractive), with sources."""
    from pagerless.config.llm import workspace_llm
    from pagerless.knowledge.rag import answer

    llm = workspace_llm(principal.workspace)
    return answer(principal.workspace, kb_id, body.query, body.top_k, llm=llm.settings, llm_note=llm.note)


@router.post(
    "/api/documents/upload",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_multipart_example(knowledge_id="kb-3f2a9c1d7e4b"),
)
async def upload_document(
    principal: OperatorDep,
    request: Request,
    file: Annotated[UploadFile, File(description="a .txt, .md or .pdf file")],
    knowledge_id: Annotated[str, Form(min_length=1, max_length=100, description="the knowledge base to add it to")],
) -> dict:
    """Seed 003's upload: multipart `file` and `knowledge_id` (a knowledge base id)."""
    from anyio import to_thread

    upload = await _upload(file)
    request.state.audit_details = {"document": upload.filename, "bytes": len(upload.data), "knowledge_id": knowledge_id}
    return await to_thread.run_sync(
        DocumentService().upload, principal.workspace, knowledge_id, upload, principal.key_id
    )


@router.get("/api/documents")
def documents_of(principal: ViewerDep, knowledge_id: Annotated[str, Query(min_length=1, max_length=100)]) -> dict:
    """Seed 003's document list of a knowledge base."""
    return {"items": DocumentService().documents(principal.workspace, knowledge_id), "next_cursor": None}
