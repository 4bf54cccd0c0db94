"""Similar past incidents, ranked with scores and the reasons for each score.

Signals and weights: title/description text (cosine over word and CJK-bigram tokens, 0.45),
identifying labels (service, namespace, deployment, alertname, container, source; Jaccard, 0.25),
the same diagnosed category (0.20), and a recorded resolution, which makes a match useful (0.10).
"""

import math
from collections import Counter

from pagerless.knowledge.ranking import tokenize
from pagerless.store import incident_reads
from pagerless.store.incidents import IncidentRecord

WEIGHTS = {"text": 0.45, "labels": 0.25, "category": 0.20, "resolution": 0.10}
LABEL_KEYS = ("service", "namespace", "deployment", "alertname", "container", "source")
MIN_SCORE = 0.15
CANDIDATES = 500


def recent_incidents(workspace: str, limit: int = CANDIDATES) -> list[IncidentRecord]:
    return incident_reads.recent(workspace, limit)


def similar_to_incident(
    incident: IncidentRecord,
    *,
    limit: int = 10,
    candidates: list[IncidentRecord] | None = None,
    services: frozenset[str] | None = None,
) -> list[dict]:
    """Past incidents of the same workspace most like ``incident`` (itself and its group excluded); with
    ``services`` (a key's scope), those services' only."""
    pool = candidates if candidates is not None else recent_incidents(incident.workspace)
    if services is not None:
        pool = [other for other in pool if other.service in services]
    target = _features(incident)
    scored = []
    for other in pool:
        if _same_group(incident, other):
            continue
        score, reasons = _score(target, _features(other))
        if score >= MIN_SCORE:
            scored.append(_public(other, score, reasons))
    return sorted(scored, key=lambda s: -s["score"])[:limit]


def similar_to_text(
    workspace: str,
    query: str,
    *,
    limit: int = 5,
    candidates: list[IncidentRecord] | None = None,
    excluding: IncidentRecord | None = None,
) -> list[dict]:
    """Past incidents whose text matches ``query`` (the investigator's `similar_incidents` tool);
    ``excluding`` is the incident under diagnosis: it and its group are not past incidents."""
    pool = candidates if candidates is not None else recent_incidents(workspace)
    query_tokens = Counter(tokenize(query))
    scored = []
    for other in pool:
        if excluding is not None and _same_group(excluding, other):
            continue
        similarity = _cosine(query_tokens, _features(other)["text"])
        if similarity >= MIN_SCORE:
            scored.append(_public(other, similarity, [f"text {similarity:.2f}"]))
    return sorted(scored, key=lambda s: -s["score"])[:limit]


def _same_group(incident: IncidentRecord, other: IncidentRecord) -> bool:
    """``other`` is ``incident`` or of its correlation group (its root, a child, a sibling)."""
    root = incident.parent_id or incident.id
    return other.id in (incident.id, root) or other.parent_id in (incident.id, root)


def _features(incident: IncidentRecord) -> dict:
    labels = {
        **(incident.labels or {}),
        "service": incident.service,
        "namespace": incident.namespace,
        "source": incident.source,
    }
    diagnosis = incident.diagnosis or {}
    return {
        "text": Counter(tokenize(f"{incident.title} {incident.description or ''}")),
        "labels": {f"{k}={labels[k]}" for k in LABEL_KEYS if labels.get(k)},
        "category": diagnosis.get("category") if diagnosis.get("category") != "insufficient_evidence" else None,
        "resolution": incident.resolution or _actions_summary(incident),
    }


def _score(a: dict, b: dict) -> tuple[float, list[str]]:
    text = _cosine(a["text"], b["text"])
    union = a["labels"] | b["labels"]
    labels = len(a["labels"] & b["labels"]) / len(union) if union else 0.0
    category = 1.0 if a["category"] and a["category"] == b["category"] else 0.0
    resolution = 1.0 if b["resolution"] else 0.0
    score = (
        WEIGHTS["text"] * text
        + WEIGHTS["labels"] * labels
        + WEIGHTS["category"] * category
        + WEIGHTS["resolution"] * resolution * max(text, labels, category)
    )
    reasons = [f"title {text:.2f}"] if text else []
    if labels:
        reasons.append("shared labels: " + ", ".join(sorted(a["labels"] & b["labels"])))
    if category:
        reasons.append(f"same root cause: {a['category']}")
    if b["resolution"]:
        reasons.append("has a recorded resolution")
    return round(score, 4), reasons


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b.get(term, 0) for term, count in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _actions_summary(incident: IncidentRecord) -> str | None:
    done = [
        a.get("action") or a.get("type")
        for a in (incident.actions or [])
        if isinstance(a, dict) and a.get("status") == "succeeded"
    ]
    return ", ".join(str(d) for d in done if d) or None


def _public(incident: IncidentRecord, score: float, reasons: list[str]) -> dict:
    return {
        "incident_id": incident.id,
        "title": incident.title,
        "status": incident.status,
        "service": incident.service,
        "namespace": incident.namespace,
        "category": (incident.diagnosis or {}).get("category"),
        "resolution": incident.resolution or _actions_summary(incident),
        "created_at": incident.created_at.isoformat(),
        "score": round(score, 4),
        "reasons": reasons,
    }
