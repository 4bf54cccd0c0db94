"""Intake on labels as real senders set them: exporters' labels, numbered severities, AWS dimensions."""

import json

import pytest
from intake_fixtures import load_fixture

from pagerless.domain.severity import Severity, severity_from, severity_of
from pagerless.intake.sources import normalize
from pagerless.kube.targets import kubernetes_target, workload_of_pod

EXPORTERS = "alertmanager/authored_kube_prometheus_stack_exporter_alerts.json"


# ----------------------------------------------------------------- severity in every common form
@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("sev1", Severity.CRITICAL),
        ("SEV-1", Severity.CRITICAL),
        ("Sev 0", Severity.CRITICAL),
        ("SEV-2", Severity.HIGH),
        ("sev_2", Severity.HIGH),
        ("severity 3", Severity.WARNING),
        ("sev4", Severity.INFO),
        ("P1", Severity.CRITICAL),
        ("p-2", Severity.HIGH),
        ("P3", Severity.WARNING),
        ("P4", Severity.INFO),
        ("P5", Severity.INFO),
        ("priority 1", Severity.CRITICAL),
    ],
)
def test_numbered_severities(word, expected):
    assert severity_of(word) == expected


def test_a_bare_digit_counts_only_in_a_severity_field_and_a_bare_word_tag_never():
    assert severity_of("2") is None and severity_of("2", bare_digit=True) == Severity.HIGH
    assert severity_from({"priority": 1}) == Severity.CRITICAL
    assert severity_from({}, ["high", "team:payments"], default=None) is None


@pytest.mark.parametrize(
    ("labels", "tags", "expected"),
    [
        ({"Severity": "SEV-2"}, [], Severity.HIGH),
        ({"sev": "1"}, [], Severity.CRITICAL),
        ({}, ["team:payments", "sev1"], Severity.CRITICAL),
        ({}, ["severity:P4"], Severity.INFO),
        ({}, ["priority=P2"], Severity.HIGH),
        ({"severity": "critical", "priority": "P4"}, [], Severity.CRITICAL),  # severity is trusted first
    ],
)
def test_severity_from_labels_and_tags(labels, tags, expected):
    assert severity_from(labels, tags) == expected


@pytest.mark.parametrize(
    ("source", "payload", "expected"),
    [
        ("alertmanager", {"alerts": [{"labels": {"alertname": "A", "severity": "SEV-1"}}]}, "critical"),
        ("alertmanager", {"alerts": [{"labels": {"alertname": "A", "priority": "P2"}}]}, "high"),
        ("grafana", {"ruleName": "r", "state": "alerting", "tags": {"severity": "sev3"}}, "warning"),
        ("generic", {"title": "t", "labels": {"sev": "SEV-1"}}, "critical"),
        ("generic", {"title": "t", "tags": ["env:prod", "P2"]}, "high"),
        ("generic", {"title": "t", "priority": "P4"}, "info"),
        (
            "opsgenie",
            {"action": "Create", "alert": {"alertId": "a", "message": "m", "priority": "P3", "tags": ["sev1"]}},
            "critical",
        ),
        ("opsgenie", {"action": "Create", "alert": {"alertId": "a", "message": "m", "priority": "P2"}}, "high"),
        ("datadog", {"title": "[Triggered] cpu", "tags": "env:prod,severity:sev-1"}, "critical"),
        ("text", "[P1] checkout down\nservice: checkout", "critical"),
        ("text", "[SEV-2] 支付失败\n服务: payments", "high"),
        ("cloudwatch", {"AlarmName": "orders-sev1-errors", "NewStateValue": "ALARM"}, "critical"),
        ("cloudwatch", {"AlarmName": "P3_db_lag", "NewStateValue": "ALARM"}, "warning"),
    ],
)
def test_every_source_reads_numbered_severities(source, payload, expected):
    [alert] = normalize(source, payload)
    assert alert.severity.value == expected


