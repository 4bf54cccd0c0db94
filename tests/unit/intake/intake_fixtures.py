"""Where the intake tests find their fixtures (tests/fixtures/, copied from shared/fixtures)."""

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ALERT_FIXTURES = FIXTURES / "alerts"

# Fixture folder → registered source name.
FOLDER_SOURCE = {"cloudwatch_sns": "cloudwatch"}


def source_for(path: Path) -> str:
    folder = path.parent.name
    return FOLDER_SOURCE.get(folder, folder)


def all_alert_fixtures() -> list[Path]:
    return sorted(ALERT_FIXTURES.glob("*/*.json"))


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def load_fixture(relative: str) -> dict:
    return json.loads((ALERT_FIXTURES / relative).read_text(encoding="utf-8"))
