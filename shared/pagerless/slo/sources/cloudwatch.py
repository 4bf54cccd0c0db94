"""CloudWatch SLIs: GetMetricData with a 300-second period, one metric per series.

``spec``: ``namespace``, ``metricName``, ``dimensions`` (``[{name, value}]``), ``stat``
(default ``Sum``), ``region`` (default ``PAGERLESS_SLO_CLOUDWATCH_REGION`` or the function's).
CloudWatch stamps each period with its start, which is the bucket's start.
"""

from datetime import UTC, datetime
from typing import Any

from pagerless.domain.errors import ServiceUnavailableError, ValidationError
from pagerless.slo.config import slo_settings

PERIOD_SECONDS = 300


def metric_query(spec: dict[str, Any]) -> dict:
    dimensions = spec.get("dimensions") or []
    if not isinstance(dimensions, list) or not all(
        isinstance(d, dict) and "name" in d and "value" in d for d in dimensions
    ):
        raise ValidationError("CloudWatch dimensions are a list of {name, value}")
    return {
        "Id": "sli",
        "MetricStat": {
            "Metric": {
                "Namespace": str(spec["namespace"]),
                "MetricName": str(spec["metricName"]),
                "Dimensions": [{"Name": str(d["name"]), "Value": str(d["value"])} for d in dimensions],
            },
            "Period": PERIOD_SECONDS,
            "Stat": str(spec.get("stat") or "Sum"),
        },
        "ReturnData": True,
    }


def read(
    spec: dict[str, Any], start: datetime, end: datetime, context: Any = None, *, client=None
) -> dict[datetime, float]:
    from botocore.exceptions import BotoCoreError, ClientError

    from pagerless import aws

    region = spec.get("region") or slo_settings().cloudwatch_region
    client = client or aws.client("cloudwatch", **({"region_name": region} if region else {}))
    request = {
        "MetricDataQueries": [metric_query(spec)],
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    values: dict[datetime, float] = {}
    try:
        while True:
            page = client.get_metric_data(**request)
            for result in page.get("MetricDataResults", []):
                for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                    values[stamp.astimezone(UTC)] = values.get(stamp.astimezone(UTC), 0.0) + float(value)
            token = page.get("NextToken")
            if not token:
                return values
            request["NextToken"] = token
    except (ClientError, BotoCoreError) as exc:
        raise ServiceUnavailableError("CloudWatch GetMetricData failed") from exc
