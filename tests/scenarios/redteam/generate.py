"""Writes the red-team diagnosis scenarios (tests/scenarios/redteam/*.json).

Run: /work/venv/bin/python tests/scenarios/redteam/generate.py
The scenarios were written blind (without reading the diagnosis engine) to measure generalization.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # kube_objects
from _scenarios_a import SCENARIOS_A  # noqa: E402
from _scenarios_b import SCENARIOS_B  # noqa: E402
from _scenarios_c import SCENARIOS_C  # noqa: E402
from _scenarios_d import SCENARIOS_D  # noqa: E402
from _scenarios_e import SCENARIOS_E  # noqa: E402
from _scenarios_f import SCENARIOS_F  # noqa: E402
from _scenarios_g import SCENARIOS_G  # noqa: E402
from _scenarios_h import SCENARIOS_H  # noqa: E402
from _scenarios_i import SCENARIOS_I  # noqa: E402
from _scenarios_j import SCENARIOS_J  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ALL = (
    SCENARIOS_A
    + SCENARIOS_B
    + SCENARIOS_C
    + SCENARIOS_D
    + SCENARIOS_E
    + SCENARIOS_F
    + SCENARIOS_G
    + SCENARIOS_H
    + SCENARIOS_I
    + SCENARIOS_J
)


def build_all():
    """Every (slug, scenario), built from a fresh resourceVersion counter so the output is reproducible."""
    import kube_objects

    kube_objects.reset_versions(48211900)
    return [(slug, build()) for slug, build in ALL]


def main():
    n = 0
    for slug, sc in build_all():
        with open(os.path.join(HERE, slug + ".json"), "w") as fh:
            json.dump(sc, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
        n += 1
    print(f"wrote {n} scenarios")


if __name__ == "__main__":
    main()
