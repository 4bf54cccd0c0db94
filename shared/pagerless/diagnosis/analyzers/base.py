"""What every analyzer shares: the contract, evidence helpers and the notion of "recent"."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pagerless.clock import parse_time
from pagerless.diagnosis.models import Evidence, Finding
from pagerless.diagnosis.snapshot import Container, Pod, Snapshot

RECENT_MINUTES = 60.0  # a restart or event older than this before the alert is history, not cause
MAX_DETAIL = 400


class Analyzer(Protocol):
    """A pure function of the snapshot returning findings (possibly none)."""

    def __call__(self, snapshot: Snapshot) -> list[Finding]: ...


def clip(text: str, limit: int = MAX_DETAIL) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    # Head and tail: runtimes put the cause at the end of long messages ("... 401 Unauthorized").
    head = limit * 2 // 5
    return text[:head] + " … " + text[-(limit - head - 3) :]


def evidence(source: str, detail: str) -> Evidence:
    return Evidence(source=source, detail=clip(detail))


def container_path(pod: Pod, container: Container, field: str) -> str:
    kind = "initContainerStatuses" if container.init else "containerStatuses"
    return f"{pod.ref()}/status.{kind}[{container.name}].{field}"


def terminated_detail(terminated: dict) -> str:
    keys = ("reason", "exitCode", "signal", "message", "startedAt", "finishedAt")
    return " ".join(f"{k}={terminated[k]}" for k in keys if terminated.get(k) not in (None, ""))


def is_recent(
    snapshot: Snapshot, when: datetime | str | None, minutes: float = RECENT_MINUTES, unknown: bool = False
) -> bool:
    """True when ``when`` lies within ``minutes`` before the alert (or shortly after it).

    ``unknown`` is the answer when there is no time at all (a status without finishedAt is current).
    """
    when = parse_time(when)
    if when is None:
        return unknown
    before = snapshot.minutes_before_at(when)
    return -30.0 <= before <= minutes


def make_finding(
    analyzer: str,
    category: str,
    confidence: float,
    summary: str,
    evidence_list: list[Evidence],
    remediations: list[str],
    target: dict[str, str],
) -> Finding:
    return Finding(
        analyzer=analyzer,
        category=category,
        confidence=round(min(max(confidence, 0.0), 1.0), 3),
        summary=summary,
        evidence=evidence_list[:8],
        remediations=remediations,
        target=target,
    )


def workload_target(pod: Pod, container: str | None = None) -> dict[str, str]:
    return pod.target(container)
