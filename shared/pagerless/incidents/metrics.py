"""Incident counters on the /metrics registry (per process; CloudWatch gets EMF elsewhere)."""

from pagerless.prometheus import REGISTRY


def incident_created(source: str, correlated: bool) -> None:
    REGISTRY.inc(
        "incidents_created",
        {"source": source, "correlated": str(correlated).lower()},
        help_text="Incidents opened by alerts.",
    )


def reopened(source: str) -> None:
    REGISTRY.inc(
        "incidents_reopened", {"source": source}, help_text="Resolved incidents reopened by a re-firing alert."
    )


def resolved_by_source(source: str) -> None:
    REGISTRY.inc(
        "incidents_resolved_by_source", {"source": source}, help_text="Incidents resolved when their alerts resolved."
    )


def acknowledged(seconds: float) -> None:
    REGISTRY.inc("incidents_acknowledged", help_text="Incidents acknowledged by a person.")
    REGISTRY.inc(
        "time_to_acknowledge_seconds_sum",
        value=seconds,
        help_text="Seconds from opening (or the last reopen) to acknowledgement, summed.",
    )


def notification_not_queued() -> None:
    REGISTRY.inc(
        "notifications_not_queued",
        help_text="Notices about an incident that could not be put on NotifyQueue (notification_not_queued).",
    )
