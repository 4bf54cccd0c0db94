"""Fingerprints: fire → resolve pairs meet, redeliveries agree, vendor keys win."""

import pytest
from intake_fixtures import load_fixture

from pagerless.domain.alerts import AlertStatus
from pagerless.intake.sources import alertmanager, normalize
from tests.fixture_pairs import FIRE_RESOLVE_PAIRS


@pytest.mark.parametrize(
    ("source", "firing", "fi", "resolving", "ri"),
    FIRE_RESOLVE_PAIRS,
    ids=[pair[1].split("/")[0] + ":" + pair[1].split("/")[1] for pair in FIRE_RESOLVE_PAIRS],
)
def test_fire_and_resolve_share_a_fingerprint(source, firing, fi, resolving, ri):
    # Given a firing delivery and the delivery that resolves it
    fired = normalize(source, load_fixture(firing))[fi]

    # When the resolving delivery is normalized
    resolved = normalize(source, load_fixture(resolving))[ri]

    # Then it fires, then resolves, under one fingerprint and source
    assert fired.status == AlertStatus.FIRING
    assert resolved.status == AlertStatus.RESOLVED
    assert resolved.fingerprint == fired.fingerprint
    assert resolved.source == fired.source


def test_opsgenie_create_acknowledge_close_form_one_incident():
    # Given the Create, Acknowledge and Close deliveries of one Opsgenie alert
    names = ["authored_create_p1_with_details.json", "zulip_acknowledge.json", "zulip_close.json"]

    # When each is normalized
    alerts = [normalize("opsgenie", load_fixture(f"opsgenie/{name}"))[0] for name in names]

    # Then they share the alias and move firing → acknowledged → resolved
    assert {a.fingerprint for a in alerts} == {"aliastest"}
    assert [(a.status.value, a.acknowledged) for a in alerts] == [
        ("firing", False),
        ("firing", True),
        ("resolved", False),
    ]


def test_datadog_warn_then_triggered_is_the_same_monitor_and_scope():
    # Given a monitor that went Warn then Triggered for one scope
    warn = normalize("datadog", load_fixture("datadog/keep_log_alert_warn_p2.json"))[0]

    # When the escalation arrives (a new Datadog event id)
    triggered = normalize("datadog", load_fixture("datadog/keep_log_alert_triggered_p2.json"))[0]

    # Then it updates the same alert
    assert triggered.fingerprint == warn.fingerprint


def test_unrelated_alerts_do_not_collide():
    # Given Sentry issues that PROVENANCE says are different issues, and two PagerDuty incidents
    created = normalize("sentry", load_fixture("sentry/zulip_issue_created.json"))[0]
    resolved = normalize("sentry", load_fixture("sentry/zulip_issue_resolved.json"))[0]
    pd_a = normalize("pagerduty", load_fixture("pagerduty/zulip_v3_incident_resolved.json"))[0]
    pd_b = normalize("pagerduty", load_fixture("pagerduty/zulip_v3_incident_triggered.json"))[0]

    # Then their fingerprints differ
    assert created.fingerprint != resolved.fingerprint
    assert pd_a.fingerprint != pd_b.fingerprint


def test_alertmanager_fingerprint_without_vendor_key_ignores_label_order_and_whitespace():
    # Given one legacy alert (no fingerprint) delivered twice, labels reordered and padded
    first = {"status": "firing", "alerts": [{"labels": {"alertname": "Down", "job": "api", "severity": "critical"}}]}
    second = {
        "status": "firing",
        "alerts": [{"labels": {" severity ": "critical ", "job": " api", "alertname": "Down"}}],
    }

    # When both are normalized
    [a] = normalize("alertmanager", first)
    [b] = normalize("alertmanager", second)

    # Then the fingerprints agree
    assert a.fingerprint == b.fingerprint


