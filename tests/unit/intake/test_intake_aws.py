"""CloudWatch alarms through SNS/SQS/Lambda, and EventBridge events."""

import json

import pytest
from intake_fixtures import load_fixture

from pagerless.intake.sources import cloudwatch, eventbridge, normalize

ARN = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-errors"


def alarm(state="ALARM", **overrides):
    body = {
        "AlarmName": "orders-errors",
        "AlarmDescription": None,
        "AWSAccountId": "111122223333",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed",
        "StateChangeTime": "2024-05-14T08:21:40.118+0000",
        "Region": "EU (Ireland)",
        "AlarmArn": ARN,
        "OldStateValue": "OK",
        "Trigger": {
            "MetricName": "Errors",
            "Namespace": "AWS/Lambda",
            "Dimensions": [{"name": "FunctionName", "value": "orders"}],
        },
    }
    body.update(overrides)
    return body


def sns(message, message_type="Notification"):
    return {
        "Type": message_type,
        "MessageId": "m-1",
        "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ops",
        "Subject": "ALARM",
        "Message": json.dumps(message),
        "Timestamp": "2024-05-14T08:21:40.162Z",
        "SignatureVersion": "1",
        "Signature": "x",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/c.pem",
    }


def test_insufficient_data_gives_no_alert():
    # Given an alarm that went to INSUFFICIENT_DATA, in every envelope
    payloads = [
        alarm("INSUFFICIENT_DATA"),
        sns(alarm("INSUFFICIENT_DATA")),
        {"Records": [{"Sns": sns(alarm("INSUFFICIENT_DATA"))}]},
        {"Records": [{"body": json.dumps(sns(alarm("INSUFFICIENT_DATA")))}]},
    ]

    # When each is normalized
    results = [normalize("cloudwatch", payload) for payload in payloads]

    # Then nothing changes: no alert at all
    assert results == [[], [], [], []]


def test_insufficient_data_via_eventbridge_gives_no_alert():
    # Given an EventBridge alarm state change to INSUFFICIENT_DATA
    event = load_fixture("eventbridge/awsdocs_cloudwatch_alarm_state_change_metric_math.json")
    event = {**event, "detail": {**event["detail"], "state": {"value": "INSUFFICIENT_DATA"}}}

    # Then it gives no alert
    assert normalize("eventbridge", event) == []


def test_insufficient_data_after_alarm_is_an_update_of_the_firing_alert_saying_it_has_no_data():
    # Given an alarm in ALARM whose metric stopped reporting, by SNS and by EventBridge
    stopped = alarm("INSUFFICIENT_DATA", OldStateValue="ALARM", NewStateReason="Insufficient Data: 1 datapoint")
    event = load_fixture("eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json")
    detail = {**event["detail"], "state": {"value": "INSUFFICIENT_DATA"}, "previousState": {"value": "ALARM"}}

    # When each is normalized
    [by_sns] = normalize("cloudwatch", sns(stopped))
    [by_eventbridge] = normalize("eventbridge", {**event, "detail": detail})

    # Then it is the same alarm, still firing: an update that never opens an incident, saying it has no data
    [fired] = normalize("cloudwatch", sns(alarm("ALARM")))
    assert by_sns.fingerprint == fired.fingerprint and by_sns.status.value == "firing"
    assert by_sns.update_only and by_sns.no_data and "Insufficient Data" in by_sns.description
    assert by_sns.starts_at is None and by_sns.labels["previous_state"] == "ALARM"
    assert by_eventbridge.status.value == "firing" and by_eventbridge.update_only and by_eventbridge.no_data
    # And an ALARM is not an update
    assert not fired.update_only and not fired.no_data