# ----------------------------------------------------------------- exporters' labels
def test_two_kube_state_metrics_alerts_about_two_deployments_are_two_services():
    # Given kube-prometheus-stack's alerts, every one carrying an exporter's job/container/service/pod
    payload = load_fixture(EXPORTERS)
    # When they are normalized
    alerts = normalize("alertmanager", payload)
    # Then each is named after the object it is about, never after the exporter
    assert [a.service for a in alerts] == ["payments-api", "ledger-worker", None, "checkout.example.com"]
    assert all("kube-state-metrics" not in (a.pod or "") for a in alerts)
    assert all(a.labels["job"] for a in alerts)  # the raw labels are kept


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # kube-state-metrics about a pod: the pod is the target, its owner the service
        (
            {
                "job": "kube-state-metrics",
                "service": "prom-kube-state-metrics",
                "pod": "checkout-7c9d6b8f5-x2k9p",
                "container": "app",
                "namespace": "shop",
            },
            ("checkout", "shop", "checkout-7c9d6b8f5-x2k9p"),
        ),
        (
            {
                "job": "kube-state-metrics",
                "statefulset": "postgres",
                "namespace": "db",
                "pod": "kube-state-metrics-7d9c8b5f6-bxk2z",
            },
            ("postgres", "db", None),
        ),
        (
            {"job": "kube-state-metrics", "daemonset": "fluent-bit", "namespace": "logging"},
            ("fluent-bit", "logging", None),
        ),
        (
            {"job": "kube-state-metrics", "job_name": "backup-28461230", "namespace": "ops"},
            ("backup-28461230", "ops", None),
        ),
        (
            {
                "job": "kube-state-metrics",
                "owner_kind": "ReplicaSet",
                "owner_name": "api-5d4f7b9c8",
                "namespace": "web",
            },
            ("api", "web", None),
        ),
        # honor_labels off: the target's labels are exported_*
        (
            {
                "job": "kube-state-metrics",
                "namespace": "monitoring",
                "exported_namespace": "shop",
                "exported_pod": "cart-5f4d8c7b9-qq7lm",
                "pod": "kube-state-metrics-7d9c8b5f6-bxk2z",
            },
            ("cart", "shop", "cart-5f4d8c7b9-qq7lm"),
        ),
        # cAdvisor through the kubelet: the kubelet's service label is not the service
        (
            {
                "job": "kubelet",
                "service": "kube-prometheus-stack-kubelet",
                "namespace": "shop",
                "pod": "search-6b8d9f7c5-m2n4p",
                "container": "search",
            },
            ("search", "shop", "search-6b8d9f7c5-m2n4p"),
        ),
        # an app's own metrics keep their service label
        (
            {"job": "checkout-metrics", "service": "checkout", "deployment": "checkout-v2", "namespace": "shop"},
            ("checkout", "shop", None),
        ),
    ],
)
def test_kubernetes_target(labels, expected):
    assert kubernetes_target(labels) == expected


@pytest.mark.parametrize(
    ("pod", "workload"),
    [
        ("payments-api-7d9f8c6b5-x2k4m", "payments-api"),
        ("postgres-0", "postgres"),
        ("fluentd-x7q2z", "fluentd"),
        ("api-proxy", "api-proxy"),
    ],
)
def test_workload_of_pod(pod, workload):
    assert workload_of_pod(pod) == workload


# ----------------------------------------------------------------- AWS dimensions
def _alarm(namespace: str, dimensions: dict[str, str]) -> dict:
    return {
        "AlarmName": "a",
        "NewStateValue": "ALARM",
        "AlarmArn": "arn:aws:cloudwatch:eu-west-1:1:alarm:a",
        "Trigger": {
            "MetricName": "m",
            "Namespace": namespace,
            "Dimensions": [{"name": k, "value": v} for k, v in dimensions.items()],
        },
    }


