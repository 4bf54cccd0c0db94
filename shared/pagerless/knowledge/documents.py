"""Knowledge bases of uploaded documents (text, Markdown, PDF), chunked and searchable.

An upload is turned into text (PDFs through pypdf, imported only then), split into chunks along
Markdown headings and paragraphs, and stored; search is the same BM25 (words and Chinese bigrams)
as the knowledge entries, over a base's chunks. The investigator searches them with the entries.
"""

import hashlib
import re
import uuid
from dataclasses import dataclass

from pagerless.domain.errors import PayloadTooLargeError, ValidationError
from pagerless.knowledge.ranking import Bm25, tokenize
from pagerless.store.documents import DocumentRepository

MAX_DOCUMENT_BYTES = 900 * 1024  # under the API's 1 MiB request limit, multipart overhead included
CHUNK_CHARS = 1200
TEXT_TYPES = {"text/plain": "text", "text/markdown": "markdown", "text/x-markdown": "markdown"}
EXTENSIONS = {".txt": "text", ".log": "text", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf"}


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def extract_text(upload: Upload) -> tuple[str, str]:
    """(kind, text) of an upload; an unsupported, unreadable or empty file is a ValidationError."""
    kind = _kind(upload)
    if kind == "pdf":
        text = _pdf_text(upload.data)
    else:
        try:
            text = upload.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{upload.filename} is not UTF-8 text") from exc
    text = text.replace("\x00", "").strip()
    if not text:
        raise ValidationError(f"{upload.filename} has no text to index")
    return kind, text


def chunk(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Chunks of at most ``size`` characters, cut at headings, then paragraphs, then lines."""
    sections = re.split(r"\n(?=#{1,6} )", text)
    chunks: list[str] = []
    for section in sections:
        current = ""
        for paragraph in re.split(r"\n\s*\n", section):
            paragraph = paragraph.strip()
            if not paragraph:
                continue
            for piece in _split_long(paragraph, size):
                if current and len(current) + 2 + len(piece) > size:
                    chunks.append(current)
                    current = piece
                else:
                    current = f"{current}\n\n{piece}" if current else piece
        if current:
            chunks.append(current)
    return chunks


class DocumentService:
    def __init__(self, repository: DocumentRepository | None = None) -> None:
        self.repository = repository or DocumentRepository()

    def create_base(self, workspace: str, name: str, description: str, actor: str) -> dict:
        return self.repository.create_base(workspace, f"kb-{uuid.uuid4().hex[:12]}", name, description, actor).to_dict()

    def bases(self, workspace: str) -> list[dict]:
        return [b.to_dict() for b in sorted(self.repository.bases(workspace), key=lambda b: b.created_at)]

    def base(self, workspace: str, kb_id: str) -> dict:
        record = self.repository.base(workspace, kb_id)
        return {**record.to_dict(), "documents": len(self.repository.documents(workspace, kb_id))}

    def delete_base(self, workspace: str, kb_id: str) -> None:
        self.repository.delete_base(workspace, kb_id)

    def upload(self, workspace: str, kb_id: str, upload: Upload, actor: str) -> dict:
        self.repository.base(workspace, kb_id)  # 404 before any work
        if len(upload.data) > MAX_DOCUMENT_BYTES:
            raise PayloadTooLargeError(f"a document may be at most {MAX_DOCUMENT_BYTES // 1024} KiB")
        kind, text = extract_text(upload)
        content_type = {"pdf": "application/pdf", "markdown": "text/markdown", "text": "text/plain"}[kind]
        document = self.repository.add_document(
            workspace,
            kb_id,
            uuid.uuid4().hex[:16],
            name=upload.filename[:200],
            content_type=content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            chunks=chunk(text),
            actor=actor,
        )
        return document.document_dict(kb_id)

    def documents(self, workspace: str, kb_id: str) -> list[dict]:
        self.repository.base(workspace, kb_id)
        return [d.document_dict(kb_id) for d in self.repository.documents(workspace, kb_id)]

    def delete_document(self, workspace: str, kb_id: str, doc_id: str) -> None:
        self.repository.delete_document(workspace, kb_id, doc_id)

    def search(self, workspace: str, kb_id: str | None, query: str, limit: int = 5) -> list[dict]:
        """The chunks most relevant to ``query``, of one base or of every base of the workspace."""
        bases = [self.repository.base(workspace, kb_id)] if kb_id else self.repository.bases(workspace)
        names, chunks = {}, []
        for base in bases:
            names.update(
                {(base.id, d.id.removeprefix("doc#")): d.name for d in self.repository.documents(workspace, base.id)}
            )
            chunks += [(base.id, c) for c in self.repository.chunks(workspace, base.id)]
        # Chunks of a document being deleted (no document item any more) are not answers.
        chunks = [(b, c) for b, c in chunks if (b, c.id.split("#")[1]) in names]
        ranked = Bm25([tokenize(c.text or "") for _, c in chunks]).rank(tokenize(query))[:limit]
        hits = []
        for index, score in ranked:
            base_id, item = chunks[index]
            doc_id = item.id.split("#")[1]
            hits.append(
                {
                    "knowledge_id": base_id,
                    "document_id": doc_id,
                    "document": names[(base_id, doc_id)],
                    "chunk": int(item.id.rsplit("#", 1)[1]),
                    "text": item.text,
                    "score": round(score, 4),
                }
            )
        return hits


def _kind(upload: Upload) -> str:
    lowered = upload.filename.lower()
    for extension, kind in EXTENSIONS.items():
        if lowered.endswith(extension):
            return kind
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type == "application/pdf":
        return "pdf"
    if content_type in TEXT_TYPES:
        return TEXT_TYPES[content_type]
    raise ValidationError(
        f"{upload.filename}: only text (.txt), Markdown (.md) and PDF (.pdf) documents are accepted",
        details=[{"field": "file", "message": f"content type {content_type or 'unknown'}"}],
    )


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError("the PDF is encrypted: upload a copy without a password")
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ValidationError("the file is not a readable PDF") from exc


def _split_long(paragraph: str, size: int) -> list[str]:
    if len(paragraph) <= size:
        return [paragraph]
    pieces, current = [], ""
    for line in paragraph.splitlines() or [paragraph]:
        while len(line) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:size])
            line = line[size:]
        if current and len(current) + 1 + len(line) > size:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return pieces


def search_everything(workspace: str, query: str, limit: int, *, scope=None) -> list[dict]:
    """What the investigator's knowledge_search tool sees: the best knowledge entries and the best
    document passages, taken in turn (their BM25 scores come from different corpora, so they are
    not compared with each other)."""
    from itertools import chain, zip_longest

    from pagerless.knowledge.service import KnowledgeService

    entries = [{"kind": "entry", **e} for e in KnowledgeService().search(workspace, query, limit, scope=scope)]
    passages = [{"kind": "document", **p} for p in DocumentService().search(workspace, None, query, limit)]
    merged = [hit for hit in chain.from_iterable(zip_longest(entries, passages)) if hit is not None]
    return merged[:limit]
