"""Snapshots from real tools carry junk: the engine answers anyway and no analyzer breaks."""

import copy
import json
import random
from pathlib import Path

import pytest

from pagerless.diagnosis.engine import diagnose

pytestmark = pytest.mark.unit
SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.json"))[::6]
JUNK = [None, "x", 5, -1, [], {}, "", 3.5, True, {"a": 1}, ["y"]]


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for index, value in enumerate(obj[:3]):
            yield from _paths(value, prefix + (index,))


def _set(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    if isinstance(obj, (dict, list)):
        obj[path[-1]] = value


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_random_junk_in_any_field_never_breaks_the_engine(path):
    # Given a real scenario and a seeded generator of junk values
    base = json.loads(path.read_text(encoding="utf-8"))
    fields = [p for p in _paths(base) if p]
    rng = random.Random(path.name)
    for _ in range(40):
        scenario = copy.deepcopy(base)
        for field in rng.sample(fields, 3):
            try:
                _set(scenario, field, rng.choice(JUNK))
            except (KeyError, IndexError, TypeError):
                pass  # a parent was already replaced by junk
        # When three fields are replaced by junk and the scenario is diagnosed
        result = diagnose(scenario)
        # Then a diagnosis comes back and no analyzer failed
        assert result.category
        assert not [note for note in result.notes if "failed:" in note]