@pytest.mark.parametrize(
    ("namespace", "dimensions", "service"),
    [
        ("AWS/Lambda", {"FunctionName": "orders-handler"}, "orders-handler"),
        ("AWS/ECS", {"ClusterName": "prod", "ServiceName": "checkout"}, "checkout"),
        ("AWS/ECS", {"ClusterName": "prod"}, "prod"),
        ("AWS/RDS", {"DBInstanceIdentifier": "orders-db"}, "orders-db"),
        ("AWS/ApplicationELB", {"LoadBalancer": "app/checkout-alb/50dc6c495c0c9188"}, "checkout-alb"),
        ("AWS/SQS", {"QueueName": "orders-dlq"}, "orders-dlq"),
        ("AWS/DynamoDB", {"TableName": "sessions"}, "sessions"),
        ("AWS/States", {"StateMachineArn": "arn:aws:states:eu-west-1:1:stateMachine:refunds"}, "refunds"),
    ],
)
def test_cloudwatch_and_eventbridge_alarms_name_the_service_from_their_dimensions(namespace, dimensions, service):
    # Given the same alarm by SNS and by EventBridge
    [by_sns] = normalize("cloudwatch", _alarm(namespace, dimensions))
    event = {
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "account": "1",
        "region": "eu-west-1",
        "resources": ["arn:aws:cloudwatch:eu-west-1:1:alarm:a"],
        "detail": {
            "alarmName": "a",
            "state": {"value": "ALARM"},
            "configuration": {
                "metrics": [
                    {
                        "id": "m1",
                        "metricStat": {"metric": {"namespace": namespace, "name": "m", "dimensions": dimensions}},
                    }
                ]
            },
        },
    }
    [by_eventbridge] = normalize("eventbridge", event)
    # Then both name the watched resource, and the AWS namespace is never a Kubernetes namespace
    assert by_sns.service == by_eventbridge.service == service
    assert by_sns.namespace is None and by_eventbridge.namespace is None


def test_container_insights_keeps_its_kubernetes_context():
    [alert] = normalize(
        "cloudwatch", _alarm("ContainerInsights", {"ClusterName": "prod", "Namespace": "shop", "PodName": "cart"})
    )
    assert (alert.service, alert.namespace, alert.pod) == ("cart", "shop", "cart")
    assert json.dumps(alert.labels)  # labels stay plain strings


# ----------------------------------------------------------------- bare resolves
@pytest.mark.parametrize(
    ("source", "firing", "resolving"),
    [
        (
            "generic",
            "generic/authored_pagerduty_events_v2_trigger.json",
            "generic/authored_pagerduty_events_v2_resolve.json",
        ),
        ("opsgenie", "opsgenie/authored_create_p1_with_details.json", "opsgenie/zulip_close.json"),
    ],
)
def test_a_bare_resolve_inherits_what_it_does_not_carry_from_its_alert(source, firing, resolving):
    # Given a firing alert and the bare resolve (or close) that ends it
    [fired] = normalize(source, load_fixture(firing))
    [resolve] = normalize(source, load_fixture(resolving))
    assert resolve.defaulted and resolve.status.value == "resolved"
    # When the resolve inherits from the alert
    merged = resolve.inherit(fired)
    # Then it says what resolved: the alert's severity and service, and its title when it had none
    assert (merged.severity, merged.service, merged.status) == (fired.severity, fired.service, resolve.status)
    assert merged.title == (fired.title if "title" in resolve.defaulted else resolve.title)
    assert merged.fingerprint == resolve.fingerprint and merged.defaulted == ()


def test_a_full_resolve_keeps_its_own_fields():
    [fired] = normalize("alertmanager", load_fixture("alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"))[
        :1
    ]
    [resolve] = normalize("alertmanager", load_fixture("alertmanager/authored_k8s_resolved_same_fingerprint.json"))
    assert resolve.defaulted == () and resolve.inherit(fired).title == resolve.title
