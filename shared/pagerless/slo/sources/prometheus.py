"""Prometheus SLIs: PromQL over the HTTP API (``/api/v1/query_range``), one range query per series.

``spec.query`` is a counter selector (``http_requests_total{job="api",code=~"5.."}``), read as
``sum(increase(<query>[5m]))``; a query containing ``{{window}}`` is used as written with the
window substituted. The value at ``t + 5m`` is the bucket ``[t, t + 5m)``.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pagerless.clock import parse_time
from pagerless.domain.errors import ServiceUnavailableError, ValidationError
from pagerless.slo.config import slo_settings
from pagerless.slo.spec import PROMETHEUS_QUERY_SHAPE, is_prometheus_query

if TYPE_CHECKING:
    import httpx

STEP_SECONDS = 300
MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series


def promql(query: str) -> str:
    """The bucket expression: a selector wrapped in ``sum(increase(...[5m]))``, or ``{{window}}`` substituted."""
    query = query.strip()
    if "{{window}}" in query:
        return query.replace("{{window}}", "5m")
    if not is_prometheus_query(query):
        raise ValidationError(PROMETHEUS_QUERY_SHAPE, details=[{"query": query}])
    return f"sum(increase({query}[5m]))"


def read(spec: dict[str, Any], start: datetime, end: datetime, context: Any = None) -> dict[datetime, float]:
    base = spec.get("url") or slo_settings().prometheus_url
    if not base:
        raise ValidationError("no Prometheus URL: set the metricSource's spec.url or PAGERLESS_SLO_PROMETHEUS_URL")
    expression = promql(str(spec["query"]))
    values: dict[datetime, float] = {}
    chunk = timedelta(seconds=STEP_SECONDS * MAX_POINTS)
    cursor = start
    import httpx  # imported when Prometheus is read: the SLO function's other routes do not pay for it

    with httpx.Client(base_url=str(base).rstrip("/"), timeout=slo_settings().prometheus_timeout_seconds) as client:
        while cursor < end:
            stop = min(cursor + chunk, end)
            values.update(_range(client, expression, cursor, stop))
            cursor = stop
    return values


def _range(client: "httpx.Client", expression: str, start: datetime, end: datetime) -> dict[datetime, float]:
    first = start + timedelta(seconds=STEP_SECONDS)
    params = {
        "query": expression,
        "start": f"{first.timestamp():.0f}",
        "end": f"{end.timestamp():.0f}",
        "step": str(STEP_SECONDS),
    }
    import httpx

    try:
        response = client.get("/api/v1/query_range", params=params)
    except httpx.HTTPError as exc:
        raise ServiceUnavailableError("Prometheus could not be reached") from exc
    body = _json(response)
    if response.status_code == 400 or body.get("errorType") == "bad_data":
        raise ValidationError(
            "Prometheus rejected the query", details=[{"query": expression, "error": body.get("error")}]
        )
    if response.status_code != 200 or body.get("status") != "success":
        raise ServiceUnavailableError(
            "Prometheus answered with an error", details=[{"status": response.status_code, "error": body.get("error")}]
        )
    values: dict[datetime, float] = {}
    for series in body.get("data", {}).get("result", []):
        for stamp, value in series.get("values", []):
            moment = parse_time(stamp)
            if moment is None:  # an unreadable sample time: skip the sample, keep the rest
                continue
            bucket = moment - timedelta(seconds=STEP_SECONDS)
            number = float(value)
            if number == number:  # NaN: no data in that bucket
                values[bucket] = values.get(bucket, 0.0) + number
    return values


def _json(response: "httpx.Response") -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
