"""`make bench`: run every benchmark script in bench/ and print their figures."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = ["cold_start.py", "intake_storm.py", "diagnosis_eval.py"]


def main() -> int:
    scripts = [BENCH / name for name in ORDER if (BENCH / name).exists()]
    scripts += sorted(p for p in BENCH.glob("*.py") if p.name not in ORDER and p.name != "run_all.py"
                and not p.name.startswith("_"))
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], cwd=BENCH.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
