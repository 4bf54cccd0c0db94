"""Writes the real-world diagnosis scenarios (tests/scenarios/real/*.json) and their dev/held-out split.

Run: .venv/bin/python tests/scenarios/real/build_real.py
Each case in ``_cases_*.py`` transcribes one public thread (its URL and how the cause was confirmed are in the
scenario's ``source`` key). The split is deterministic: within each expected category the cases are ordered by
the SHA-256 of their name and dealt alternately to ``dev`` and ``heldout``, starting from a per-category
offset, so both halves cover every category that has two or more cases.
"""

import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # kube_objects
from _cases_containers import CASES as CONTAINERS  # noqa: E402
from _cases_inconclusive import CASES as INCONCLUSIVE  # noqa: E402
from _cases_platform import CASES as PLATFORM  # noqa: E402
from _cases_references import CASES as REFERENCES  # noqa: E402
from _cases_sched import CASES as SCHED  # noqa: E402
from _cases_workloads import CASES as WORKLOADS  # noqa: E402

ALL = SCHED + CONTAINERS + REFERENCES + PLATFORM + WORKLOADS + INCONCLUSIVE


def build_all():
    """Every (slug, scenario), built from a fresh resourceVersion counter so the output is reproducible."""
    import kube_objects

    kube_objects.reset_versions(73100000)
    return [(case.__name__, case()) for case in ALL]


def split(built):
    """{slug: "dev" | "heldout"}, stratified by expected category (see the module docstring)."""
    by_category = {}
    for slug, scenario in built:
        by_category.setdefault(scenario["expected"]["category"], []).append(slug)
    out = {}
    for category, slugs in sorted(by_category.items()):
        ordered = sorted(slugs, key=lambda s: hashlib.sha256(s.encode()).hexdigest())
        offset = int(hashlib.sha256(category.encode()).hexdigest(), 16) % 2
        for i, slug in enumerate(ordered):
            out[slug] = "dev" if (i + offset) % 2 == 0 else "heldout"
    return out


def main():
    built = build_all()
    for slug, scenario in built:
        with open(os.path.join(HERE, slug + ".json"), "w", encoding="utf-8") as fh:
            json.dump(scenario, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
    with open(os.path.join(HERE, "split.tsv"), "w", encoding="utf-8") as fh:
        fh.write("".join(f"{slug}\t{half}\n" for slug, half in sorted(split(built).items())))
    print(f"wrote {len(built)} scenarios")


if __name__ == "__main__":
    main()
