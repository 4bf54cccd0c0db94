"""Retrieval-augmented answers over a knowledge base (seed 004's ``POST /knowledge-bases/{id}/rag``).

Retrieval is the base's own search (BM25 over its chunks). The answer is then written one of two
ways, and the response says which (``engine``):

- ``claude``: with an LLM key, Claude answers from the retrieved passages only (redacted of
  secrets), citing them as ``[n]``; ``citations`` lists only numbers of passages that exist.
- ``extractive``: without a key, or when Claude fails (the response's ``note`` says why), the
  answer is the passages' sentences that share the most terms with the question, in document
  order, each followed by its ``[n]``. It is deterministic: the same base and question give the
  same answer.

With no passage matching, there is nothing to ground an answer in: the answer says so and no
model is called.
"""

from __future__ import annotations

import re
import time

from pagerless.diagnosis.llm import LlmSettings
from pagerless.knowledge.documents import DocumentService
from pagerless.knowledge.ranking import matching_terms, tokenize
from pagerless.observability import logger

MAX_SENTENCES = 3
MAX_ANSWER_TOKENS = 1024
CLAUDE_SECONDS = 25.0  # under API Gateway's 30 s
NO_MATCH = "No passage of this knowledge base matches the question."
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
_CITATION = re.compile(r"\[(\d{1,3})\]")
SYSTEM = (
    "You answer questions of on-call engineers from their team's documents. Use ONLY the numbered passages "
    "given; cite each fact with its passage number in brackets, like [1]. If the passages do not answer the "
    "question, say so in one sentence. Answer in the language of the question, briefly (at most 6 sentences)."
)


def answer(
    workspace: str,
    kb_id: str,
    query: str,
    top_k: int = 5,
    *,
    llm: LlmSettings | None = None,
    llm_note: str | None = None,
    service: DocumentService | None = None,
) -> dict:
    """Retrieve the base's best chunks for ``query`` and answer from them: Claude with ``llm`` (the
    workspace's settings and key, pagerless.config.llm), else extractive (``llm_note`` says why)."""
    passages = (service or DocumentService()).search(workspace, kb_id, query, top_k)
    sources = [{"index": n, **hit} for n, hit in enumerate(passages, start=1)]
    result = {"knowledge_id": kb_id, "query": query, "sources": sources}
    if not sources:
        return {**result, "answer": NO_MATCH, "engine": "extractive", "citations": []}
    if llm is not None:
        claude = _claude(query, sources, llm)
    else:
        claude = {"note": f"{llm_note}; the answer is extractive"} if llm_note else None
    if claude is not None and claude.get("answer"):
        return {**result, **claude}
    text, cited = extractive_answer(query, sources)
    note = {"note": claude["note"]} if claude else {}
    return {**result, "answer": text, "engine": "extractive", "citations": cited, **note}


def sentences(text: str) -> list[str]:
    """The sentences (and lines) of a chunk, Markdown heading marks removed."""
    parts = (p.strip().lstrip("#").strip() for p in _SENTENCE_END.split(text or ""))
    return [p for p in parts if p]


def extractive_answer(query: str, sources: list[dict]) -> tuple[str, list[int]]:
    """The ``MAX_SENTENCES`` sentences sharing the most distinct query terms, in source order, cited."""
    wanted = set(tokenize(query))
    candidates = []  # (-overlap, source rank, position, sentence, index)
    for rank, source in enumerate(sources):
        for position, sentence in enumerate(sentences(source["text"])):
            overlap = len(matching_terms(wanted, tokenize(sentence)))
            if overlap:
                candidates.append((-overlap, rank, position, sentence, source["index"]))
    if not candidates:  # the terms matched across sentence boundaries: the best passage's opening
        first = sentences(sources[0]["text"])[:1] or [sources[0]["text"][:300]]
        candidates = [(0, 0, 0, first[0], sources[0]["index"])]
    chosen = sorted(sorted(candidates)[:MAX_SENTENCES], key=lambda c: (c[1], c[2]))
    text = " ".join(f"{sentence.rstrip()} [{index}]" for _, _, _, sentence, index in chosen)
    return text, sorted({index for *_, index in chosen})


def _claude(query: str, sources: list[dict], settings: LlmSettings) -> dict:
    """Claude's answer ``{"answer", "engine", "model", "citations"}``; ``{"note"}`` when it failed."""
    from pagerless.diagnosis.llm.redact import redact_text
    from pagerless.diagnosis.llm.transport import LlmUnavailableError, anthropic_client, create_message

    passages = "\n\n".join(f"[{s['index']}] ({s['document']})\n{redact_text(s['text'])}" for s in sources)
    request = {
        "model": settings.model,
        "max_tokens": MAX_ANSWER_TOKENS,
        "system": SYSTEM,
        "messages": [{"role": "user", "content": f"Passages:\n\n{passages}\n\nQuestion: {redact_text(query)}"}],
    }
    try:
        response = create_message(
            anthropic_client(settings),
            request,
            settings,
            deadline=time.monotonic() + min(settings.max_seconds, CLAUDE_SECONDS),
        )
    except LlmUnavailableError as exc:
        logger().warning("rag answer: Claude unavailable", extra={"reason": exc.reason})
        return {"note": f"Claude was not used ({exc.reason}); the answer is extractive"}
    text = "".join(b.text for b in response.content if getattr(b, "type", "") == "text").strip()
    if not text:
        return {"note": "Claude gave an empty answer; the answer is extractive"}
    known = {s["index"] for s in sources}
    cited = sorted({int(n) for n in _CITATION.findall(text)} & known)
    usage = getattr(response, "usage", None)
    return {
        "answer": text,
        "engine": "claude",
        "model": settings.model,
        "citations": cited,
        "usage": {
            "input_tokens": getattr(usage, "input_tokens", None),
            "output_tokens": getattr(usage, "output_tokens", None),
        },
    }
