"""Fold per-pod observations into one finding per (workload, category)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pagerless.diagnosis.analyzers.base import make_finding
from pagerless.diagnosis.models import Evidence, Finding
from pagerless.diagnosis.snapshot import Pod


@dataclass
class _Group:
    category: str
    confidence: float
    summary: str
    evidence: list[Evidence]
    remediations: list[str]
    target: dict[str, str]
    pods: list[str] = field(default_factory=list)


class WorkloadFindings:
    """Collects observations; replicas of one workload with the same fault become one finding."""

    def __init__(self, analyzer: str = "container_state") -> None:
        self._analyzer = analyzer
        self._groups: dict[tuple[str, str, str], _Group] = {}

    def add(
        self,
        pod: Pod,
        category: str,
        confidence: float,
        summary: str,
        proof: list[Evidence],
        remediations: list[str],
        target: dict[str, str],
    ) -> None:
        key = (pod.namespace, pod.workload, category)
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = _Group(category, confidence, summary, list(proof), remediations, target, [pod.name])
            return
        group.pods.append(pod.name)
        group.confidence = max(group.confidence, confidence)
        if proof and len(group.evidence) < 8 and proof[0] not in group.evidence:
            group.evidence.append(proof[0])

    def findings(self) -> list[Finding]:
        result = []
        for group in self._groups.values():
            summary = group.summary
            if len(group.pods) > 1:
                summary += f" — {len(group.pods)} pods of {group.target.get('workload', '?')} affected"
                group.confidence = min(1.0, group.confidence + 0.03)
            result.append(
                make_finding(
                    self._analyzer,
                    group.category,
                    group.confidence,
                    summary,
                    group.evidence,
                    group.remediations,
                    group.target,
                )
            )
        return result
