"""Alert storm: N alerts through the real intake path on the embedded AWS.

Each alert is one API Gateway v2 event given to the ingest function's real Lambda handler
(Mangum → FastAPI → auth → webhook intake → intake service → DynamoDB / Step Functions on
moto, in-process). The workload: `--problems` distinct problems fire first, then heavy
duplication, a few flappers (fire/resolve cycles, in order) and resolves, sent from a thread pool.

Printed: alerts/s, p50/p99 per alert, DynamoDB write requests and estimated write units per
alert (new vs duplicate; counted with botocore event hooks on every client, not by mocking our
code), and incidents created vs expected (must be equal).

    python bench/intake_storm.py [--alerts 10000] [--workers 8] [--problems 50]

``--dev``: the direct storm against a real `pagerless dev` process over HTTP (bench/_dev_storm.py):
--rate alerts/s offered (1,000 by default: more than the goal of 500, so that what is acknowledged
measures the capacity, not the pace) for --seconds, Alertmanager-style requests of --batch alerts,
acknowledged from the queue (the default); prints the accepted rate, answer latency, when every
alert was counted on its incident, the process's CPU split and RSS.
"""

import argparse
import asyncio
import contextvars
import json
import math
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

KEY = "pl_bench_storm_ingest_key_0000000000000000"
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


