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
    return EvalResult(
        name, str(expected.get("category")), result.category, result.confidence, missing, bool(result.evidence), elapsed
    )


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
        lines.append(
            f"{category:<{width}} {len(items):2d} {sum(r.correct for r in items):4d}  "
            f"{sum(r.cites_evidence and not r.missing_evidence for r in items):4d}  {misses}"
        )
    correct = sum(r.correct for r in results)
    lines.append("-" * (width + 30))
    lines.append(
        f"top-1 {correct}/{len(results)} = {correct / max(len(results), 1):.1%} over {len(by_category)} categories"
    )
    return "\n".join(lines)


ABSTAIN = "insufficient_evidence"
# Confidence buckets for calibration: [low, high) of the engine's reported confidence.
CONFIDENCE_BUCKETS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 1.01))


def load_split(directory: str | Path) -> dict[str, str]:
    """``split.tsv`` of an evaluation set: ``{file name: half}`` (e.g. ``dev`` / ``heldout``), or {} if absent."""
    path = Path(directory) / "split.tsv"
    if not path.exists():
        return {}
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {f"{slug}.json": half for slug, half in rows}


def scores(results: list[EvalResult]) -> dict[str, float]:
    """The figures the real-world set is judged on.

    - ``top1``: share of scenarios whose category is the expected one;
    - ``abstention_recall``: share of ``insufficient_evidence`` scenarios the engine abstains on;
    - ``false_abstention``: share of scenarios with a known cause the engine abstains on;
    - ``evidence_mention``: share of scenarios with a known cause whose cited evidence contains every
      expected snippet.
    """
    inconclusive = [r for r in results if r.expected == ABSTAIN]
    known = [r for r in results if r.expected != ABSTAIN]
    ratio = lambda part, whole: (sum(part) / len(whole)) if whole else 1.0  # noqa: E731
    return {
        "n": float(len(results)),
        "top1": ratio([r.correct for r in results], results),
        "abstention_recall": ratio([r.got == ABSTAIN for r in inconclusive], inconclusive),
        "false_abstention": ratio([r.got == ABSTAIN for r in known], known) if known else 0.0,
        "evidence_mention": ratio([r.cites_evidence and not r.missing_evidence for r in known], known),
    }


def scores_line(label: str, figures: dict[str, float]) -> str:
    """One printable line of :func:`scores`."""
    return (
        f"{label:<16} n={int(figures['n']):3d}  top-1 {figures['top1']:6.1%}  "
        f"abstention recall {figures['abstention_recall']:6.1%}  false abstention {figures['false_abstention']:5.1%}  "
        f"evidence mention {figures['evidence_mention']:6.1%}"
    )


def calibration(results: list[EvalResult]) -> list[tuple[str, int, float]]:
    """Accuracy per confidence bucket: ``[(bucket label, scenarios, share correct)]``."""
    rows = []
    for low, high in CONFIDENCE_BUCKETS:
        inside = [r for r in results if low <= r.confidence < high]
        label = f"[{low:.2f}, {min(high, 1.0):.2f}{']' if high > 1 else ')'}"
        rows.append((label, len(inside), (sum(r.correct for r in inside) / len(inside)) if inside else float("nan")))
    return rows
