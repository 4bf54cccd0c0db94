"""A real Alertmanager storm: Debian's prometheus-alertmanager pointed at `pagerless dev`.

2,000 alerts are pushed into Alertmanager's API (POST /api/v2/alerts), labelled into --groups
groups; Alertmanager folds each group into webhook calls to /api/webhooks/alertmanager. Within
a group the alerts share service and namespace, so the first opens a root incident and the
others are correlated into it as children: expected, --groups root incidents and one incident
per alert. Alertmanager's notification timeout is its group_interval (10 s here, its minimum).

Printed: webhook call durations (from pagerless's request log), Alertmanager's own counters
(notifications, failed notifications, latency), 5xx and "unhandled error" lines in pagerless's
log, incidents and alerts found in the embedded AWS against what is expected, the time until
the last incident was visible, the CPU split of the process (py-spy) and its RSS idle and after.

    python bench/alertmanager_storm.py [--alerts 2000] [--groups 178] [--before]

``PAGERLESS_BENCH_KEEP=1`` keeps the work directory (the server's log, its state and py-spy's raw
profile) and prints where it is.

``--before`` runs the old configuration in the same script for comparison: synchronous webhooks
(?sync=true), AWS calls over HTTP, no bound on workflow steps.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dev import ADMIN_KEY, DevProcess, Profile, cpu_seconds, free_port, print_split, rss_mb, wait_until  # noqa: E402

BINARY = "prometheus-alertmanager"


def ensure_alertmanager() -> str | None:
    """The binary's path, installing Debian's package if missing; None (and a printed reason) if not."""
    found = shutil.which(BINARY) or (Path("/usr/bin") / BINARY if (Path("/usr/bin") / BINARY).exists() else None)
    if found:
        return str(found)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"SKIP: {BINARY} is not installed and cannot be installed here (needs root and apt-get)")
        return None
    install = subprocess.run(["apt-get", "install", "-y", "-q", BINARY], capture_output=True, text=True)
    if install.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        install = subprocess.run(["apt-get", "install", "-y", "-q", BINARY], capture_output=True, text=True)
    if install.returncode != 0 or not shutil.which(BINARY):
        print(f"SKIP: apt-get install {BINARY} failed: {install.stderr.strip()[-300:]}")
        return None
    return shutil.which(BINARY)


def alertmanager_config(webhook_url: str) -> str:
    return json.dumps(
        {  # YAML is a superset of JSON
            "route": {
                "receiver": "pagerless",
                "group_by": ["group"],
                "group_wait": "1s",
                "group_interval": "10s",
                "repeat_interval": "4h",
            },
            "receivers": [
                {
                    "name": "pagerless",
                    "webhook_configs": [
                        {
                            "url": webhook_url,
                            "send_resolved": False,
                            "max_alerts": 0,
                            "http_config": {"authorization": {"type": "Bearer", "credentials": ADMIN_KEY}},
                        }
                    ],
                }
            ],
        }
    )


def start_alertmanager(binary: str, workdir: Path, webhook_url: str) -> tuple[subprocess.Popen, str]:
    config = workdir / "alertmanager.yml"
    config.write_text(alertmanager_config(webhook_url))
    port = free_port()
    log = open(workdir / "alertmanager.log", "wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={workdir / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    if not wait_until(lambda: _ready(httpx, base), timeout=30, interval=0.2):
        process.kill()
        raise RuntimeError(f"Alertmanager did not start: {(workdir / 'alertmanager.log').read_text()[-500:]}")
    return process, base


def _ready(httpx, base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def storm_alerts(count: int, groups: int) -> list[dict]:
    now = datetime.now(UTC)
    return [
        {
            "labels": {
                "alertname": f"Storm{i % 7}",
                "group": f"g{i % groups:03d}",
                "service": f"svc-{i % groups:03d}",
                "namespace": "storm",
                "instance": f"node-{i:05d}",
                "severity": "critical",
            },
            "annotations": {"summary": f"storm alert {i}"},
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
        }
        for i in range(count)
    ]


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            if line[len(name)] in " {":
                total += float(line.rsplit(" ", 1)[1])
    return total


def run(args, binary: str, before: bool) -> dict:
    import httpx

    label = "before (sync, AWS over HTTP, unbounded workflows)" if before else "after"
    work = Path(tempfile.mkdtemp(prefix="pl-amstorm-"))
    extra = ["--aws-over-http", "--workflow-workers", "0"] if before else []
    dev = DevProcess(work / "state", extra_args=extra)
    dev.start(timeout=180)
    am = None
    result: dict = {"label": label}
    try:
        time.sleep(args.settle)
        result["rss_idle"] = rss_mb(dev.pid)
        profile = Profile(dev.pid, work / "profile.txt") if args.profile else None
        cpu0 = cpu_seconds(dev.pid)
        url = f"{dev.base}/api/webhooks/alertmanager" + ("?sync=true" if before else "")
        am, am_base = start_alertmanager(binary, work, url)
        alerts = storm_alerts(args.alerts, args.groups)
        started = time.monotonic()
        with httpx.Client(timeout=30) as client:
            for i in range(0, len(alerts), 200):
                client.post(f"{am_base}/api/v2/alerts", json=alerts[i : i + 200]).raise_for_status()

        def am_metrics() -> str:
            return httpx.get(f"{am_base}/metrics", timeout=5).text

        def settled() -> bool:  # every group notified (or failed), and every alert has its incident
            text = am_metrics()
            sent = metric(text, "alertmanager_notifications_total", integration="webhook")
            return sent >= args.groups and _linked(dev) >= args.alerts

        wait_until(settled, timeout=args.timeout, interval=1.0)
        result["seconds_to_all_incidents"] = time.monotonic() - started
        cpu = cpu_seconds(dev.pid) - cpu0
        if profile:
            profile.stop()
        text = am_metrics()
        requests = dev.webhook_requests()
        durations = sorted(ms / 1000 for _, ms in requests)
        log = dev.read_log()
        incidents = dev.scan("IncidentsTable")
        linked = _linked(dev)
        roots = [i for i in incidents if "parent_id" not in i or "NULL" in i.get("parent_id", {})]
        result.update(
            webhook_calls=len(requests),
            am_notifications=metric(text, "alertmanager_notifications_total", integration="webhook"),
            am_failed=metric(text, "alertmanager_notifications_failed_total", integration="webhook"),
            am_latency_sum=metric(text, "alertmanager_notification_latency_seconds_sum", integration="webhook"),
            five_xx=sum(1 for status, _ in requests if status >= 500),
            unhandled=len(re.findall(r"unhandled error", log, re.I)),
            incidents=len(incidents),
            roots=len(roots),
            linked=linked,
            cpu=cpu,
            rss_after=rss_mb(dev.pid),
            p50=statistics.median(durations) if durations else 0.0,
            p95=durations[int(0.95 * (len(durations) - 1))] if durations else 0.0,
            max=durations[-1] if durations else 0.0,
            statuses=sorted({s for s, _ in requests}),
        )
        if profile:
            result["profile"] = profile.split() + (profile.error, profile.own_files)
    finally:
        if am is not None:
            am.terminate()
            am.wait(timeout=10)
        dev.stop()
        if os.environ.get("PAGERLESS_BENCH_KEEP"):
            print(f"  kept {work} (py-spy raw profile: profile.txt)")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _linked(dev: DevProcess) -> int:
    """Alerts whose record names their incident (the claim is settled); a COUNT scan, so that the
    bench's polling does not cost the server a serialized page of items each time."""
    try:
        return dev.count("AlertsTable", "attribute_exists(incident_id)")
    except Exception:
        return 0


