"""The evaluation set: every scenario in tests/scenarios is diagnosed and checked against its label."""

from pathlib import Path

import pytest

from pagerless.diagnosis.evaluation import evaluate, load_eval_set, results_table
from pagerless.diagnosis.taxonomy import category_ids

pytestmark = pytest.mark.unit
SCENARIOS = load_eval_set(Path(__file__).resolve().parents[2] / "scenarios")
MIN_TOP1 = 0.9


@pytest.mark.parametrize("name,scenario", SCENARIOS, ids=[name for name, _ in SCENARIOS])
def test_scenario_is_diagnosed_with_its_evidence(name, scenario):
    # Given a labelled scenario
    # When it is diagnosed
    result = evaluate(name, scenario)
    # Then the category is the expected one and the expected facts are cited
    assert result.got == result.expected, f"{name}: got {result.got}, expected {result.expected}"
    assert result.cites_evidence, f"{name}: no evidence cited"
    assert not result.missing_evidence, f"{name}: evidence lacks {result.missing_evidence}"


def test_eval_set_accuracy_and_coverage():
    # Given the whole evaluation set
    results = [evaluate(name, scenario) for name, scenario in SCENARIOS]
    # When the per-category table is printed (pytest -s shows it)
    print("\n" + results_table(results))
    # Then it is large and broad enough, and the engine meets the accuracy target
    labels = {r.expected for r in results}
    assert len(results) >= 34
    assert len(labels - {"insufficient_evidence"}) >= 22
    assert labels <= category_ids()
    assert sum(r.expected == "insufficient_evidence" for r in results) >= 2
    assert sum(r.correct for r in results) / len(results) >= MIN_TOP1
