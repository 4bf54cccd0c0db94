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
    assert list(out) == [
        "category",
        "ranked_categories",
        "confidence",
        "summary",
        "evidence",
        "remediations",
        "engine",
        "usage",
    ]
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


def test_diagnose_runs_on_every_scenario_file_in_the_repo(capsys):
    # Every file in the repo that has the scenario shape, whoever wrote it (eval set, fixtures, e2e).
    import json as _json
    from pathlib import Path as _Path

    from pagerless.cli import main as _main

    root = _Path(__file__).resolve().parents[3]
    scenarios = [
        p
        for p in (root / "tests").rglob("*.json")
        if p.stat().st_size < 2_000_000 and _is_scenario(p.read_text("utf-8"))
    ]
    assert len(scenarios) >= 30
    for path in scenarios:
        assert _main(["diagnose", str(path)]) == 0, path
        printed = _json.loads(capsys.readouterr().out)
        assert printed["category"] and printed["engine"] == "analyzers", path


def _is_scenario(text: str) -> bool:
    import json as _json

    try:
        data = _json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and "alert" in data and "cluster" in data
