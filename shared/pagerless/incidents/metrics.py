"""Incident counters on the /metrics registry (per process; CloudWatch gets EMF elsewhere)."""

from pagerless.prometheus import REGISTRY


def acknowledged(seconds: float) -> None:
    REGISTRY.inc("incidents_acknowledged", help_text="Incidents acknowledged by a person.")
    REGISTRY.inc("time_to_acknowledge_seconds_sum", value=seconds, help_text="Seconds from creation to acknowledgement, summed.")
