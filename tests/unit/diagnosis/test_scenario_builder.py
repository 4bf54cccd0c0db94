import importlib
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
BUILDER_DIR = SCENARIOS_DIR / "builder"


def test_committed_scenarios_are_exactly_what_the_builder_writes(monkeypatch):
    # Given the scenario builder (its modules import each other by plain name)
    monkeypatch.syspath_prepend(str(BUILDER_DIR))
    sys.modules.pop("generate", None)  # the other scenario generators are also called generate
    generate = importlib.import_module("generate")
    for name in generate.CATALOGS:
        importlib.import_module(name)
    registry = sys.modules["registry"]
    # When every scenario is built again
    built = {filename: json.loads(json.dumps(build())) for filename, build in registry.SCENARIOS.items()}
    # Then the committed files are those, one for one
    committed = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCENARIOS_DIR.glob("*.json")}
    assert set(built) == set(committed)
    for filename, scenario in built.items():
        assert committed[filename] == scenario, f"{filename} differs from the builder; rerun generate.py"
