"""Soak: `pagerless dev` under mixed load for --minutes, RSS printed over time.

The load, each second: an Alertmanager webhook with a few alerts (new problems, duplicates of
open ones, and resolves of earlier ones, so incidents open, count and close), and API reads
(incident list, one incident, status). RSS is printed every --every seconds, then the growth
over the run. `make soak` runs the full 30 minutes; `make bench` runs a short one (and says so).

    python bench/soak.py [--minutes 30] [--every 30] [--rate 5]
"""

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dev import ADMIN_KEY, DevProcess, rss_mb  # noqa: E402


def _webhook(alerts: list[tuple[int, str]]) -> dict:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "pagerless",
        "alerts": [
            {
                "status": status,
                "fingerprint": f"soak-{n:05d}",
                "labels": {
                    "alertname": f"Soak{n}",
                    "service": f"svc-{n % 40:02d}-{n}",
                    "namespace": "soak",
                    "severity": "warning",
                },
                "annotations": {"summary": f"soak problem {n}"},
            }
            for n, status in alerts
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between RSS samples")
    parser.add_argument("--rate", type=float, default=5.0, help="alerts per second")
    args = parser.parse_args()
    if args.minutes < 30:
        print(f"(short soak: {args.minutes:g} min; `make soak` runs the full 30 minutes)")
    rng = random.Random(12)
    dev = DevProcess(Path(tempfile.mkdtemp(prefix="pl-soak-")) / "state")
    dev.start(timeout=180)
    try:
        time.sleep(5)
        samples = [(0.0, rss_mb(dev.pid))]
        print(f"  t=   0 s  RSS {samples[0][1]:6.0f} MB  (idle)", flush=True)
        open_problems: list[int] = []
        next_problem, sent, errors = 0, 0, 0
        started = time.monotonic()
        next_sample = started + args.every
        with httpx.Client(base_url=dev.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
            while (now := time.monotonic()) - started < args.minutes * 60:
                alerts: list[tuple[int, str]] = []
                for _ in range(max(1, int(args.rate))):
                    roll = rng.random()
                    if roll < 0.2 or not open_problems:
                        open_problems.append(next_problem)
                        alerts.append((next_problem, "firing"))
                        next_problem += 1
                    elif roll < 0.3:
                        alerts.append((open_problems.pop(rng.randrange(len(open_problems))), "resolved"))
                    else:
                        alerts.append((rng.choice(open_problems), "firing"))
                response = api.post(
                    "/api/webhooks/alertmanager",
                    content=json.dumps(_webhook(alerts)),
                    headers={"content-type": "application/json"},
                )
                errors += response.status_code >= 300 and response.status_code != 202
                sent += len(alerts)
                items = api.get("/api/incidents", params={"limit": 20}).json().get("items", [])
                if items:
                    api.get(f"/api/incidents/{items[0]['id']}")
                api.get("/api/status")
                if time.monotonic() >= next_sample:
                    samples.append((time.monotonic() - started, rss_mb(dev.pid)))
                    print(
                        f"  t={samples[-1][0]:4.0f} s  RSS {samples[-1][1]:6.0f} MB  ({sent} alerts sent)", flush=True
                    )
                    next_sample += args.every
                time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
        samples.append((time.monotonic() - started, rss_mb(dev.pid)))
        first_loaded = samples[1][1] if len(samples) > 2 else samples[0][1]
        print(
            f"soak: {sent} alerts over {samples[-1][0] / 60:.1f} min, {errors} errors; RSS idle {samples[0][1]:.0f} MB, "
            f"end {samples[-1][1]:.0f} MB, growth after the first sample {samples[-1][1] - first_loaded:+.0f} MB"
        )
    finally:
        dev.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
