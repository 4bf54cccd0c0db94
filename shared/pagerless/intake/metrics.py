"""Intake counters on the /metrics registry (per process; CloudWatch gets EMF elsewhere)."""

from pagerless.prometheus import REGISTRY


def alert_received(source: str, status: str) -> None:
    REGISTRY.inc("alerts_received", {"source": source, "status": status}, help_text="Alerts received, by source and status.")


def incident_created(source: str, correlated: bool) -> None:
    REGISTRY.inc("incidents_created", {"source": source, "correlated": str(correlated).lower()},
                 help_text="Incidents opened by alerts.")


def deduplicated(source: str) -> None:
    REGISTRY.inc("alerts_deduplicated", {"source": source}, help_text="Alerts folded into an open incident.")


def reopened(source: str) -> None:
    REGISTRY.inc("incidents_reopened", {"source": source}, help_text="Resolved incidents reopened by a re-firing alert.")


def resolved_by_source(source: str) -> None:
    REGISTRY.inc("incidents_resolved_by_source", {"source": source}, help_text="Incidents resolved when their alerts resolved.")


def queued(reason: str) -> None:
    REGISTRY.inc("alerts_queued", {"reason": reason}, help_text="Webhook payloads queued for later processing.")


def dead_lettered(reason: str) -> None:
    REGISTRY.inc("alerts_dead_lettered", {"reason": reason}, help_text="Payloads moved to the dead-letter store.")
