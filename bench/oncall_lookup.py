"""Who is on call: the cost of a lookup as a rotation ages.

Times `lookup.on_call` on Berlin rotations started on 1 January 2020 and on the Monday of this
week, asked at instants of the last day, and prints each as a ratio to the same rule started this
week (within this run; the goal is about 1x). The "counted" row is the 2020 hourly rule spelled
with the BYxxx parts dateutil fills in anyway, which takes the counting path: what every lookup
cost before fixed-step rules were computed. The one-person rows hand over to the same person at
every occurrence, with office-hours restrictions in the last ones: their lookup steps over
restriction windows, not handoffs.

    python bench/oncall_lookup.py [--lookups 30]
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from pagerless.oncall.lookup import on_call  # noqa: E402
from pagerless.oncall.schedules import Layer, Restriction, Schedule  # noqa: E402

OFFICE = (Restriction(clock(9), clock(17), ("mon", "tue", "wed", "thu", "fri")),)
CASES = (
    ("hourly, 2 people", "FREQ=HOURLY", ("ann", "ben"), ()),
    ("hourly, 1 person", "FREQ=HOURLY", ("ann",), ()),
    ("daily, 2 people", "FREQ=DAILY", ("ann", "ben"), ()),
    ("daily, 1 person", "FREQ=DAILY", ("ann",), ()),
    ("hourly, 1 person, office", "FREQ=HOURLY", ("ann",), OFFICE),
    ("weekly, 1 person, office", "FREQ=WEEKLY", ("ann",), OFFICE),
    ("hourly, 2 people, counted", "FREQ=HOURLY;BYMINUTE=0;BYSECOND=0", ("ann", "ben"), ()),
)


def lookup_ms(rule: str, people: tuple[str, ...], office, start: date, instants: list[datetime]) -> float:
    layer = Layer("rota", people, start, clock(0), rule, office)
    schedule = Schedule("s", "bench", "Europe/Berlin", (layer,))
    on_call(schedule, instants[0])  # the rule is parsed once per process: not part of a lookup
    times = []
    for at in instants:
        began = time.perf_counter()
        on_call(schedule, at)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=30)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    this_week = now.date() - timedelta(days=now.weekday())
    instants = [now - timedelta(minutes=47 * n) for n in range(args.lookups)]
    print(f"{'rotation':<28}{'this week ms':>14}{'since 2020 ms':>15}{'ratio':>8}")
    for name, rule, people, office in CASES:
        fresh = lookup_ms(rule.split(";")[0], people, office, this_week, instants)
        old = lookup_ms(rule, people, office, date(2020, 1, 1), instants)
        print(f"{name:<28}{fresh:>14.2f}{old:>15.2f}{old / fresh:>7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
