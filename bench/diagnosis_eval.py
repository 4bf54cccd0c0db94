"""Benchmark the analyzers on every evaluation set: accuracy figures, confidence calibration, latency.

Run from the repository root: ``python bench/diagnosis_eval.py [--repeat N] [--dir DIR] [--tables]
[--skip-heldout]``. Without ``--dir`` it scores the original set (tests/scenarios), the red-team set and both
halves of the real-world set (dev, held-out), then prints accuracy per confidence bucket over all of them.
``--skip-heldout`` leaves the real held-out half out (use it while developing analyzers).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from pagerless.diagnosis.engine import diagnose  # noqa: E402
from pagerless.diagnosis.evaluation import (  # noqa: E402
    calibration,
    evaluate,
    load_eval_set,
    load_split,
    results_table,
    scores,
    scores_line,
)
from pagerless.diagnosis.snapshot import snapshot_from_scenario  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default=None, help="score only this directory")
    parser.add_argument("--repeat", type=int, default=20, help="timed repetitions per scenario")
    parser.add_argument("--tables", action="store_true", help="print the per-category table of every set")
    parser.add_argument("--skip-heldout", action="store_true", help="leave the real-world held-out half out")
    args = parser.parse_args(argv)
    sets = _sets(args.dir, args.skip_heldout)
    everything = []
    for label, scenarios in sets:
        results = [evaluate(name, scenario) for name, scenario in scenarios]
        everything += results
        if args.tables or args.dir:
            print(f"\n{label}\n" + results_table(results))
        print(scores_line(label, scores(results)))
    print(f"\naccuracy per confidence bucket ({len(everything)} scenarios of the sets above):")
    for bucket, count, accuracy in calibration(everything):
        shown = f"{accuracy:6.1%}" if count else "     -"
        print(f"  confidence {bucket:<13} {count:4d} scenarios  {shown} correct")
    scenarios = sets[0][1]
    per_scenario, analyze_only = [], []
    for _, scenario in scenarios:
        runs, runs_analyze = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            snapshot = snapshot_from_scenario(scenario)
            loaded = time.perf_counter()
            diagnose(snapshot)
            done = time.perf_counter()
            runs.append(done - started)
            runs_analyze.append(done - loaded)
        per_scenario.append(statistics.median(runs))
        analyze_only.append(statistics.median(runs_analyze))
    ms = [v * 1000 for v in per_scenario]
    ms_analyze = [v * 1000 for v in analyze_only]
    print(
        f"latency per scenario (load + analyze, median of {args.repeat} runs): "
        f"p50 {percentile(ms, 0.5):.2f} ms  p99 {percentile(ms, 0.99):.2f} ms  max {max(ms):.2f} ms"
    )
    print(
        f"analyzers + ranking only:                                   "
        f"p50 {percentile(ms_analyze, 0.5):.2f} ms  p99 {percentile(ms_analyze, 0.99):.2f} ms"
    )
    return 0


def _sets(directory: str | None, skip_heldout: bool) -> list[tuple[str, list]]:
    if directory:
        return [(Path(directory).name, load_eval_set(directory))]
    real = ROOT / "tests" / "scenarios" / "real"
    split = load_split(real)
    real_set = load_eval_set(real)
    sets = [
        ("original", load_eval_set(ROOT / "tests" / "scenarios")),
        ("redteam", load_eval_set(ROOT / "tests" / "scenarios" / "redteam")),
        ("real dev", [(n, s) for n, s in real_set if split.get(n) == "dev"]),
    ]
    if not skip_heldout:
        sets.append(("real held-out", [(n, s) for n, s in real_set if split.get(n) == "heldout"]))
    return sets


if __name__ == "__main__":
    raise SystemExit(main())
