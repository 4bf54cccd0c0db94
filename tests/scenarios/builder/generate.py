"""Write every registered scenario to tests/scenarios/<name>.json.

Run from the repository root: ``python tests/scenarios/builder/generate.py``. The JSON files are
what the tests and the benchmark read; this builder only keeps them consistent and realistic.
"""

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from registry import SCENARIOS  # noqa: E402
from world import write  # noqa: E402

CATALOGS = ("catalog_containers", "catalog_startup", "catalog_platform", "catalog_logs", "catalog_inconclusive")


def main() -> int:
    for name in CATALOGS:
        if (HERE / f"{name}.py").exists():
            importlib.import_module(name)
    for filename, build in SCENARIOS.items():
        write(HERE.parent / filename, build())
    print(f"wrote {len(SCENARIOS)} scenarios to {HERE.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
