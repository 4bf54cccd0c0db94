"""The one place that builds the Powertools Logger and (opt-in) Tracer, and writes CloudWatch metrics (`count`)."""

import functools
import threading
from functools import cache

from aws_lambda_powertools import Logger

from pagerless import clock, settings


@cache
def logger() -> Logger:
    return Logger(service=settings.observability().powertools_service_name)


def count(name: str) -> None:
    """Write one count of ``name`` to CloudWatch now: one EMF line of the metrics namespace, without dimensions, so
    an alarm can watch it. Never buffered: Powertools' ``Metrics`` writes only when a handler wrapped in
    ``log_metrics`` returns (none is) or 100 values are held, so a count added there waited for 99 more. The metrics template.yaml's alarms watch
    are written here (tests/unit/test_operator_alarms.py keeps the two lists one).

    The line goes to standard output, where Lambda hands it to CloudWatch, unless PAGERLESS_METRICS_FILE names a file:
    then it is appended there (`pagerless dev` keeps them in its state directory, not among its console's lines)."""
    import json

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.metrics.base import SingleMetric

    try:
        metric = SingleMetric(namespace=settings.observability().pagerless_metrics_namespace)
        metric.add_metric(name=name, unit=MetricUnit.Count, value=1)
        line = json.dumps(metric.serialize_metric_set(), separators=(",", ":"))
        target = settings.observability().pagerless_metrics_file
        if target:
            with _metrics_file_lock, open(target, "a", encoding="utf-8") as out:
                out.write(line + "\n")
        else:
            print(line, flush=True)  # what Powertools' single_metric prints
    except Exception:  # noqa: BLE001 — a metric never fails the work it counts
        logger().warning("metric not written", extra={"metric": name}, exc_info=True)


_metrics_file_lock = threading.Lock()  # `pagerless dev` runs every function in one process, on many threads


@cache
def tracer():
    """The Powertools Tracer, or None unless PAGERLESS_TRACING is on (it costs ~0.5 s to import)."""
    if not settings.observability().pagerless_tracing:
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=settings.observability().powertools_service_name)


_warm: set[str] = set()


def lambda_context(handler):
    """Powertools' ``inject_lambda_context``, with the keys kept in this invocation's context.

    The keys (function name, request id, cold start, and what ``append_invocation_keys`` adds) live
    in a ContextVar, not on the process-wide logger: under ``pagerless dev`` every function runs in
    one process, on many threads, and a shared logger state would put one function's keys on
    another's lines.
    """

    @functools.wraps(handler)
    def invoke(event, context, *args, **kwargs):
        log = logger()
        name = getattr(context, "function_name", None) or handler.__module__
        log.thread_safe_clear_keys()
        log.thread_safe_append_keys(
            function_name=name,
            function_request_id=getattr(context, "aws_request_id", None),
            cold_start=name not in _warm,
        )
        _warm.add(name)
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        try:
            with clock.invocation(remaining() / 1000 if remaining else None):
                return handler(event, context, *args, **kwargs)
        finally:
            log.thread_safe_clear_keys()

    return invoke


def append_invocation_keys(**keys) -> None:
    """Keys for the rest of this invocation's (or request's) log lines only."""
    logger().thread_safe_append_keys(**keys)
