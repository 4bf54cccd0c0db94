import json
from pathlib import Path

import pytest

from pagerless.cli import main

pytestmark = pytest.mark.unit
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "oom_killed_payments.json"


def test_json_output_has_exactly_the_public_keys(capsys):
    # When the OOM scenario is diagnosed as JSON
    code = main(["diagnose", str(SCENARIO), "--format", "json"])
    # Then the output has exactly the documented keys and cites evidence
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert list(out) == ["category", "ranked_categories", "confidence", "summary", "evidence", "remediations",
                         "engine", "usage"]
    assert out["category"] == "oom_killed" and out["engine"] == "analyzers"
    assert all(set(e) == {"source", "detail"} for e in out["evidence"]) and out["evidence"]


def test_text_output_is_a_readable_block(capsys):
    # When diagnosed as text
    code = main(["diagnose", str(SCENARIO), "--format", "text"])
    # Then the block names the diagnosis, the evidence and the remediations
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Diagnosis: oom_killed")
    assert "Evidence:" in out and "Remediations: increase_memory_limit" in out


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_unreadable_scenario_exits_2_with_a_message(tmp_path, capsys, content):
    # Given a missing file, invalid JSON, or JSON that is not a scenario
    path = tmp_path / "s.json"
    if content is not None:
        path.write_text(content)
    # When diagnosed
    code = main(["diagnose", str(path)])
    # Then the exit code is 2 and stderr says why
    assert code == 2
    assert "cannot read scenario" in capsys.readouterr().err