def test_computed_alertmanager_fingerprint_is_alertmanagers_own():
    # Given the labels of a real Alertmanager delivery and the fingerprint Alertmanager sent
    payload = load_fixture("alertmanager/zulip_resolved_single.json")
    labels = payload["alerts"][0]["labels"]

    # When we hash the label set ourselves
    computed = alertmanager.label_fingerprint(labels)

    # Then it is the same FNV-1a value, so legacy and modern deliveries dedup together
    assert computed == payload["alerts"][0]["fingerprint"] == "a1bc48475b20e73d"


def test_generic_fingerprint_ignores_label_order_whitespace_and_description():
    # Given two deliveries of one generic alert differing only in key order, spaces and text
    first = {
        "title": "Disk full",
        "service": "db",
        "namespace": "prod",
        "description": "91%",
        "labels": {"a": "1", "b": "2"},
    }
    second = {
        "labels": {"b": "2", "a": "1"},
        "namespace": " prod",
        "service": "db ",
        "title": " Disk full",
        "description": "97%",
    }

    # When both are normalized
    [a] = normalize("generic", first)
    [b] = normalize("generic", second)

    # Then the fingerprints agree
    assert a.fingerprint == b.fingerprint


def test_generic_fingerprint_distinguishes_services():
    # Given the same alert title for two services
    a = normalize("generic", {"title": "Disk full", "service": "db"})[0]
    b = normalize("generic", {"title": "Disk full", "service": "cache"})[0]

    # Then they are two alerts
    assert a.fingerprint != b.fingerprint


def test_datadog_scope_order_does_not_change_the_fingerprint():
    # Given one monitor whose scope is rendered in two orders
    base = {"title": "[Triggered] CPU", "monitor_id": "42", "alert_transition": "Triggered"}
    a = normalize("datadog", {**base, "scopes": "host:a,env:prod"})[0]
    b = normalize("datadog", {**base, "scopes": " env:prod , host:a"})[0]

    # Then the fingerprints agree, and a different scope is a different alert
    c = normalize("datadog", {**base, "scopes": "host:b,env:prod"})[0]
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_datadog_event_id_is_not_the_fingerprint():
    # Given two notifications of one monitor with different event ids
    base = {"title": "[Triggered] CPU", "monitor_id": "42", "scopes": "host:a"}
    a = normalize("datadog", {**base, "id": "1"})[0]
    b = normalize("datadog", {**base, "id": "2"})[0]

    # Then they are the same alert
    assert a.fingerprint == b.fingerprint


def test_pagerduty_event_id_is_not_the_fingerprint():
    # Given the same incident in two deliveries with different event ids
    payload = load_fixture("pagerduty/zulip_v3_incident_triggered.json")
    other = {**payload, "event": {**payload["event"], "id": "ANOTHER-EVENT-ID"}}

    # Then the incident id keys both
    assert normalize("pagerduty", payload)[0].fingerprint == normalize("pagerduty", other)[0].fingerprint == "PFQZPSY"


def test_eventbridge_generic_event_fingerprint_ignores_envelope_id_and_time():
    # Given the same EC2 event for the same instance, delivered twice
    payload = load_fixture("eventbridge/powertools_generic_ec2_state_change.json")
    again = {**payload, "id": "another-id", "time": "2017-12-22T18:50:00Z"}

    # Then both are one alert
    assert normalize("eventbridge", payload)[0].fingerprint == normalize("eventbridge", again)[0].fingerprint


def test_the_same_alarm_via_sns_and_eventbridge_dedups():
    # Given one alarm ARN delivered through SNS and through EventBridge
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"
    sns_alarm = {
        "AlarmName": "ServerCpuTooHigh",
        "AlarmArn": arn,
        "NewStateValue": "ALARM",
        "AWSAccountId": "123456789012",
    }
    event = load_fixture("eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json")

    # When both are normalized
    via_sns = normalize("cloudwatch", sns_alarm)[0]
    via_eventbridge = normalize("eventbridge", event)[0]

    # Then source and fingerprint agree
    assert (via_sns.source, via_sns.fingerprint) == (via_eventbridge.source, via_eventbridge.fingerprint)
