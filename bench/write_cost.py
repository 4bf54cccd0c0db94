"""DynamoDB writes and write units per alert: new, correlated, duplicate, folded duplicate, resolve.

Runs the real intake service (`IntakeService.process`, what the webhook and the queue consumer
call) on the embedded AWS provisioned from template.yaml, with Step Functions on. Writes are
counted and billed by `pagerless.local.write_meter` from the items moto holds before and after
each write (table: started KB of the larger image; each GSI: 0, 1 or 2 writes from its key and
projection). Only the intake's own thread is billed, not the workflow it starts.

Goals (issue #12): a duplicate is 1 write of at most 2 WCU; a new alert is at most 5 writes.

    python bench/write_cost.py [--json]
"""

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))


def alertmanager_like(n: int, status: str = "firing", service: str | None = "checkout"):
    """A normalized alert the size of a real Alertmanager one (labels and annotations included)."""
    from pagerless.domain.alerts import Alert

    labels = {
        "alertname": "KubePodCrashLooping",
        "namespace": "shop",
        "pod": f"checkout-7d9f8b6c5-{n:05d}",
        "container": "checkout",
        "job": "kube-state-metrics",
        "severity": "critical",
        "prometheus": "monitoring/k8s",
        "service": service or "",
        "instance": "10.0.3.17:8080",
    }
    return Alert(
        source="alertmanager",
        fingerprint=f"bench-{n:08x}",
        status=status,
        severity="critical",
        title=f"Pod shop/checkout-7d9f8b6c5-{n:05d} ({labels['container']}) is in waiting state (reason: CrashLoopBackOff).",
        description="Pod shop/checkout is crash looping: 5 restarts in the last 10 minutes. "
        "See the runbook for the usual causes (OOMKilled, a bad config map, a missing secret).",
        service=service,
        namespace="shop",
        pod=labels["pod"],
        labels=labels,
        annotations={
            "summary": "Pod is crash looping.",
            "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
        },
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        url="http://prometheus:9090/graph?g0.expr=kube_pod",
    )


def queued(alert, sent_second: int) -> None:
    """One AlertQueue record through the real consumer (`handle_alert_record`)."""
    from pagerless.intake.consumer import handle_alert_record
    from pagerless.intake.queue import AlertEnvelope

    body = AlertEnvelope(alert.source, "default", alert.model_dump(mode="json"), "").to_json()
    sent = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() + sent_second) * 1000
    handle_alert_record(body, None, {"SentTimestamp": str(sent)})


def measure() -> dict:
    """The write cost of each kind of alert, on a fresh embedded AWS."""
    from moto import mock_aws

    from pagerless.intake.service import IntakeService
    from pagerless.local.runtime import MOCK_CONFIG, LocalRuntime, RuntimeOptions
    from pagerless.local.write_meter import WriteMeter

    meter = WriteMeter()
    with mock_aws(config=MOCK_CONFIG):
        runtime = LocalRuntime(ROOT / "template.yaml", RuntimeOptions(mode="inprocess")).start(background=False)
        meter.install()
        try:
            now = [datetime.now(UTC)]
            service = IntakeService(clock=lambda: now[0])
            for label, alert in (
                ("new (no service)", alertmanager_like(1, service=None)),
                ("new (root of a service)", alertmanager_like(2)),
                ("new (correlated child)", alertmanager_like(3)),
            ):
                with meter.measure(label):
                    service.process(alert, "default")
            for _ in range(5):
                now[0] += timedelta(seconds=1)
                with meter.measure("duplicate"):
                    service.process(alertmanager_like(2), "default")
            now[0] += timedelta(seconds=61)
            with meter.measure("duplicate after a minute (folds)"):
                service.process(alertmanager_like(2), "default")
            with meter.measure("resolve"):
                service.process(alertmanager_like(2, status="resolved"), "default")
            # The AlertQueue consumer path (the default: webhooks are acknowledged, then queued)
            for label, n, sent in (
                ("queued: new (no service)", 10, 1),
                ("queued: new (root of a service)", 11, 2),
                ("queued: duplicate", 11, 3),
                ("queued: redelivered (same message)", 11, 3),
                ("queued: new (correlated child)", 12, 4),
            ):
                with meter.measure(label):
                    queued(alertmanager_like(n, service=None if n == 10 else "payments"), sent)
        finally:
            meter.uninstall()
            runtime.stop()
    report = meter.report
    report["duplicate"] = {k: (v / 5 if isinstance(v, (int, float)) else v) for k, v in report["duplicate"].items()}
    report["duplicate"]["by_table_and_index"] = {
        name: {k: v / 5 for k, v in cost.items()} for name, cost in report["duplicate"]["by_table_and_index"].items()
    }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
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
    report = measure()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'operation':34} {'writes':>6} {'WCU':>6} {'failed':>6}   per table / index (writes, WCU)")
    for label, cost in report.items():
        parts = ", ".join(
            f"{name} {c['writes']:g}/{c['wcu']:g}" for name, c in sorted(cost["by_table_and_index"].items())
        )
        print(f"{label:34} {cost['writes']:>6g} {cost['wcu']:>6g} {cost['failed_conditional']:>6g}   {parts}")
    duplicate = report["duplicate"]
    roots = max(report[k]["writes"] for k in report if "new" in k and "child" not in k)
    child = max(report[k]["writes"] for k in report if "correlated child" in k)
    print(
        f"goal: duplicate 1 write <= 2 WCU: {duplicate['writes']:g} write(s), {duplicate['wcu']:g} WCU -> "
        f"{'met' if duplicate['writes'] <= 1 and duplicate['wcu'] <= 2 else 'NOT met'}"
    )
    print(
        f"goal: new alert <= 5 writes: opening a root incident (sync and queued) {roots:g} -> "
        f"{'met' if roots <= 5 else 'NOT met'}; a correlated child (sync and queued) {child:g} -> {'met' if child <= 5 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
