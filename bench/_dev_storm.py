"""The direct storm (bench/intake_storm.py --dev): alerts/s into a real `pagerless dev` over HTTP.

--problems distinct problems fire first (each opens an incident), then the storm repeats them as
Alertmanager-style requests of --batch alerts, paced to --rate alerts/s for --seconds, from
--workers client threads (the clients run in this process, on the same cores). Halfway, one
request carries a new problem: the time from its acknowledgement until its incident is visible
is printed. Accounted for: every alert acknowledged (2xx) is counted on its incident (the sum of
`alert_count`), and no more incidents than the problems (and the new one) exist.
``PAGERLESS_BENCH_KEEP=1`` keeps the work directory (the server's state and py-spy's raw profile).
"""

import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from _dev import ADMIN_KEY, DevProcess, Profile, cpu_seconds, print_split, rss_mb, wait_until


def _payload(problems: list[int]) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "status": "firing",
            "receiver": "pagerless",
            "groupKey": "storm",
            "alerts": [
                {
                    "status": "firing",
                    "fingerprint": f"storm-{p:04d}",
                    "labels": {
                        "alertname": f"Storm{p}",
                        "service": f"svc-{p:04d}",
                        "namespace": f"ns-{p:04d}",
                        "severity": "critical",
                    },
                    "annotations": {"summary": f"storm problem {p}"},
                }
                for p in problems
            ],
        }
    ).encode()


def _counted(dev: DevProcess) -> tuple[int, int]:
    """(incidents, alerts counted on them), read as an external client the way the API reads them:
    ``alert_count`` plus the duplicates pending on the incident's alert (folded at most once a
    minute, docs/writes.md)."""
    items = dev.scan("IncidentsTable")
    ids = {i["id"]["S"] for i in items if "id" in i}
    pending = sum(
        int(a.get("pending", {}).get("N", "0"))
        for a in dev.scan("AlertsTable")
        if a.get("incident_id", {}).get("S") in ids
    )
    return len(items), pending + sum(int(i.get("alert_count", {}).get("N", "0")) for i in items)


def _watch_for(
    dev: DevProcess, fingerprint: str, acknowledged: list[float], sent: threading.Event, wait: float
) -> float | None:
    """Seconds from the acknowledgement of ``fingerprint``'s alert until its alert item names an
    incident (put in the same transaction as the incident), polled with a filtered scan of the
    alerts table, four times a second; None if not within ``wait``, or if every request was sent
    and that one was not acknowledged."""
    dynamodb, table = dev.embedded_aws("dynamodb"), dev.table("AlertsTable")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not acknowledged and sent.is_set():
            return None
        if acknowledged:
            found = dynamodb.scan(
                TableName=table,
                FilterExpression="fingerprint = :f AND attribute_exists(incident_id)",
                ExpressionAttributeValues={":f": {"S": fingerprint}},
            )["Items"]
            if found:
                return time.monotonic() - acknowledged[0]
        time.sleep(0.25)
    return None


def direct_storm(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="pl-directstorm-"))
    dev = DevProcess(work / "state", env={"PAGERLESS_RATE_LIMIT_INTAKE_PER_MINUTE": "0"})
    dev.start(timeout=180)
    try:
        time.sleep(5)
        idle = rss_mb(dev.pid)
        headers = {"Authorization": f"Bearer {ADMIN_KEY}", "content-type": "application/json"}
        url = f"{dev.base}/api/webhooks/alertmanager"
        with httpx.Client(timeout=30, headers=headers) as client:  # every problem opens first
            for start in range(0, args.problems, args.batch):
                client.post(url, content=_payload(list(range(start, min(start + args.batch, args.problems)))))
        wait_until(lambda: _counted(dev)[0] >= args.problems, timeout=600, interval=1.0)
        profile = Profile(dev.pid, work / "profile.txt")
        cpu0 = cpu_seconds(dev.pid)
        requests = int(args.rate * args.seconds / args.batch)
        interval = args.batch / args.rate
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        accepted = [0]
        lock = threading.Lock()
        started = time.monotonic()

        fresh = args.problems  # a new problem, sent once mid-storm: how long until its incident is visible
        fresh_acknowledged: list[float] = []

        def send(n: int) -> None:
            delay = started + n * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            problems = [(n * args.batch + k) % args.problems for k in range(args.batch)]
            if n == requests // 2:
                problems[0] = fresh
            body = _payload(problems)
            sent = time.monotonic()
            try:
                response = clients[threading.get_ident() % len(clients)].post(url, content=body)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            with lock:
                latencies.append(time.monotonic() - sent)
                statuses[status] = statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    accepted[0] += args.batch
                    if fresh in problems:
                        fresh_acknowledged.append(time.monotonic())

        clients = [httpx.Client(timeout=30, headers=headers) for _ in range(args.workers)]
        all_sent = threading.Event()
        with ThreadPoolExecutor(args.workers + 1) as pool:
            watching = pool.submit(
                _watch_for, dev, f"storm-{fresh:04d}", fresh_acknowledged, all_sent, getattr(args, "wait", 900.0)
            )
            list(pool.map(send, range(requests)))
            sending = time.monotonic() - started
            all_sent.set()
            fresh_visible = watching.result()
        expected = args.problems + accepted[0]
        done = wait_until(lambda: _counted(dev)[1] >= expected, timeout=getattr(args, "wait", 900.0), interval=1.0)
        visible = time.monotonic() - started - sending
        cpu = cpu_seconds(dev.pid) - cpu0
        profile.stop()
        incidents, counted = _counted(dev)
        for client in clients:
            client.close()
        latencies.sort()
        print(
            f"direct storm into pagerless dev: {accepted[0]} alerts acknowledged in {sending:.1f} s = "
            f"{accepted[0] / sending:,.0f} alerts/s (offered {args.rate:.0f}/s, goal >= 500), "
            f"{requests} requests of {args.batch}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
        )
        print(
            f"  answers: {dict(sorted(statuses.items()))}; latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {latencies[int(0.99 * (len(latencies) - 1))] * 1000:.0f} ms"
        )
        print(
            f"  every alert counted on its incident {visible:.1f} s after the last was sent (goal <= 10 s)"
            + ("" if done else " — NOT within the wait")
        )
        print(
            "  a new problem sent mid-storm: its incident visible "
            + (
                f"{fresh_visible:.1f} s after it was acknowledged"
                if fresh_visible is not None
                else "NOT seen (not acknowledged, or not within the wait)"
            )
            + " (behind the duplicates queued before it)"
        )
        print(f"  incidents {incidents} (expected {args.problems + 1}), alerts counted {counted} (expected {expected})")
        print(
            f"  consumer: {counted - args.problems} alerts counted in {sending + visible:.0f} s "
            f"({(counted - args.problems) / (sending + visible):.1f}/s at this load); process CPU {cpu:.0f} s = "
            f"{cpu * 1000 / max(counted - args.problems, 1):.1f} ms per alert counted (load-independent-ish)"
        )
        print(f"  RSS idle {idle:.0f} MB, after {rss_mb(dev.pid):.0f} MB")
        counts, total = profile.split()
        if profile.error:
            print(f"  profile: {profile.error}")
        print_split(counts, total, cpu, accepted[0], "  process", profile.own_files)
        return 0
    finally:
        dev.stop()
        if os.environ.get("PAGERLESS_BENCH_KEEP"):
            print(f"  kept {work} (py-spy raw profile: profile.txt)")
        else:
            shutil.rmtree(work, ignore_errors=True)
