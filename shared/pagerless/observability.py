"""The one place that builds the Powertools Logger, Metrics and (opt-in) Tracer."""

from functools import cache

from aws_lambda_powertools import Logger, Metrics

from pagerless import settings


@cache
def logger() -> Logger:
    return Logger(service=settings.observability().powertools_service_name)


@cache
def metrics() -> Metrics:
    return Metrics(namespace=settings.observability().pagerless_metrics_namespace)


@cache
def tracer():
    """The Powertools Tracer, or None unless PAGERLESS_TRACING is on (it costs ~0.5 s to import)."""
    if not settings.observability().pagerless_tracing:
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=settings.observability().powertools_service_name)
