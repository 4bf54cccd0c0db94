"""Amazon EventBridge events: CloudWatch Alarm State Change, and any other event.

An alarm state change becomes the same Alert a CloudWatch alarm via SNS would (source
"cloudwatch", fingerprint = the alarm ARN), so both delivery routes dedup together.
Any other event (EC2 state change, …) becomes an info alert whose source is the event's own
`source` ("aws.ec2"), titled by its `detail-type`; since the envelope `id` is new on every
event, the fingerprint comes from the source, detail-type and resources instead.
Accepts one event, a list of events, or an SQS event whose bodies are events.
"""

from collections.abc import Mapping
from typing import Any

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import Severity
from pagerless.intake.sources import cloudwatch
from pagerless.intake.sources._common import (
    first_text,
    load_json,
    optional_dict,
    optional_list,
    require_dict,
    require_list,
    scalar_text,
    text,
)

SOURCE = "eventbridge"

ALARM_DETAIL_TYPE = "CloudWatch Alarm State Change"

# `detail.state.value` → status; INSUFFICIENT_DATA is read with `detail.previousState.value`
# (`cloudwatch.alarm_status`: after ALARM an update saying the metric stopped reporting, else nothing).
STATE_MAP: dict[str, AlertStatus | None] = cloudwatch.STATE_MAP

# Severity of events no rule maps: they are facts worth recording, not pages.
UNMAPPED_EVENT_SEVERITY = Severity.INFO


def normalize(payload: dict | list | str) -> list[Alert]:
    """Alerts from EventBridge events (alone, in a list, or in an SQS event)."""
    body = load_json(payload, SOURCE)
    alerts = []
    for event in _events(body):
        alert = event_to_alert(event)
        if alert is not None:
            alerts.append(alert)
    return alerts


def event_to_alert(event: Mapping[str, Any]) -> Alert | None:
    """One Alert from one EventBridge event, or None for an INSUFFICIENT_DATA alarm but after ALARM."""
    detail_type = text(event.get("detail-type"))
    event_source = text(event.get("source"))
    if detail_type is None or event_source is None:
        raise ValidationError(f"{SOURCE} event needs 'source' and 'detail-type'")
    if detail_type == ALARM_DETAIL_TYPE and event_source == "aws.cloudwatch":
        return _alarm(event)
    return _generic_event(event, event_source, detail_type)


def _alarm(event: Mapping[str, Any]) -> Alert | None:
    detail = optional_dict(event.get("detail"), f"{SOURCE} 'detail'")
    state = optional_dict(detail.get("state"), f"{SOURCE} 'detail.state'")
    previous = optional_dict(detail.get("previousState"), f"{SOURCE} 'detail.previousState'")
    transition = cloudwatch.alarm_status((text(state.get("value")) or "").upper(), previous.get("value"), SOURCE)
    if transition is None:
        return None
    status, no_data = transition
    name = text(detail.get("alarmName"))
    if name is None:
        raise ValidationError(f"{SOURCE} alarm event has no 'detail.alarmName'")
    resources = _resources(event)
    account = text(event.get("account"))
    region = cloudwatch.region_code(*resources[:1], event.get("region"))
    configuration = optional_dict(detail.get("configuration"), f"{SOURCE} 'detail.configuration'")
    metrics = _metrics(configuration)
    service, namespace, pod, context_labels = cloudwatch.kubernetes_context(metrics)
    service = service or cloudwatch.aws_service(metrics)
    labels = {
        key: value
        for key, value in {
            "alarm_name": name,
            "aws_account": account,
            "aws_region": region,
            "previous_state": text(previous.get("value")),
            **cloudwatch.metric_labels(metrics),
            **context_labels,
        }.items()
        if value
    }
    changed_at = parse_time(first_text(state.get("timestamp"), event.get("time")))
    description = "\n".join(
        part for part in (text(configuration.get("description")), text(state.get("reason"))) if part
    )
    return Alert(
        source=cloudwatch.SOURCE,
        fingerprint=cloudwatch.alarm_fingerprint(resources[0] if resources else None, name, account, region, None),
        status=status,
        severity=cloudwatch.severity_from_name(name),
        title=name,
        description=description,
        service=service,
        namespace=namespace,
        pod=pod,
        labels=labels,
        starts_at=changed_at if status is AlertStatus.FIRING and not no_data else None,
        ends_at=changed_at if status is AlertStatus.RESOLVED else None,
        url=cloudwatch.console_url(region, name),
        update_only=no_data,
        no_data=no_data,
    )


def _generic_event(event: Mapping[str, Any], event_source: str, detail_type: str) -> Alert:
    resources = _resources(event)
    detail = event.get("detail")
    detail_fields = detail if isinstance(detail, Mapping) else {}
    labels = {
        key: value
        for key, value in {
            "detail_type": detail_type,
            "aws_account": text(event.get("account")),
            "aws_region": text(event.get("region")),
            **{str(k): scalar_text(v) for k, v in detail_fields.items() if isinstance(v, str | int | float)},
        }.items()
        if value
    }
    stable_parts = resources or [text(event.get("account")), text(event.get("region"))]
    return Alert(
        source=event_source,
        fingerprint=make_fingerprint(event_source, detail_type, *sorted(p for p in stable_parts if p)),
        status=AlertStatus.FIRING,
        severity=UNMAPPED_EVENT_SEVERITY,
        title=detail_type,
        description=scalar_text(detail) if detail is not None else "",
        labels=labels,
        annotations={"resources": ", ".join(resources)} if resources else {},
        starts_at=parse_time(event.get("time")),
    )


def _events(body: Any) -> list[Mapping[str, Any]]:
    if isinstance(body, list):
        return [require_dict(item, f"{SOURCE} payload[{i}]") for i, item in enumerate(body)]
    body = require_dict(body, f"{SOURCE} payload")
    if "Records" not in body:
        return [body]
    events = []
    for index, raw in enumerate(require_list(body["Records"], f"{SOURCE} 'Records'")):
        record = require_dict(raw, f"{SOURCE} Records[{index}]")
        inner = load_json(record.get("body"), f"{SOURCE} Records[{index}].body")
        events.append(require_dict(inner, f"{SOURCE} Records[{index}].body"))
    return events


def _resources(event: Mapping[str, Any]) -> list[str]:
    return [r for r in (text(item) for item in optional_list(event.get("resources"), f"{SOURCE} 'resources'")) if r]


def _metrics(configuration: Mapping[str, Any]) -> list[tuple[str | None, str | None, dict[str, str]]]:
    """(metric namespace, name, dimensions) of each metric; EventBridge gives dimensions as a dict."""
    metrics = []
    for raw in optional_list(configuration.get("metrics"), f"{SOURCE} 'configuration.metrics'"):
        stat = optional_dict(optional_dict(raw, f"{SOURCE} 'metrics[]'").get("metricStat"), f"{SOURCE} 'metricStat'")
        metric = optional_dict(stat.get("metric"), f"{SOURCE} 'metricStat.metric'")
        if metric:
            dimensions = {
                str(k): scalar_text(v)
                for k, v in optional_dict(metric.get("dimensions"), f"{SOURCE} 'dimensions'").items()
                if v is not None
            }
            metrics.append((text(metric.get("namespace")), text(metric.get("name")), dimensions))
    return metrics
