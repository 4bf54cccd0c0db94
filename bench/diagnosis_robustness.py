"""Robustness of the diagnosis to sparser or vaguer snapshots: drop one kind of evidence, re-diagnose.

Run from the repository root: ``python bench/diagnosis_robustness.py [DIR ...]``. For every scenario the
engine gets right, each mutation is applied and the diagnosis compared with the label; a failure is
expected only where the dropped part was the sole evidence (e.g. the only log quoting the cause).
"""

import copy
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from pagerless.diagnosis.engine import diagnose  # noqa: E402
from pagerless.diagnosis.evaluation import load_eval_set  # noqa: E402

EMPTY = {"kind": "List", "items": []}


def _only_previous_logs(s):
    s["cluster"]["logs"] = {k: v for k, v in (s["cluster"].get("logs") or {}).items() if k.endswith("#previous")}


MUTATIONS = {
    "no_events": lambda s: s["cluster"].__setitem__("events", EMPTY),
    "no_replicasets": lambda s: s["cluster"].pop("replicasets", None),
    "no_nodes": lambda s: s["cluster"].pop("nodes", None),
    "no_deployments": lambda s: s["cluster"].__setitem__("deployments", EMPTY),
    "no_deploys": lambda s: s.__setitem__("deploys", []),
    "only_previous_logs": _only_previous_logs,
    "namespace_label_only": lambda s: s["alert"].__setitem__(
        "labels", {"namespace": (s["alert"].get("labels") or {}).get("namespace", "")}
    ),
    "generic_chinese_alert": lambda s: s["alert"].update({"title": "服务异常告警", "description": "请尽快排查"}),
    "no_starts_at": lambda s: s["alert"].pop("starts_at", None),
}


def main(argv: list[str]) -> int:
    dirs = argv or [str(ROOT / "tests" / "scenarios"), str(ROOT / "tests" / "scenarios" / "redteam")]
    failed, total = Counter(), Counter()
    for directory in dirs:
        for name, scenario in load_eval_set(directory):
            expected = (scenario.get("expected") or {}).get("category")
            if diagnose(scenario).category != expected:
                continue
            for mutation, apply in MUTATIONS.items():
                mutated = copy.deepcopy(scenario)
                apply(mutated)
                got = diagnose(mutated).category
                total[mutation] += 1
                if got != expected:
                    failed[mutation] += 1
                    print(f"{mutation:22s} {name:55s} expected {expected}, got {got}")
    print()
    for mutation in MUTATIONS:
        print(f"{mutation:22s} {total[mutation] - failed[mutation]:4d}/{total[mutation]} still right")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
