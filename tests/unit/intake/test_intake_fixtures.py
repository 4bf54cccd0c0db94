"""Every vendor fixture, normalized, with the fields a user relies on asserted."""

import copy
import json
from datetime import datetime

import pytest
from intake_fixtures import all_alert_fixtures, fixture_id, load_fixture, source_for

from pagerless.intake.sources import normalize

HASHED = object()  # a fingerprint we compute (checked for stability, not for a value)


def expect(
    status,
    severity,
    title,
    fingerprint=HASHED,
    *,
    service=None,
    namespace=None,
    pod=None,
    acknowledged=False,
    source=None,
):
    return dict(
        status=status,
        severity=severity,
        title=title,
        fingerprint=fingerprint,
        service=service,
        namespace=namespace,
        pod=pod,
        acknowledged=acknowledged,
        source=source,
    )


EXPECTED: dict[str, list[dict]] = {
    # Alertmanager
    "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json": [
        expect(
            "firing",
            "warning",
            "KubePodCrashLooping",
            "3f6c1c2d9a7be410",
            service="checkout",
            namespace="shop-prod",
            pod="checkout-7c9d6b8f5-x2k9p",
        ),
        expect(
            "resolved",
            "warning",
            "KubePodCrashLooping",
            "9b0e4d5a11c3f872",
            service="cart",
            namespace="shop-prod",
            pod="cart-5f4d8c7b9-qq7lm",
        ),
    ],
    # kube-prometheus-stack: exporters' job/container/service/pod labels never name the service
    "alertmanager/authored_kube_prometheus_stack_exporter_alerts.json": [
        expect(
            "firing",
            "warning",
            "KubeDeploymentReplicasMismatch",
            "4c1f0e2b8a9d7c35",
            service="payments-api",
            namespace="payments",
        ),
        expect(
            "firing",
            "warning",
            "KubeDeploymentReplicasMismatch",
            "9e3a7b1d2c4f6a80",
            service="ledger-worker",
            namespace="payments",
        ),
        expect("firing", "high", "NodeFilesystemSpaceFillingUp", "17b2c0d9e8f4a356"),  # SEV-2; about a node
        expect("firing", "critical", "BlackboxProbeFailed", "a0c3e5f7b9d1e2f4", service="checkout.example.com"),
    ],
    "alertmanager/authored_k8s_resolved_same_fingerprint.json": [
        expect(
            "resolved",
            "warning",
            "KubePodCrashLooping",
            "3f6c1c2d9a7be410",
            service="checkout",
            namespace="shop-prod",
            pod="checkout-7c9d6b8f5-x2k9p",
        ),
    ],
    "alertmanager/prometheus_msteams_firing_legacy_no_fingerprint.json": [
        # no per-alert status or fingerprint: group status, and Alertmanager's own label hash
        expect("firing", "warning", "high_memory_load", "b29784719d6a11e6", service="docker_nodes"),
    ],
    "alertmanager/zulip_firing_batch_2_alerts.json": [
        expect("firing", "critical", "High CPU Temperature", "a1bc48475b20e73d"),
        expect("firing", "critical", "High CPU Temperature", "c2ea85182f28cbd9"),
    ],
    "alertmanager/zulip_resolved_single.json": [
        expect("resolved", "critical", "High CPU Temperature", "a1bc48475b20e73d"),
    ],
    # Grafana
    "grafana/grafana_docs_firing_2_alerts.json": [
        expect("firing", "warning", "High memory usage", "c6eadffa33fcdf37"),
        expect("firing", "warning", "High CPU usage", "bc97ff14869b13e3"),
    ],
    "grafana/keep_grafana12_test_notification.json": [
        expect("firing", "warning", "TestAlert", "c4edaaf9f9f839b0"),
    ],
    "grafana/zulip_legacy_alerting.json": [expect("firing", "warning", "Test rule")],
    "grafana/zulip_v9_mixed_firing_resolved.json": [
        expect("resolved", "warning", "Test alert", "aaafafe0953f0962", service="rabbitmq"),
        expect("resolved", "warning", "Test alert", "fb31814ac93dbe7d", service="rabbitmq"),
        expect("firing", "warning", "Second webhook test", "6f9cd313db421ef1"),
    ],
    "grafana/zulip_v9_resolved.json": [expect("resolved", "warning", "Test alert", "d8a21484c9c25a60")],
    # PagerDuty V3
    "pagerduty/authored_v3_incident_resolved_PFQZPSY.json": [
        expect("resolved", "high", "Test Incident 3", "PFQZPSY", service="pig208"),  # priority P2
    ],
    "pagerduty/pagerduty_docs_v3_incident_priority_updated_p1.json": [
        expect("firing", "critical", "A little bump in the road", "PGR0VU2", service="API Service"),
    ],
    "pagerduty/zulip_v3_incident_acknowledged.json": [
        expect("firing", "high", "Test Incident", "PQ1K5C8", service="pig208", acknowledged=True),  # urgency high
    ],
    "pagerduty/zulip_v3_incident_resolved.json": [
        expect("resolved", "high", "Test Incident", "PCPZE64", service="pig208"),
    ],
    "pagerduty/zulip_v3_incident_triggered.json": [
        expect("firing", "high", "Test Incident 3", "PFQZPSY", service="pig208"),
    ],
    # Opsgenie
    "opsgenie/authored_create_p1_with_details.json": [
        expect(
            "firing",
            "critical",
            "test alert",
            "aliastest",
            service="payment-api",
            namespace="payments",
            pod="payment-api-6d8f9c-2xkq1",
        ),
    ],
    "opsgenie/watchops_addnote_p1_from_alertmanager.json": [
        expect(
            "firing",
            "critical",
            "[Prometheus]: [FIRING:1]  (NonCompletedDeletions lykon-service-0.8.3 app http-probe 10.0.3.129:9090 "
            "gdpr-deleter-srv gdpr gdpr-del",
            "94d30522a04f65515397ec16b26d4e0fee5946671e0c985ac07aca345aba1968",
            service="gdpr-deleter-srv",
            namespace="gdpr",
            pod="gdpr-deleter-srv-app-965459dc4-x9dnd",
        ),
    ],
    "opsgenie/zulip_acknowledge.json": [
        expect("firing", "warning", "test alert", "aliastest", acknowledged=True),
    ],
    "opsgenie/zulip_close.json": [expect("resolved", "warning", "test alert", "aliastest")],
    "opsgenie/zulip_create_int_priority.json": [
        expect("firing", "warning", "another alert", "alert-alias"),  # integer priority 3 → P3
    ],
    # Datadog
    "datadog/authored_default_template_metric_alert_triggered.json": [
        expect("firing", "high", "High CPU on web frontend"),
    ],
    "datadog/keep_log_alert_recovered.json": [
        expect("resolved", "info", "Error monitor", service="keep-api-matvey-kuk-workflows-fix"),
    ],
    "datadog/keep_log_alert_triggered.json": [
        expect("firing", "high", "Error monitor", service="keep-api-matvey-kuk-workflows-fix"),
    ],
    "datadog/keep_log_alert_triggered_p2.json": [
        expect("firing", "high", "Unauthorized access to API keep-api", service="keep-api"),
    ],
    "datadog/keep_log_alert_warn_p2.json": [
        expect("firing", "high", "Unauthorized access to API keep-api", service="keep-api"),
    ],
    # New Relic
    "newrelic/zulip_legacy_incident_opened.json": [expect("firing", "warning", "Server Down", "1234")],
    "newrelic/zulip_workflow_base_activated.json": [
        expect(
            "firing",
            "high",
            "PIETER-UBUNTU query result is > 1.0 for 5 minutes on 'Storage on Host Exceeded Threshold'",
            "13bbcdca-f0b6-470d-b0be-b34583c58869",
        ),
    ],
    "newrelic/zulip_workflow_base_closed.json": [
        expect(
            "resolved",
            "high",
            "PIETER-UBUNTU query result is > 1.0 for 5 minutes on 'Storage on Host Exceeded Threshold'",
            "13bbcdca-f0b6-470d-b0be-b34583c58869",
        ),
    ],
    "newrelic/zulip_workflow_default_closed.json": [
        expect(
            "resolved",
            "critical",
            "main_app-UBUNTU query result is > 2.0 for 1 minutes on 'High CPU'",
            "95a9344a-2590-48ce-8d83-07e28b6d22c6",
            service="main_app-UBUNTU",
        ),
    ],
    "newrelic/zulip_workflow_default_created.json": [
        expect(
            "firing",
            "critical",
            "MAIN-APP-UBUNTU query result is > 2.0 for 1 minutes on 'High CPU'",
            "208c5e92-f250-40be-b7c2-50508c268c15",
            service="MAIN-APP-UBUNTU",
        ),
    ],
    # Sentry
    "sentry/authored_metric_alert_critical_same_rule.json": [
        expect("firing", "critical", "Too many errors", service="bar"),
    ],
    "sentry/sentry_docs_issue_alert_triggered.json": [
        expect("firing", "high", "ReferenceError: heck is not defined", "1117540176", service="front-end"),
    ],
    "sentry/sentry_docs_metric_alert_resolved.json": [expect("resolved", "info", "Too many errors", service="bar")],
    "sentry/zulip_issue_created.json": [
        expect("firing", "high", "Exception: Custom exception!", "1635244907", service="zulip-integration-testing"),
    ],
    "sentry/zulip_issue_resolved.json": [
        expect(
            "resolved",
            "high",
            "Exception: program has entered an invalid state.",
            "1638821441",
            service="zulip-integration-testing",
        ),
    ],
    # CloudWatch via SNS / SQS / Lambda
    "cloudwatch_sns/alerta_sns_http_notification_alarm.json": [
        # no AlarmArn in this old message: the ARN is rebuilt from account + the topic's region
        expect(
            "firing",
            "warning",
            "bucketbytesAlarm",
            "arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm",
            service="try.alerta.io",
        ),  # the BucketName dimension
    ],
    "cloudwatch_sns/alerta_sns_http_subscription_confirmation.json": [],  # not an alert
    "cloudwatch_sns/authored_sns_http_notification_ok_same_alarm.json": [
        expect(
            "resolved",
            "warning",
            "bucketbytesAlarm",
            "arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm",
            service="try.alerta.io",
        ),
    ],
    "cloudwatch_sns/authored_sqs_lambda_event_from_sns_alarm.json": [
        expect(
            "firing",
            "warning",
            "checkout-api-5xx-rate",
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:checkout-api-5xx-rate",
            service="checkout-alb",
        ),  # LoadBalancer "app/checkout-alb/…" names the ALB
    ],
    "cloudwatch_sns/aws_lambda_go_lambda_sns_records_alarm_metric_math.json": [
        expect(
            "firing",
            "warning",
            "EXAMPLE",
            "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",
            service="TestInstance",
        ),
    ],
    # EventBridge
    "eventbridge/authored_cloudwatch_alarm_state_change_ok_same_alarm.json": [
        expect(
            "resolved",
            "warning",
            "ServerCpuTooHigh",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh",
            source="cloudwatch",
            service="i-12345678901234567",
        ),
    ],
    "eventbridge/awsdocs_cloudwatch_alarm_state_change_metric_math.json": [
        expect(
            "firing",
            "warning",
            "TotalNetworkTrafficTooHigh",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:TotalNetworkTrafficTooHigh",
            source="cloudwatch",
            service="i-12345678901234567",
        ),  # the InstanceId dimension
    ],
    "eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json": [
        expect(
            "firing",
            "warning",
            "ServerCpuTooHigh",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh",
            source="cloudwatch",
            service="i-12345678901234567",
        ),
    ],
    "eventbridge/powertools_generic_ec2_state_change.json": [
        expect("firing", "info", "EC2 Instance State-change Notification", source="aws.ec2"),
    ],
    # Generic
    "generic/authored_grafana_oncall_formatted_webhook_ok.json": [
        expect("resolved", "warning", "The whole system is down", "08d6891a-835c-e661-39fa-96b6a9e26552"),
    ],
    "generic/grafana_oncall_docs_formatted_webhook_alerting.json": [
        expect("firing", "warning", "The whole system is down", "08d6891a-835c-e661-39fa-96b6a9e26552"),
    ],
    "generic/authored_pagerduty_events_v2_trigger.json": [
        expect(
            "firing",
            "critical",
            "MySQL replication lag 340s on srv01.prod.example.com",
            "srv01/mysql-replication-lag",
            service="orders-db",
            namespace="data",
        ),
    ],
    "generic/authored_pagerduty_events_v2_resolve.json": [
        expect("resolved", "warning", "srv01/mysql-replication-lag", "srv01/mysql-replication-lag"),
    ],
}