def report(r: dict, args) -> None:
    print(f"[{r['label']}]")
    print(
        f"  webhook calls {r['webhook_calls']} (Alertmanager sent {r['am_notifications']:.0f}, "
        f"failed {r['am_failed']:.0f}); statuses {r['statuses']}"
    )
    print(
        f"  webhook call duration p50 {r['p50']:.3f} s, p95 {r['p95']:.3f} s, max {r['max']:.3f} s "
        f"(Alertmanager's timeout: 10 s); 5xx {r['five_xx']}, 'unhandled error' log lines {r['unhandled']}"
    )
    print(
        f"  incidents {r['incidents']} (expected {args.alerts}), root incidents {r['roots']} "
        f"(expected {args.groups}), alerts linked to an incident {r['linked']}/{args.alerts}; "
        f"all visible {r['seconds_to_all_incidents']:.1f} s after the push"
    )
    print(f"  RSS idle {r['rss_idle']:.0f} MB (goal <= 200), after the storm {r['rss_after']:.0f} MB (goal <= 300)")
    if "profile" in r:
        counts, total, error, files = r["profile"]
        if error:
            print(f"  profile: {error}")
        print_split(counts, total, r["cpu"], args.alerts, "  process", files)
    else:
        print(f"  process CPU {r['cpu']:.1f} s ({1000 * r['cpu'] / args.alerts:.2f} ms/alert)")
    ok = (
        r["am_failed"] == 0
        and r["five_xx"] == 0
        and r["linked"] == args.alerts
        and r["incidents"] == args.alerts
        and r["roots"] == args.groups
    )
    print(
        f"  verdict: {'OK' if ok else 'NOT MET'} (0 failed notifications, 0 5xx, every alert accounted for, "
        "incidents as expected)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=178)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for every incident")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds after start before the idle RSS")
    parser.add_argument("--before", action="store_true", help="also run the old configuration first")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    args = parser.parse_args()
    binary = ensure_alertmanager()
    if binary is None:
        return 0
    print(
        f"Alertmanager storm: {args.alerts} alerts in {args.groups} groups, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    results = []
    if args.before:
        results.append(run(args, binary, before=True))
        report(results[-1], args)
    results.append(run(args, binary, before=False))
    report(results[-1], args)
    if len(results) == 2 and results[0]["p95"]:
        print(
            f"after/before: webhook p95 {results[1]['p95'] / results[0]['p95']:.3f}x, CPU "
            f"{results[1]['cpu'] / max(results[0]['cpu'], 0.001):.2f}x, time to all incidents "
            f"{results[1]['seconds_to_all_incidents'] / results[0]['seconds_to_all_incidents']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