@pytest.mark.parametrize("metric_namespace", ["AWS/Lambda", "AWS/EC2", "AWS/ApplicationELB"])
def test_aws_metric_namespace_is_not_a_kubernetes_namespace(metric_namespace):
    # Given an alarm on an AWS service metric, whose dimensions even include one named "Namespace"
    trigger = {
        "MetricName": "Errors",
        "Namespace": metric_namespace,
        "Dimensions": [{"name": "Namespace", "value": "not-k8s"}, {"name": "FunctionName", "value": "orders"}],
    }

    # When it is normalized
    [alert] = normalize("cloudwatch", alarm(Trigger=trigger))

    # Then no Kubernetes context is invented, the service is the watched function, and the metric
    # namespace is kept as a metric label
    assert (alert.namespace, alert.pod, alert.service) == (None, None, "orders")
    assert "namespace" not in alert.labels
    assert alert.labels["metric_namespace"] == metric_namespace


def test_container_insights_dimensions_give_the_kubernetes_context():
    # Given an EKS Container Insights alarm
    trigger = {
        "MetricName": "pod_cpu_utilization",
        "Namespace": "ContainerInsights",
        "Dimensions": [
            {"name": "ClusterName", "value": "prod-eu-1"},
            {"name": "Namespace", "value": "shop-prod"},
            {"name": "PodName", "value": "checkout"},
            {"name": "Service", "value": "checkout-svc"},
        ],
    }

    # When it is normalized
    [alert] = normalize("cloudwatch", alarm(Trigger=trigger))

    # Then namespace, pod, service and cluster come from the dimensions
    assert (alert.namespace, alert.pod, alert.service) == ("shop-prod", "checkout", "checkout-svc")
    assert alert.labels["cluster"] == "prod-eu-1"


def test_container_insights_via_eventbridge_metric_math():
    # Given an EventBridge alarm whose metrics include a Container Insights one
    event = load_fixture("eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json")
    metric = {
        "metricStat": {
            "metric": {
                "namespace": "ContainerInsights",
                "name": "pod_restarts",
                "dimensions": {"Namespace": "payments", "PodName": "api", "ClusterName": "c"},
            }
        }
    }
    event = {**event, "detail": {**event["detail"], "configuration": {"metrics": [metric]}}}

    # When it is normalized
    [alert] = normalize("eventbridge", event)

    # Then the Kubernetes fields come from its dimensions
    assert (alert.namespace, alert.pod) == ("payments", "api")


def test_trigger_namespace_never_becomes_the_alert_namespace_for_eventbridge_fixtures():
    # Given the AWS docs alarm events (metric namespace AWS/EC2)
    for name in [
        "awsdocs_cloudwatch_alarm_state_change_single_metric.json",
        "awsdocs_cloudwatch_alarm_state_change_metric_math.json",
    ]:
        # When normalized
        [alert] = normalize("eventbridge", load_fixture(f"eventbridge/{name}"))

        # Then the namespace stays empty
        assert alert.namespace is None
        assert alert.labels["metric_namespace"] == "AWS/EC2"


def test_every_envelope_gives_the_same_alert():
    # Given one alarm as raw JSON, SNS HTTP body, Lambda SNS event, SNS→SQS event and raw SQS delivery
    raw = alarm()
    envelopes = [
        raw,
        json.dumps(raw),
        sns(raw),
        {"Records": [{"EventSource": "aws:sns", "Sns": sns(raw)}]},
        {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(sns(raw))}]},
        {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(raw)}]},
    ]

    # When each is normalized
    alerts = [normalize("cloudwatch", envelope) for envelope in envelopes]

    # Then all agree on the alert
    assert all(len(found) == 1 for found in alerts)
    assert {(a[0].fingerprint, a[0].status, a[0].title) for a in alerts} == {(ARN, "firing", "orders-errors")}


def test_alarm_without_arn_gets_the_arn_rebuilt_from_region_name():
    # Given an old raw alarm message without AlarmArn and no SNS topic around it
    raw = alarm()
    del raw["AlarmArn"]

    # When it is normalized
    [alert] = normalize("cloudwatch", raw)

    # Then the ARN is rebuilt from account, the region's display name and the alarm name
    assert alert.fingerprint == ARN
    assert alert.url.startswith("https://eu-west-1.console.aws.amazon.com/cloudwatch/")