ALERT_FIXTURES = all_alert_fixtures()


def test_every_alert_fixture_has_expectations():
    # Given every file under tests/fixtures/alerts
    on_disk = {fixture_id(path) for path in ALERT_FIXTURES}

    # When compared with the expectation table
    missing = on_disk - EXPECTED.keys()
    stale = EXPECTED.keys() - on_disk

    # Then no fixture goes untested and no expectation points at nothing
    assert not missing, f"fixtures without expectations: {sorted(missing)}"
    assert not stale, f"expectations without fixtures: {sorted(stale)}"


@pytest.mark.parametrize("path", ALERT_FIXTURES, ids=fixture_id)
def test_fixture_normalizes_to_expected_alerts(path):
    # Given a vendor payload exactly as delivered (raw text)
    raw = path.read_text(encoding="utf-8")
    source = source_for(path)

    # When it is normalized
    alerts = normalize(source, raw)

    # Then each alert carries the status, severity, title, fingerprint and context expected
    expected = EXPECTED[fixture_id(path)]
    assert len(alerts) == len(expected)
    for alert, want in zip(alerts, expected, strict=True):
        assert alert.status.value == want["status"]
        assert alert.severity.value == want["severity"]
        assert alert.title == want["title"]
        if want["fingerprint"] is not HASHED:
            assert alert.fingerprint == want["fingerprint"]
        assert alert.fingerprint
        assert (alert.service, alert.namespace, alert.pod) == (want["service"], want["namespace"], want["pod"])
        assert alert.acknowledged is want["acknowledged"]
        assert alert.source == (want["source"] or ("generic" if source == "generic" else source))
        for moment in (alert.starts_at, alert.ends_at):
            assert moment is None or (isinstance(moment, datetime) and moment.tzinfo is not None)


