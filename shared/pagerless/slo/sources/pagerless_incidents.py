"""Pagerless's own SLI: the service's incident downtime, in minutes per 5-minute bucket.

``spec.kind``: ``downtime`` (minutes of the bucket covered by an incident of the service with one of
``spec.severities``, default critical and high; overlapping incidents count once), ``uptime``
(5 minus that) or ``minutes`` (5 per bucket: the total). An incident is down from its first alert
(``first_seen``) until it resolves (or now, while open); a reopened incident only in its open periods, not
while it sat resolved before a reopen (`store.slos.service_incident_spans`). An incident opened by an SLO's
burn alert is not downtime (`domain.incidents.is_slo_burn`): it is the effect of the downtime that burns.
"""

from datetime import datetime, timedelta
from typing import Any

from pagerless.slo.budget import BUCKET

DEFAULT_SEVERITIES = ("critical", "high")


def downtime_intervals(
    incidents: list[tuple[datetime, datetime | None]], now: datetime
) -> list[tuple[datetime, datetime]]:
    """Merged [start, end) intervals; an open incident lasts until ``now``."""
    spans = sorted((start, end or now) for start, end in incidents if (end or now) > start)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def bucket_minutes(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> dict[datetime, float]:
    values: dict[datetime, float] = {}
    moment = start
    while moment < end:
        stop = moment + BUCKET
        covered = sum(max(timedelta(0), min(stop, e) - max(moment, s)).total_seconds() for s, e in intervals)
        values[moment] = covered / 60
        moment = stop
    return values


def read(spec: dict[str, Any], start: datetime, end: datetime, context: Any) -> dict[datetime, float]:
    kind = spec.get("kind", "downtime")
    if kind == "minutes":
        return bucket_minutes([(start, end)], start, end)
    from pagerless.store.slos import service_incident_spans

    severities = tuple(spec.get("severities") or DEFAULT_SEVERITIES)
    spans = service_incident_spans(context.workspace, context.service, severities, start, end)
    down = bucket_minutes(downtime_intervals(spans, context.now), start, end)
    if kind == "uptime":
        return {moment: 5.0 - minutes for moment, minutes in down.items()}
    return down
