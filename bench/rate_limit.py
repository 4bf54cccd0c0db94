"""Rate-limit counter cost: DynamoDB calls and latency per request, on the embedded AWS.

Runs the real limiter (pagerless.api.ratelimit) against the system table provisioned from
template.yaml on moto, counting UpdateItem calls with a botocore hook on the store's client:
first under the limit (one conditional UpdateItem each), then over it (the in-process fast path:
no call at all), then a second "instance" arriving at a full window (one failed condition, then none).

    python bench/rate_limit.py [--requests 2000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("AWS_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")
    from moto import mock_aws

    from pagerless.local.runtime import MOCK_CONFIG, LocalRuntime, RuntimeOptions

    with mock_aws(config=MOCK_CONFIG):
        runtime = LocalRuntime(ROOT / "template.yaml", RuntimeOptions(mode="inprocess")).start(background=False)
        try:
            from pagerless.api.ratelimit import Limiter
            from pagerless.store.ratelimits import RateCounterRecord

            calls = {"n": 0}
            events = RateCounterRecord._get_connection().connection.client.meta.events
            events.register("before-call.dynamodb.UpdateItem", lambda **_: calls.__setitem__("n", calls["n"] + 1))
            now = time.time()
            limit = args.requests
            one, two = Limiter(clock=lambda: now), Limiter(clock=lambda: now)

            def phase(limiter, count):
                before, times, allowed = calls["n"], [], 0
                for _ in range(count):
                    start = time.perf_counter()
                    allowed += limiter.check("bench-key", "default", limit).allowed
                    times.append((time.perf_counter() - start) * 1000)
                return (
                    allowed,
                    (calls["n"] - before) / count,
                    statistics.median(times),
                    sorted(times)[int(count * 0.99) - 1],
                )

            rows = [
                ("under the limit", *phase(one, limit)),
                ("over the limit (fast path)", *phase(one, limit)),
                ("second instance, full window", *phase(two, 100)),
            ]
            print(f"  {'phase':<32} {'allowed':>8} {'UpdateItem/req':>15} {'p50 ms':>8} {'p99 ms':>8}")
            for name, allowed, per_request, p50, p99 in rows:
                print(f"  {name:<32} {allowed:>8} {per_request:>15.3f} {p50:>8.3f} {p99:>8.3f}")
        finally:
            runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
