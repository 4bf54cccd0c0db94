"""SLI sources, registered explicitly: each turns a metricSource into per-bucket values.

A reader is ``read(spec, start, end, context) -> dict[datetime, float]``: the value of each
5-minute bucket ``[t, t + 5m)`` with ``start <= t < end``; buckets it has no data for are absent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from pagerless.slo.budget import BUCKET, Bucket
from pagerless.slo.sources import cloudwatch, pagerless_incidents, prometheus
from pagerless.slo.spec import MetricSource, SloDocument, SourceType


@dataclass(frozen=True)
class ReadContext:
    workspace: str
    service: str
    now: datetime


Reader = Callable[[dict[str, Any], datetime, datetime, ReadContext], dict[datetime, float]]

READERS: MappingProxyType[SourceType, Reader] = MappingProxyType(
    {
        SourceType.PROMETHEUS: prometheus.read,
        SourceType.CLOUDWATCH: cloudwatch.read,
        SourceType.PAGERLESS: pagerless_incidents.read,
    }
)


def read_metric(source: MetricSource, start: datetime, end: datetime, context: ReadContext) -> dict[datetime, float]:
    return READERS[source.type](source.spec, start, end, context)


def read_buckets(slo: SloDocument, start: datetime, end: datetime, context: ReadContext) -> list[Bucket]:
    """Good/total buckets of ``slo`` in ``[start, end)``; a bucket without a total is left out."""
    ratio = slo.ratio
    totals = read_metric(ratio.total.metric_source, start, end, context)
    part = ratio.good or ratio.bad
    values = read_metric(part.metric_source, start, end, context)
    buckets = []
    moment = start
    while moment < end:
        total = totals.get(moment)
        if total is not None:
            total_f = Fraction(total)
            value = Fraction(values.get(moment, 0.0))
            good = value if ratio.good is not None else total_f - value
            buckets.append(Bucket(moment, min(max(good, Fraction(0)), total_f), total_f))
        moment += BUCKET
    return buckets