def test_ok_resolves_with_end_time():
    # Given the OK transition of an alarm
    [alert] = normalize("cloudwatch", alarm("OK"))

    # Then the alert is resolved and ends at the state change
    assert alert.status == "resolved"
    assert alert.ends_at.isoformat() == "2024-05-14T08:21:40.118000+00:00"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("cloudwatch_sns/alerta_sns_http_subscription_confirmation.json", "SubscriptionConfirmation"),
        ("cloudwatch_sns/alerta_sns_http_notification_alarm.json", "Notification"),
    ],
)
def test_sns_message_type_tells_confirmations_from_notifications(payload, expected):
    # Given SNS HTTP bodies, as dict and as raw text
    body = load_fixture(payload)

    # Then the endpoint can tell what to do before normalizing
    assert cloudwatch.sns_message_type(body) == expected
    assert cloudwatch.sns_message_type(json.dumps(body)) == expected


@pytest.mark.parametrize("payload", [{"Type": "Other"}, {"foo": 1}, "not json", [1], None, {"Type": ["x"]}])
def test_sns_message_type_is_none_for_anything_else(payload):
    # Given something that is not an SNS message
    # Then the helper says so without raising
    assert cloudwatch.sns_message_type(payload) is None


def test_unsubscribe_confirmation_is_not_an_alert():
    # Given an UnsubscribeConfirmation
    body = {
        **load_fixture("cloudwatch_sns/alerta_sns_http_subscription_confirmation.json"),
        "Type": "UnsubscribeConfirmation",
    }

    # Then it gives no alert
    assert cloudwatch.sns_message_type(body) == "UnsubscribeConfirmation"
    assert normalize("cloudwatch", body) == []


def test_metric_math_alarm_keeps_its_metrics_as_labels():
    # Given the aws-lambda-go metric-math alarm
    [alert] = normalize(
        "cloudwatch", load_fixture("cloudwatch_sns/aws_lambda_go_lambda_sns_records_alarm_metric_math.json")
    )

    # Then the inner metric shows up, and the bogus "REGION" is not used for a console link
    assert alert.labels["metric_name"] == "NetworkOut"
    assert alert.labels["dimension:InstanceId"] == "TestInstance"
    assert alert.url is None


def test_generic_eventbridge_event_becomes_an_info_alert_from_its_own_source():
    # Given a non-alarm EventBridge event
    [alert] = normalize("eventbridge", load_fixture("eventbridge/powertools_generic_ec2_state_change.json"))

    # Then its source and detail-type name it, it is informational, and its detail is kept
    assert (alert.source, alert.title, alert.severity) == ("aws.ec2", "EC2 Instance State-change Notification", "info")
    assert alert.labels["state"] == "terminated"
    assert "i-1234567890abcdef0" in alert.annotations["resources"]


def test_eventbridge_events_inside_an_sqs_event():
    # Given EventBridge → SQS delivery of two events
    events = [
        load_fixture("eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json"),
        load_fixture("eventbridge/powertools_generic_ec2_state_change.json"),
    ]
    payload = {"Records": [{"body": json.dumps(event)} for event in events]}

    # When normalized
    alerts = eventbridge.normalize(payload)

    # Then each record gives its alert
    assert [a.source for a in alerts] == ["cloudwatch", "aws.ec2"]


def test_sns_message_carrying_an_eventbridge_event_is_read_as_that_event():
    # Given the EventBridge alarm state change an EventBridge rule published to an SNS topic
    event = load_fixture("eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json")
    envelope = {"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t"}
    # When it is read from the SNS envelope, and directly
    [via_sns] = normalize("cloudwatch", {**envelope, "Message": json.dumps(event)})
    [direct] = normalize("eventbridge", event)
    # Then it is the same alert
    assert via_sns == direct
