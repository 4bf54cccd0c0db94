"""Benchmark the analyzers on the evaluation set: top-1 accuracy, evidence rate, latency.

Run from the repository root: ``python bench/diagnosis_eval.py [--repeat N] [--dir tests/scenarios]``.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from pagerless.diagnosis.engine import diagnose  # noqa: E402
from pagerless.diagnosis.evaluation import evaluate, load_eval_set, results_table  # noqa: E402
from pagerless.diagnosis.snapshot import snapshot_from_scenario  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default=str(ROOT / "tests" / "scenarios"))
    parser.add_argument("--repeat", type=int, default=20, help="timed repetitions per scenario")
    args = parser.parse_args(argv)
    scenarios = load_eval_set(args.dir)
    results = [evaluate(name, scenario) for name, scenario in scenarios]
    print(results_table(results))
    total = len(results)
    print(f"\nscenarios          {total}")
    print(f"top-1 accuracy     {sum(r.correct for r in results) / total:.1%}")
    print(f"evidence rate      {sum(r.cites_evidence for r in results) / total:.1%} cite evidence, "
          f"{sum(r.cites_evidence and not r.missing_evidence for r in results) / total:.1%} cite the expected facts")
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
    print(f"latency per scenario (load + analyze, median of {args.repeat} runs): "
          f"p50 {percentile(ms, 0.5):.2f} ms  p99 {percentile(ms, 0.99):.2f} ms  max {max(ms):.2f} ms")
    print(f"analyzers + ranking only:                                   "
          f"p50 {percentile(ms_analyze, 0.5):.2f} ms  p99 {percentile(ms_analyze, 0.99):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