@pytest.mark.parametrize("path", ALERT_FIXTURES, ids=fixture_id)
def test_fixture_fingerprints_survive_reserialisation(path):
    # Given the same payload redelivered with keys in another order and other whitespace
    payload = json.loads(path.read_text(encoding="utf-8"))
    redelivered = json.dumps(_reverse_keys(payload), indent=7)

    # When both deliveries are normalized
    first = normalize(source_for(path), payload)
    second = normalize(source_for(path), redelivered)

    # Then every alert keeps its fingerprint
    assert [a.fingerprint for a in first] == [a.fingerprint for a in second]


@pytest.mark.parametrize("path", ALERT_FIXTURES, ids=fixture_id)
def test_normalizing_never_mutates_the_payload(path):
    # Given a decoded payload and a deep copy of it
    payload = json.loads(path.read_text(encoding="utf-8"))
    before = copy.deepcopy(payload)

    # When it is normalized
    normalize(source_for(path), payload)

    # Then the payload is unchanged
    assert payload == before


def test_go_zero_end_time_is_none_even_on_resolved_alerts():
    # Given Alertmanager's quirk: a resolved alert whose endsAt is 0001-01-01T00:00:00Z
    payload = load_fixture("alertmanager/zulip_resolved_single.json")

    # When it is normalized
    [alert] = normalize("alertmanager", payload)

    # Then it is resolved (from its status) and has no end time
    assert alert.status == "resolved"
    assert alert.ends_at is None


def _reverse_keys(value):
    if isinstance(value, dict):
        return {key: _reverse_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(item) for item in value]
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return json.dumps(_reverse_keys(json.loads(value)), indent=3)  # SNS/SQS nest JSON in strings
        except json.JSONDecodeError:
            return value
    return value
