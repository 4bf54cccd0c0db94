"""The fire → resolve pairs among the vendor fixtures (tests/fixtures/alerts), as PROVENANCE.md lists them."""

# (source, firing fixture, index of the alert in it, resolving fixture, index), as in PROVENANCE.md.
FIRE_RESOLVE_PAIRS = [
    ("alertmanager", "alertmanager/zulip_firing_batch_2_alerts.json", 0, "alertmanager/zulip_resolved_single.json", 0),
    (
        "alertmanager",
        "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json",
        0,
        "alertmanager/authored_k8s_resolved_same_fingerprint.json",
        0,
    ),
    (
        "pagerduty",
        "pagerduty/zulip_v3_incident_triggered.json",
        0,
        "pagerduty/authored_v3_incident_resolved_PFQZPSY.json",
        0,
    ),
    ("opsgenie", "opsgenie/authored_create_p1_with_details.json", 0, "opsgenie/zulip_close.json", 0),
    ("datadog", "datadog/keep_log_alert_triggered.json", 0, "datadog/keep_log_alert_recovered.json", 0),
    ("newrelic", "newrelic/zulip_workflow_base_activated.json", 0, "newrelic/zulip_workflow_base_closed.json", 0),
    (
        "sentry",
        "sentry/authored_metric_alert_critical_same_rule.json",
        0,
        "sentry/sentry_docs_metric_alert_resolved.json",
        0,
    ),
    (
        "cloudwatch",
        "cloudwatch_sns/alerta_sns_http_notification_alarm.json",
        0,
        "cloudwatch_sns/authored_sns_http_notification_ok_same_alarm.json",
        0,
    ),
    (
        "eventbridge",
        "eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json",
        0,
        "eventbridge/authored_cloudwatch_alarm_state_change_ok_same_alarm.json",
        0,
    ),
    (
        "generic",
        "generic/grafana_oncall_docs_formatted_webhook_alerting.json",
        0,
        "generic/authored_grafana_oncall_formatted_webhook_ok.json",
        0,
    ),
    (
        "generic",
        "generic/authored_pagerduty_events_v2_trigger.json",
        0,
        "generic/authored_pagerduty_events_v2_resolve.json",
        0,
    ),
]
