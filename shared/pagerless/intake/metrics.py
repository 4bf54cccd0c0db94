"""Intake counters on the /metrics registry (per process), and the CloudWatch metric of a dead letter."""

from pagerless.observability import count
from pagerless.prometheus import REGISTRY


def alert_received(source: str, status: str, count: int = 1) -> None:
    REGISTRY.inc(
        "alerts_received",
        {"source": source, "status": status},
        count,
        help_text="Alerts received, by source and status.",
    )


def deduplicated(source: str, count: int = 1) -> None:
    REGISTRY.inc("alerts_deduplicated", {"source": source}, count, help_text="Alerts folded into an open incident.")


def late_resolve(source: str) -> None:
    REGISTRY.inc(
        "alerts_late_resolve",
        {"source": source},
        help_text="Resolves of an episode before the one firing (ignored: the alert fired again since).",
    )


def late_firing(source: str) -> None:
    REGISTRY.inc(
        "alerts_late_firing",
        {"source": source},
        help_text="Firings of an episode their source had resolved already (ignored: not a re-fire).",
    )


def queued(reason: str) -> None:
    REGISTRY.inc("alerts_queued", {"reason": reason}, help_text="Webhook payloads queued for later processing.")


def dead_lettered(reason: str) -> None:
    REGISTRY.inc("alerts_dead_lettered", {"reason": reason}, help_text="Payloads moved to the dead-letter store.")
    count("DeadLettered")  # the DeadLettersAlarm of template.yaml


def refused_by_scope(count: int) -> None:
    REGISTRY.inc(
        "alerts_refused",
        {"reason": "key_scope"},
        count,
        help_text="Alerts refused because they are outside the sending key's scope (sources, services).",
    )
