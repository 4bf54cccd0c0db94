"""The real-world set (tests/scenarios/real): incidents transcribed from public threads, split into a dev half
the analyzers were developed on and a held-out half scored once at the end (see its README)."""

import importlib
import json
from pathlib import Path

import pytest

from pagerless.diagnosis.evaluation import evaluate, load_eval_set, load_split, results_table, scores, scores_line
from pagerless.diagnosis.taxonomy import category_ids

pytestmark = pytest.mark.unit
DIRECTORY = Path(__file__).resolve().parents[2] / "scenarios" / "real"
SCENARIOS = load_eval_set(DIRECTORY)
SPLIT = load_split(DIRECTORY)
# What the dev half achieves with the analyzers alone (measured; see the set's README).
DEV_MIN = {"top1": 1.0, "abstention_recall": 1.0, "evidence_mention": 1.0}
DEV_MAX_FALSE_ABSTENTION = 0.0
# The held-out half, scored once after development ended (2026-12-02); asserted at the measured level.
HELDOUT_MIN = {"top1": 1.0, "abstention_recall": 1.0, "evidence_mention": 1.0}
HELDOUT_MAX_FALSE_ABSTENTION = 0.0


def _half(name: str) -> list:
    return [evaluate(n, s) for n, s in SCENARIOS if SPLIT[n] == name]


def test_real_set_is_broad_sourced_and_split():
    # Given the committed real-world set
    # Then it has at least 40 cited incidents over many categories, inconclusive and non-English ones, and
    # every file is in exactly one half
    assert len(SCENARIOS) >= 40
    labels = {s["expected"]["category"] for _, s in SCENARIOS}
    assert labels <= category_ids() and len(labels) >= 15
    assert sum(s["expected"]["category"] == "insufficient_evidence" for _, s in SCENARIOS) >= 4
    assert sum(s["source"]["language"] == "zh" for _, s in SCENARIOS) >= 3
    assert all(s["source"]["url"].startswith("https://github.com/") and s["source"]["confirmed"] for _, s in SCENARIOS)
    assert set(SPLIT) == {n for n, _ in SCENARIOS} and set(SPLIT.values()) == {"dev", "heldout"}


def test_dev_half_meets_its_measured_thresholds():
    # Given the dev half of the real-world set
    results = _half("dev")
    # When it is scored (pytest -s prints the table)
    figures = scores(results)
    print("\n" + results_table(results) + "\n" + scores_line("real dev", figures))
    # Then it reaches what the analyzers were measured to reach
    for key, minimum in DEV_MIN.items():
        assert figures[key] >= minimum, f"{key} {figures[key]:.3f} < {minimum}"
    assert figures["false_abstention"] <= DEV_MAX_FALSE_ABSTENTION


def test_held_out_half_stays_at_its_measured_level():
    # Given the held-out half, measured once when development ended
    results = _half("heldout")
    # When it is scored
    figures = scores(results)
    print("\n" + results_table(results) + "\n" + scores_line("real held-out", figures))
    # Then later changes keep it where it was measured
    for key, minimum in HELDOUT_MIN.items():
        assert figures[key] >= minimum, f"{key} {figures[key]:.3f} < {minimum}"
    assert figures["false_abstention"] <= HELDOUT_MAX_FALSE_ABSTENTION


def test_committed_real_files_are_what_the_builder_writes(monkeypatch):
    # Given the builder of the real-world set
    monkeypatch.syspath_prepend(str(DIRECTORY))
    build = importlib.import_module("build_real")
    # When every case is built again
    built = build.build_all()
    rebuilt = {slug + ".json": json.loads(json.dumps(sc, ensure_ascii=False)) for slug, sc in built}
    # Then each committed file and the split are exactly what the builder writes
    assert set(rebuilt) == {n for n, _ in SCENARIOS}
    for name, scenario in rebuilt.items():
        assert scenario == dict(SCENARIOS)[name], f"{name} differs from build_real.py: rebuild it"
    assert {f"{slug}.json": half for slug, half in build.split(built).items()} == SPLIT
