"""Scoring the engine against labelled scenarios (``"expected": {"category", "evidence_contains"}``)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pagerless.diagnosis.engine import diagnose
from pagerless.diagnosis.models import Diagnosis


@dataclass(frozen=True)
class EvalResult:
    name: str
    expected: str
    got: str
    confidence: float
    missing_evidence: tuple[str, ...]
    cites_evidence: bool
    seconds: float

    @property
    def correct(self) -> bool:
        return self.got == self.expected

    @property
    def passed(self) -> bool:
        return self.correct and not self.missing_evidence and self.cites_evidence


def load_eval_set(directory: str | Path) -> list[tuple[str, dict]]:
    """Every ``*.json`` scenario of a directory, sorted by file name."""
    return [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(Path(directory).glob("*.json"))]


def evaluate(name: str, scenario: dict, engine: Callable[[dict], Diagnosis] = diagnose) -> EvalResult:
    """Diagnose one labelled scenario and compare with its ``expected`` key (which the engine ignores)."""
    expected = scenario.get("expected") or {}
    started = time.perf_counter()
    result = engine(scenario)
    elapsed = time.perf_counter() - started
    cited = " ".join(f"{e.source} {e.detail}" for e in result.evidence)
    missing = tuple(s for s in expected.get("evidence_contains") or [] if s not in cited)
    return EvalResult(name, str(expected.get("category")), result.category, result.confidence, missing,
                      bool(result.evidence), elapsed)


def results_table(results: list[EvalResult]) -> str:
    """A per-category table: scenarios, correct top-1, evidence cited, and the misses by name."""
    by_category: dict[str, list[EvalResult]] = defaultdict(list)
    for r in results:
        by_category[r.expected].append(r)
    width = max([len(c) for c in by_category] + [8])
    lines = [f"{'category':<{width}}  n  top1  evid  misses", "-" * (width + 30)]
    for category in sorted(by_category):
        items = by_category[category]
        misses = ", ".join(f"{r.name}->{r.got}" for r in items if not r.passed)
        lines.append(f"{category:<{width}} {len(items):2d} {sum(r.correct for r in items):4d}  "
                     f"{sum(r.cites_evidence and not r.missing_evidence for r in items):4d}  {misses}")
    correct = sum(r.correct for r in results)
    lines.append("-" * (width + 30))
    lines.append(f"top-1 {correct}/{len(results)} = {correct / max(len(results), 1):.1%} over "
                 f"{len(by_category)} categories")
    return "\n".join(lines)
