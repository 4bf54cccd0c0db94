"""CloudWatch alarms delivered through SNS.

Accepted envelopes: the SNS HTTP(S) subscription body (`Type: Notification`, the alarm as a
JSON string in `Message`), the Lambda SNS event (`Records[].Sns`), the SQS event of an SNS→SQS
subscription (`Records[].body` is the SNS JSON string, whose `Message` is the alarm JSON
string) or of a raw-delivery subscription (`body` is the alarm), and a bare alarm object.

ALARM fires, OK resolves. INSUFFICIENT_DATA after ALARM means the metric stopped reporting: the
problem is not known to be over, so it is an update of the firing alert (`Alert.no_data`: its
incident stays open and says so); after OK (or at creation) it is no problem and gives no alert.
`Trigger.Namespace` is an AWS metric namespace (AWS/Lambda, ContainerInsights), never a
Kubernetes namespace: namespace and pod come only from Container Insights dimensions. The service
is the watched resource, from the dimensions (`AWS_SERVICE_DIMENSIONS`: FunctionName, QueueName…).
SNS confirmations are not alerts: see `sns_message_type`. An EventBridge event in an SNS message
(an EventBridge rule whose target is the topic) is read by the EventBridge reader.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import Severity, parse_severity
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

SOURCE = "cloudwatch"

# `NewStateValue` → status; None: read with the state before it (`alarm_status`).
STATE_MAP: dict[str, AlertStatus | None] = {
    "ALARM": AlertStatus.FIRING,
    "OK": AlertStatus.RESOLVED,
    "INSUFFICIENT_DATA": None,
}

# Alarms carry no severity. Teams often put one in the alarm name ("checkout-5xx-critical",
# "P2-db-lag"); only these unambiguous words count ("high" in "cpu-high" is not a severity).
SEVERITY_WORDS_IN_NAME = frozenset(
    {"critical", "crit", "warning", "warn", "p0", "p1", "p2", "p3", "p4", "p5", "sev0", "sev1", "sev2", "sev3"}
)

# Container Insights dimensions → Alert fields (EKS and ECS names).
CONTAINER_INSIGHTS_NAMESPACE_DIMENSIONS = ("Namespace",)
CONTAINER_INSIGHTS_POD_DIMENSIONS = ("FullPodName", "PodName")
CONTAINER_INSIGHTS_SERVICE_DIMENSIONS = ("Service", "ServiceName")

# Dimensions that name the AWS resource an alarm watches, most specific first: the service of an
# alarm that is not about Kubernetes. (ClusterName comes after ServiceName: an ECS service
# alarm has both, and names the service.)
AWS_SERVICE_DIMENSIONS = (
    "FunctionName",
    "ServiceName",
    "Service",
    "DBInstanceIdentifier",
    "DBClusterIdentifier",
    "QueueName",
    "TableName",
    "LoadBalancer",
    "TargetGroup",
    "ApiName",
    "ApiId",
    "StateMachineArn",
    "StreamName",
    "DeliveryStreamName",
    "TopicName",
    "BucketName",
    "CacheClusterId",
    "ReplicationGroupId",
    "DomainName",
    "CacheName",
    "BrokerName",
    "Cluster Name",
    "PodName",
    "AutoScalingGroupName",
    "InstanceId",
    "ClusterName",
)

SNS_MESSAGE_TYPES = frozenset({"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"})

# SNS puts the region's display name in the alarm's `Region`.
REGION_CODES: dict[str, str] = {
    "US East (N. Virginia)": "us-east-1",
    "US East (Ohio)": "us-east-2",
    "US West (N. California)": "us-west-1",
    "US West (Oregon)": "us-west-2",
    "Africa (Cape Town)": "af-south-1",
    "Asia Pacific (Hong Kong)": "ap-east-1",
    "Asia Pacific (Mumbai)": "ap-south-1",
    "Asia Pacific (Tokyo)": "ap-northeast-1",
    "Asia Pacific (Seoul)": "ap-northeast-2",
    "Asia Pacific (Osaka)": "ap-northeast-3",
    "Asia Pacific (Singapore)": "ap-southeast-1",
    "Asia Pacific (Sydney)": "ap-southeast-2",
    "Canada (Central)": "ca-central-1",
    "China (Beijing)": "cn-north-1",
    "China (Ningxia)": "cn-northwest-1",
    "EU (Frankfurt)": "eu-central-1",
    "EU (Ireland)": "eu-west-1",
    "EU (London)": "eu-west-2",
    "EU (Paris)": "eu-west-3",
    "EU (Stockholm)": "eu-north-1",
    "EU (Milan)": "eu-south-1",
    "Middle East (Bahrain)": "me-south-1",
    "South America (Sao Paulo)": "sa-east-1",
}

_NUMBERED_SEVERITY = re.compile(r"(?<![a-z0-9])(?:sev|p)[-_ ]?[0-5](?![a-z0-9])")
_REGION_CODE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ARN = re.compile(r"^arn:(?P<partition>[a-z-]+):(?P<service>[a-z0-9-]+):(?P<region>[^:]*):(?P<account>[^:]*):")


def normalize(payload: dict | list | str) -> list[Alert]:
    """Alerts from CloudWatch alarm notifications in any SNS/SQS/Lambda envelope."""
    body = load_json(payload, SOURCE)
    alerts = []
    for message, topic_arn in _alarms(body):
        if is_eventbridge_event(message):
            # an EventBridge rule's SNS target: read as EventBridge itself would be (imported
            # here: the EventBridge reader builds on this module)
            from pagerless.intake.sources import eventbridge

            alert = eventbridge.event_to_alert(message)
        else:
            alert = alarm_to_alert(message, topic_arn=topic_arn)
        if alert is not None:
            alerts.append(alert)
    return alerts


def is_eventbridge_event(message: Mapping[str, Any]) -> bool:
    """Whether an SNS message is an EventBridge event (an EventBridge rule targets the topic)."""
    return "AlarmName" not in message and "detail-type" in message and "source" in message


def sns_message_type(payload: Any) -> str | None:
    """The SNS `Type` of an HTTP(S) subscription body, or None when it is not an SNS message.

    "Notification" carries an alert; "SubscriptionConfirmation" and "UnsubscribeConfirmation"
    must be handled by the endpoint (confirm via `SubscribeURL`), never normalized. Never raises.
    """
    try:
        body = load_json(payload, SOURCE)
    except ValidationError:
        return None
    if not isinstance(body, Mapping):
        return None
    message_type = body.get("Type")
    return message_type if isinstance(message_type, str) and message_type in SNS_MESSAGE_TYPES else None


def alarm_status(state: str, previous: Any, what: str) -> tuple[AlertStatus, bool] | None:
    """(status, no data) of an alarm moving from ``previous`` to ``state``; None: no alert.

    INSUFFICIENT_DATA after ALARM: the metric stopped reporting and the problem is not known to be
    over, so the alert still fires, as an update that says it has no data. After OK, or with no
    state before it, it is no problem."""
    if state not in STATE_MAP:
        raise ValidationError(f"{what} alarm has unknown state {state!r}")
    status = STATE_MAP[state]
    if status is not None:
        return status, False
    if (text(previous) or "").upper() == "ALARM":
        return AlertStatus.FIRING, True
    return None


def alarm_to_alert(alarm: Mapping[str, Any], *, topic_arn: str | None = None) -> Alert | None:
    """One Alert from a CloudWatch alarm message, or None (INSUFFICIENT_DATA but after ALARM)."""
    state = (text(alarm.get("NewStateValue")) or "").upper()
    transition = alarm_status(state, alarm.get("OldStateValue"), SOURCE)
    if transition is None:
        return None
    status, no_data = transition
    name = text(alarm.get("AlarmName"))
    if name is None:
        raise ValidationError(f"{SOURCE} alarm has no 'AlarmName'")
    account = text(alarm.get("AWSAccountId"))
    region = region_code(alarm.get("AlarmArn"), topic_arn, alarm.get("Region"))
    metrics = _trigger_metrics(optional_dict(alarm.get("Trigger"), f"{SOURCE} 'Trigger'"))
    service, namespace, pod, context_labels = kubernetes_context(metrics)
    service = service or aws_service(metrics)
    labels = {
        key: value
        for key, value in {
            "alarm_name": name,
            "aws_account": account,
            "aws_region": region or text(alarm.get("Region")),
            "previous_state": text(alarm.get("OldStateValue")),
            **metric_labels(metrics),
            **context_labels,
        }.items()
        if value
    }
    changed_at = parse_time(alarm.get("StateChangeTime"))
    description = "\n".join(
        part for part in (text(alarm.get("AlarmDescription")), text(alarm.get("NewStateReason"))) if part
    )
    return Alert(
        source=SOURCE,
        fingerprint=alarm_fingerprint(alarm.get("AlarmArn"), name, account, region, topic_arn, alarm.get("Region")),
        status=status,
        severity=severity_from_name(name),
        title=name,
        description=description,
        service=service,
        namespace=namespace,
        pod=pod,
        labels=labels,
        starts_at=changed_at if status is AlertStatus.FIRING and not no_data else None,
        ends_at=changed_at if status is AlertStatus.RESOLVED else None,
        url=console_url(region, name),
        update_only=no_data,
        no_data=no_data,
    )


def alarm_fingerprint(
    alarm_arn: Any, name: str, account: str | None, region: str | None, topic_arn: str | None, region_name: Any = None
) -> str:
    """The alarm ARN; for old messages without one, the ARN rebuilt from account+region+name."""
    arn = text(alarm_arn)
    if arn:
        return arn
    if account and region:
        partition = _arn_part(topic_arn, "partition") or "aws"
        return f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"
    return make_fingerprint(SOURCE, account, text(region_name), name)


def region_code(*candidates: Any) -> str | None:
    """The first AWS region code found in ARNs or a region display name ("EU (Ireland)")."""
    for candidate in candidates:
        value = text(candidate)
        if not value:
            continue
        region = _arn_part(value, "region") if value.startswith("arn:") else REGION_CODES.get(value, value)
        if region and _REGION_CODE.match(region):
            return region
    return None


def severity_from_name(name: str) -> Severity:
    """A severity word in the alarm name ("…-critical", "P2-…"), else warning."""
    lowered = name.lower()
    numbered = _NUMBERED_SEVERITY.search(lowered)
    if numbered:
        return parse_severity(numbered[0])
    for token in re.split(r"[^a-z0-9]+", lowered):
        if token in SEVERITY_WORDS_IN_NAME:
            return parse_severity(token)
    return Severity.WARNING


def kubernetes_context(
    metrics: list[tuple[str | None, str | None, dict[str, str]]],
) -> tuple[str | None, str | None, str | None, dict[str, str]]:
    """(service, namespace, pod, extra labels) from Container Insights metrics only.

    Any other metric namespace (AWS/EC2, AWS/Lambda…) says nothing about Kubernetes.
    """
    for metric_namespace, _, dimensions in metrics:
        if not (metric_namespace or "").startswith("ContainerInsights"):
            continue
        cluster = dimensions.get("ClusterName")
        return (
            first_text(*(dimensions.get(d) for d in CONTAINER_INSIGHTS_SERVICE_DIMENSIONS)),
            first_text(*(dimensions.get(d) for d in CONTAINER_INSIGHTS_NAMESPACE_DIMENSIONS)),
            first_text(*(dimensions.get(d) for d in CONTAINER_INSIGHTS_POD_DIMENSIONS)),
            {"cluster": cluster} if cluster else {},
        )
    return None, None, None, {}


def aws_service(metrics: list[tuple[str | None, str | None, dict[str, str]]]) -> str | None:
    """The resource an alarm watches, from its dimensions (FunctionName, QueueName, LoadBalancer...).

    A load balancer or target group dimension ("app/checkout-alb/50dc6c495c0c9188") gives its
    name; an ARN gives its last part.
    """
    for name in AWS_SERVICE_DIMENSIONS:
        for _, _, dimensions in metrics:
            value = text(dimensions.get(name))
            if value:
                return _resource_name(name, value)
    return None


def _resource_name(dimension: str, value: str) -> str:
    if dimension in ("LoadBalancer", "TargetGroup"):
        parts = value.split("/")
        return parts[1] if len(parts) >= 3 else parts[-1]
    if value.startswith("arn:"):
        return value.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return value


def metric_labels(metrics: list[tuple[str | None, str | None, dict[str, str]]]) -> dict[str, str]:
    """Labels describing the alarm's metrics; dimension names keep AWS's CamelCase."""
    labels: dict[str, str] = {}
    for metric_namespace, metric_name, dimensions in metrics:
        if metric_namespace:
            labels.setdefault("metric_namespace", metric_namespace)
        if metric_name:
            labels.setdefault("metric_name", metric_name)
        for key, value in dimensions.items():
            labels.setdefault(f"dimension:{key}", value)
    return labels


def console_url(region: str | None, name: str) -> str | None:
    """The CloudWatch console page of an alarm, when the region is known."""
    if not region:
        return None
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{quote(name, safe='')}"
    )


def _alarms(body: Any) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    if isinstance(body, list):
        for index, item in enumerate(body):
            yield from _from_object(require_dict(item, f"{SOURCE} payload[{index}]"))
        return
    body = require_dict(body, f"{SOURCE} payload")
    if "Records" not in body:
        yield from _from_object(body)
        return
    for index, raw in enumerate(require_list(body["Records"], f"{SOURCE} 'Records'")):
        record = require_dict(raw, f"{SOURCE} Records[{index}]")
        if "Sns" in record:
            yield from _from_envelope(require_dict(record["Sns"], f"{SOURCE} Records[{index}].Sns"))
        elif "body" in record:
            inner = load_json(record["body"], f"{SOURCE} Records[{index}].body")
            yield from _from_object(require_dict(inner, f"{SOURCE} Records[{index}].body"))
        else:
            raise ValidationError(f"{SOURCE} Records[{index}] is neither an SNS nor an SQS record")


def _from_object(body: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    if "Type" in body and "Message" in body:
        yield from _from_envelope(body)
    elif "AlarmName" in body:
        yield body, None
    else:
        raise ValidationError(f"{SOURCE} payload is neither an SNS message nor a CloudWatch alarm")


def _from_envelope(envelope: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    if text(envelope.get("Type")) != "Notification":
        return  # confirmations are the endpoint's business, not alerts
    message = load_json(envelope.get("Message"), f"{SOURCE} SNS 'Message'")
    alarm = require_dict(message, f"{SOURCE} SNS 'Message'")
    if "AlarmName" not in alarm and not is_eventbridge_event(alarm):
        raise ValidationError(f"{SOURCE} SNS message is neither a CloudWatch alarm nor an EventBridge event")
    yield alarm, text(envelope.get("TopicArn"))


def _trigger_metrics(trigger: Mapping[str, Any]) -> list[tuple[str | None, str | None, dict[str, str]]]:
    """(metric namespace, metric name, dimensions) for a single-metric or metric-math alarm."""
    metrics = []
    if "MetricName" in trigger or "Namespace" in trigger:
        metrics.append(
            (text(trigger.get("Namespace")), text(trigger.get("MetricName")), _dimensions(trigger.get("Dimensions")))
        )
    for raw in optional_list(trigger.get("Metrics"), f"{SOURCE} 'Trigger.Metrics'"):
        stat = optional_dict(raw, f"{SOURCE} 'Trigger.Metrics[]'").get("MetricStat")
        metric = optional_dict(optional_dict(stat, f"{SOURCE} 'MetricStat'").get("Metric"), f"{SOURCE} 'Metric'")
        if metric:
            metrics.append(
                (text(metric.get("Namespace")), text(metric.get("MetricName")), _dimensions(metric.get("Dimensions")))
            )
    return metrics


def _dimensions(value: Any) -> dict[str, str]:
    """SNS alarms list dimensions as [{"name": …, "value": …}]."""
    result = {}
    for item in optional_list(value, f"{SOURCE} 'Dimensions'"):
        if isinstance(item, Mapping) and text(item.get("name")) and item.get("value") is not None:
            result[text(item.get("name"))] = scalar_text(item.get("value"))
    return result


def _arn_part(arn: str | None, part: str) -> str | None:
    match = _ARN.match(arn or "")
    return (match[part] or None) if match else None
