"""`make bench`: run every benchmark script in bench/ and print their figures."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = ["cold_start.py", "intake_storm.py", "diagnosis_eval.py"]
# Extra runs with arguments: the direct storm into a real `pagerless dev`, and a short soak.
EXTRA = [("intake_storm.py", ["--dev", "--seconds", "5"]), ("soak.py", ["--minutes", "3", "--every", "30"])]


def main() -> int:
    scripts = [BENCH / name for name in ORDER if (BENCH / name).exists()]
    scripts += sorted(
        p
        for p in BENCH.glob("*.py")
        if p.name not in ORDER
        and p.name != "run_all.py"
        and not p.name.startswith("_")
        and p.name not in {name for name, _ in EXTRA}
    )
    # Cold start measures the layer `make build` made (make bench builds first), as deployed.
    layer = BENCH.parent / ".aws-sam" / "build" / "SharedLayer" / "python"
    args = {"cold_start.py": ["--layer", str(layer.relative_to(BENCH.parent))] if layer.is_dir() else []}
    runs = [(script, args.get(script.name, [])) for script in scripts] + [
        (BENCH / name, extra) for name, extra in EXTRA
    ]
    failed = 0
    for script, extra in runs:
        print(f"\n=== {' '.join([script.name, *extra])}", flush=True)
        failed += subprocess.run([sys.executable, str(script), *extra], cwd=BENCH.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
