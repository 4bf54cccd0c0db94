"""CPU throttling: a low CPU limit together with throttling hints behind a latency alert."""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import evidence, make_finding
from pagerless.diagnosis.analyzers.logpatterns import LOG_FAMILIES
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Snapshot
from pagerless.diagnosis.snapshot_objects import cpu_millicores

NAME = "cpu"
_THROTTLE = dict(LOG_FAMILIES)["cpu_throttling"]
_ALERT_HINT = re.compile(r"throttl|cfs_throttled|cpu.{0,20}(?:saturat|limit)|CPU.{0,12}(?:限流|节流)", re.I)
_LATENCY = re.compile(r"latency|slow|p9\d|response time|duration|timeout|延迟|耗时|响应|慢", re.I)
LOW_LIMIT_MILLICORES = 1000.0


def analyze(snapshot: Snapshot) -> list[Finding]:
    """A cpu_throttling finding for the alert's workload when limits and hints agree."""
    alert_text = " ".join(
        [
            snapshot.alert.title,
            snapshot.alert.description,
            *snapshot.alert.annotations.values(),
            *snapshot.alert.labels.values(),
        ]
    )
    alert_hint = _ALERT_HINT.search(alert_text)
    latency = _LATENCY.search(alert_text)
    findings, seen = [], set()
    for pod in snapshot.focus_pods():
        for c in pod.containers:
            limit = cpu_millicores(c.limits.get("cpu"))
            if limit is None or (pod.workload, c.name) in seen:
                continue
            seen.add((pod.workload, c.name))
            lines = [line for line in snapshot.log(pod, c.name) if _THROTTLE.search(line)]
            if not (alert_hint or lines):
                continue
            proof = [evidence(f"{pod.ref()}/spec.containers[{c.name}].resources.limits.cpu", str(c.limits.get("cpu")))]
            if alert_hint:
                proof.append(evidence("alert", alert_text[max(0, alert_hint.start() - 80) : alert_hint.end() + 120]))
            proof += [evidence(f"log {pod.namespace}/{pod.name}/{c.name}", line) for line in lines[:2]]
            confidence = (
                0.5
                + (0.15 if lines else 0.0)
                + (0.1 if alert_hint else 0.0)
                + (0.05 if latency else 0.0)
                + (0.05 if limit <= LOW_LIMIT_MILLICORES else 0.0)
            )
            findings.append(
                make_finding(
                    NAME,
                    "cpu_throttling",
                    confidence,
                    f"{c.name} in {pod.workload} is throttled by its {c.limits.get('cpu')} CPU limit",
                    proof,
                    ["increase_cpu_limit"],
                    pod.target(c.name),
                )
            )
    return findings