class WriteMeter:
    """Counts DynamoDB writes per thread-local 'current alert kind', from botocore events.

    Write units are estimated as DynamoDB bills them: 1 per started KB of the item written, plus
    the writes each global secondary index absorbs (2 when the update changes the index key, 1
    when it changes a projected attribute or puts a new indexed item).
    """

    def __init__(self) -> None:
        self.local = threading.local()
        self.kind: contextvars.ContextVar[str] = contextvars.ContextVar("bench_kind", default="other")
        self.lock = threading.Lock()
        self.requests: dict[str, Counter] = defaultdict(Counter)
        self.units: dict[str, float] = defaultdict(float)
        self.indexes: dict[str, list[dict]] = {}

    def install(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        # Every botocore session created from now on (boto3's, PynamoDB's per-thread ones) gets it.
        BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", self._remember_params))
        BUILTIN_HANDLERS.append(("after-call.dynamodb", self._after_call))

    @staticmethod
    def _remember_params(params=None, context=None, **_):
        if context is not None and params is not None:
            context["bench_params"] = params

    def describe(self, dynamodb, tables: list[str]) -> None:
        for name in tables:
            table = dynamodb.describe_table(TableName=name)["Table"]
            self.indexes[name] = [
                {
                    "keys": {k["AttributeName"] for k in index["KeySchema"]},
                    "all": index["Projection"]["ProjectionType"] == "ALL",
                    "projected": set(index["Projection"].get("NonKeyAttributes", [])),
                }
                for index in table.get("GlobalSecondaryIndexes", [])
            ]

    def _after_call(self, http_response=None, parsed=None, model=None, context=None, **_):
        params = (context or {}).get("bench_params") or {}
        if (
            model is None
            or model.name not in WRITE_OPERATIONS
            or http_response is None
            or http_response.status_code != 200
        ):
            return
        kind = self.kind.get()
        items = params.get("TransactItems", [params]) if model.name == "TransactWriteItems" else [params]
        units = 0.0
        for item_params in items:
            body = item_params.get("Put") or item_params.get("Update") or item_params.get("Delete") or item_params
            units += self._units(model.name, body, (parsed or {}).get("Attributes"))
        with self.lock:
            self.requests[kind][model.name] += 1
            self.units[kind] += units

    def _units(self, operation: str, params: dict, returned: dict | None) -> float:
        item = params.get("Item") or returned or params.get("Key") or {}
        base = max(1, math.ceil(len(json.dumps(item)) / 1024))
        touched = set((params.get("ExpressionAttributeNames") or {}).values()) | set(params.get("Item", {}))
        index_units = 0
        for index in self.indexes.get(params.get("TableName", ""), []):
            if operation == "PutItem":
                index_units += 1 if index["keys"] <= set(item) else 0
            elif index["keys"] & touched:
                index_units += 2
            elif (
                operation == "UpdateItem"
                and (index["all"] or index["projected"] & touched)
                and index["keys"] <= set(item)
            ):
                index_units += 1
        return base + index_units


def _event(body: str) -> dict:
    return {
        "version": "2.0",
        "routeKey": "POST /api/webhooks/{source}",
        "rawPath": "/api/webhooks/generic",
        "rawQueryString": "",
        "isBase64Encoded": False,
        "body": body,
        "headers": {"authorization": f"Bearer {KEY}", "content-type": "application/json", "host": "bench.local"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.local",
            "http": {
                "method": "POST",
                "path": "/api/webhooks/generic",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bench",
            },
            "requestId": "bench",
            "routeKey": "POST /api/webhooks/{source}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
    }


def _alert(problem: int, status: str = "firing") -> dict:
    return {
        "title": f"problem {problem}: p99 latency over SLO",
        "fingerprint": f"storm-{problem}",
        "service": f"svc-{problem}",
        "namespace": "bench",
        "severity": "high",
        "status": status,
    }


def workload(
    alerts: int, problems: int, flappers: int, cycles: int, batch: int, seed: int = 7
) -> tuple[list[list[tuple]], list[list[tuple]]]:
    """(opening tasks, storm tasks); a task is a list of (kind, [alerts]) requests sent in order."""
    rng = random.Random(seed)
    opening = [[("new", [_alert(p)])] for p in range(problems)]
    flapping = [
        [
            (kind, [_alert(p, status)])
            for _ in range(cycles)
            for kind, status in (("resolve", "resolved"), ("reopen", "firing"))
        ]
        for p in range(flappers)
    ]
    resolved = list(range(flappers, flappers + max(1, problems // 5)))
    resolves = [[("resolve", [_alert(p, "resolved")])] for p in resolved]
    used = problems + sum(len(t) for t in flapping) + len(resolves)
    storm = [_alert(rng.randrange(flappers, problems)) for _ in range(max(0, alerts - used))]
    duplicates = [[("duplicate", storm[i : i + batch])] for i in range(0, len(storm), batch)]
    # Flappers and resolves early, so a time-bounded run still measures them.
    cut = max(1, len(duplicates) // 20)
    return opening, duplicates[:cut] + flapping + resolves + duplicates[cut:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument("--flappers", type=int, default=3)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=0.0,
        help="stop sending the storm after this long (0: no limit); moto runs ~30 alerts/s per core",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=5,
        help="alerts per webhook request for the duplicate storm (Alertmanager re-sends whole groups)",
    )
    parser.add_argument("--dev", action="store_true", help="the direct storm into a real `pagerless dev` over HTTP")
    parser.add_argument(
        "--rate",
        type=float,
        default=1000.0,
        help="--dev: alerts per second offered (above the 500/s goal, so the acknowledged rate is the capacity)",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="--dev: how long to send")
    parser.add_argument("--wait", type=float, default=900.0, help="--dev: how long to wait for every incident")
    args = parser.parse_args()
    if args.dev:
        from _dev_storm import direct_storm

        return direct_storm(args)
    # The in-process storm measures the synchronous path (dedup and incident per request) and its writes.
    os.environ.setdefault("PAGERLESS_INTAKE_ACKNOWLEDGE", "sync")

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)  # in-process moto only: nothing may escape to a real endpoint
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "LOG_LEVEL": "ERROR",
        }
    )
    # The storm measures intake itself: one key sending 10k alerts would otherwise be queued by the
    # per-key intake limit (bench/rate_limit.py measures the limiter).
    os.environ.setdefault("PAGERLESS_RATE_LIMIT_INTAKE_PER_MINUTE", "0")
    meter = WriteMeter()
    meter.install()

    from moto import mock_aws

    from pagerless.local.runtime import MOCK_CONFIG, LocalRuntime, RuntimeOptions

    with mock_aws(config=MOCK_CONFIG):
        runtime = LocalRuntime(ROOT / "template.yaml", RuntimeOptions(mode="inprocess")).start(background=False)
        os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ["LOG_LEVEL"] = "ERROR"
        from pagerless.api.security import key_service
        from pagerless.domain.roles import Role
        from pagerless.observability import logger

        logger().setLevel("ERROR")
        key_service().ensure(KEY, workspace="default", role=Role.INGEST, name="bench")
        meter.describe(runtime.client("dynamodb"), list(runtime.provisioned.tables.values()))
        handler = runtime.lambdas.handler("IngestFunction")
        from pagerless.local.lambdas import LambdaContext

        context = LambdaContext("pagerless-IngestFunction", 30, "us-east-1")
        latencies: dict[str, list[float]] = defaultdict(list)
        failures = Counter()
        requests = Counter()

        skipped = Counter()

        def run(task: list[tuple], bounded: bool = True) -> None:
            if bounded and args.max_seconds and time.perf_counter() - clock["started"] > args.max_seconds:
                skipped["alerts"] += sum(len(alerts) for _, alerts in task)
                return
            if not getattr(meter.local, "loop", None):  # Mangum wants the thread's event loop, as in Lambda
                meter.local.loop = asyncio.new_event_loop()
                asyncio.set_event_loop(meter.local.loop)
            for kind, alerts in task:
                meter.kind.set(kind)
                sent_at = time.perf_counter()
                response = handler(_event(json.dumps(alerts)), context)
                latencies[kind] += [(time.perf_counter() - sent_at) / len(alerts)] * len(alerts)
                requests[kind] += 1
                if response["statusCode"] != 200:
                    failures[response["statusCode"]] += 1
            meter.kind.set("other")

        opening, storm = workload(args.alerts, args.problems, args.flappers, cycles=4, batch=args.batch)
        total = sum(len(alerts) for task in opening + storm for _, alerts in task)
        clock = {"started": time.perf_counter()}
        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(lambda _: key_service().authenticate(KEY), range(args.workers * 4)))  # warm each thread
            clock["started"] = time.perf_counter()
            list(pool.map(lambda task: run(task, bounded=False), opening))  # every problem opens, always
            list(pool.map(run, storm))
            elapsed = time.perf_counter() - clock["started"]

        from pagerless.store.incidents import IncidentRecord

        total -= skipped["alerts"]
        incidents = list(IncidentRecord.scan())
        runtime.stop()

    every = sorted(v for values in latencies.values() for v in values)
    print(
        f"alerts sent        {total} ({', '.join(f'{k} {len(v)}' for k, v in sorted(latencies.items()))}) in "
        f"{sum(requests.values())} requests (storm batches of {args.batch}), {args.workers} threads, {os.cpu_count()} cpu"
    )
    if skipped:
        print(
            f"time budget        stopped after {args.max_seconds:.0f} s: {skipped['alerts']} alerts not sent "
            f"(--max-seconds 0 sends all)"
        )
    print(f"throughput         {total / elapsed:,.0f} alerts/s ({elapsed:.1f} s)")
    print(
        f"latency per alert  p50 {statistics.median(every) * 1000:.1f} ms   "
        f"p99 {every[int(len(every) * 0.99) - 1] * 1000:.1f} ms   (request time / alerts in it)"
    )
    for kind in ("new", "duplicate", "resolve", "reopen"):
        count = len(latencies.get(kind, []))
        if count:
            requests = sum(meter.requests[kind].values())
            detail = ", ".join(f"{op} {n / count:.2f}" for op, n in sorted(meter.requests[kind].items()))
            print(
                f"writes per {kind:<9} {requests / count:.2f} requests ({detail}); ~{meter.units[kind] / count:.1f} WCU "
                f"incl. GSI"
            )
    expected = args.problems
    print(
        f"incidents          created {len(incidents)}, expected {expected} "
        f"({sum(i.alert_count for i in incidents)} alerts counted, {sum(1 for i in incidents if i.flapping)} flapping)"
    )
    if failures:
        print(f"non-200 responses  {dict(failures)}")
    return 0 if len(incidents) == expected and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
