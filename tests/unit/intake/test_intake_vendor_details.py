"""Vendor quirks from PROVENANCE.md that the fixture table does not show on its own."""

import pytest
from intake_fixtures import load_fixture

from pagerless.intake.sources import normalize


def test_datadog_default_template_reads_monitor_and_scope_from_text():
    # Given the default template: no monitor or transition fields, only title and body
    payload = load_fixture("datadog/authored_default_template_metric_alert_triggered.json")

    # When it is normalized
    [alert] = normalize("datadog", payload)

    # Then the monitor id comes from the body's link and the scope from the title
    assert alert.labels["monitor_id"] == "98765432"
    assert alert.labels["host"] == "web-03"
    assert alert.url.startswith("https://app.datadoghq.com/monitors/98765432")
    assert alert.starts_at.isoformat() == "2024-05-14T08:21:37+00:00"


def test_datadog_default_template_recovery_pairs_with_its_trigger():
    # Given the default template's trigger, and the same monitor's recovery
    triggered = load_fixture("datadog/authored_default_template_metric_alert_triggered.json")
    recovered = {**triggered, "title": "[Recovered on {host:web-03}] High CPU on web frontend", "id": "other"}

    # When both are normalized
    [fired] = normalize("datadog", triggered)
    [cleared] = normalize("datadog", recovered)

    # Then the recovery resolves the trigger
    assert (fired.status, cleared.status) == ("firing", "resolved")
    assert fired.fingerprint == cleared.fingerprint


def test_datadog_tags_give_kubernetes_context():
    payload = {
        "title": "[Triggered] Pod restarts",
        "monitor_id": "7",
        "alert_transition": "Triggered",
        "tags": "kube_namespace:shop,pod_name:cart-1,service:cart,env:prod",
    }
    [alert] = normalize("datadog", payload)
    assert (alert.service, alert.namespace, alert.pod) == ("cart", "shop", "cart-1")


def test_opsgenie_url_and_tag_labels():
    # Given an AddNote for an alert created by Alertmanager, tagged "service=…"
    [alert] = normalize("opsgenie", load_fixture("opsgenie/watchops_addnote_p1_from_alertmanager.json"))

    # Then the alert is still open, the tag became a label and the link is built from alertId
    assert alert.status == "firing" and not alert.acknowledged
    assert alert.labels["service"] == "gdpr-deleter-srv"
    assert (
        alert.url == "https://app.opsgenie.com/alert/detail/f3efa74b-29cc-4a4f-9bb7-804d7c1be544-1639476708514/details"
    )


def test_opsgenie_timestamps_are_milliseconds_and_nanoseconds():
    [alert] = normalize("opsgenie", load_fixture("opsgenie/zulip_close.json"))
    assert alert.starts_at.isoformat() == "2015-01-05T10:03:11.104000+00:00"  # createdAt, ms
    assert alert.ends_at.isoformat().startswith("2015-01-05T10:06:14.669")  # updatedAt, ns


def test_newrelic_acknowledged_state():
    payload = {**load_fixture("newrelic/zulip_workflow_base_activated.json"), "state": "ACKNOWLEDGED"}
    [alert] = normalize("newrelic", payload)
    assert (alert.status, alert.acknowledged) == ("firing", True)


def test_newrelic_closed_default_payload_keeps_its_own_id():
    # Given the quirk: `id` differs from the issue id inside issueUrl
    [alert] = normalize("newrelic", load_fixture("newrelic/zulip_workflow_default_closed.json"))

    # Then `id` is the fingerprint and the URL is kept as sent
    assert alert.fingerprint == "95a9344a-2590-48ce-8d83-07e28b6d22c6"
    assert "0ea2df1c" in alert.url


@pytest.mark.parametrize(
    ("action", "status", "acknowledged"),
    [
        ("created", "firing", False),
        ("assigned", "firing", True),
        ("resolved", "resolved", False),
        ("ignored", "resolved", False),
        ("unresolved", "firing", False),
    ],
)
def test_sentry_issue_actions(action, status, acknowledged):
    payload = {**load_fixture("sentry/zulip_issue_created.json"), "action": action}
    [alert] = normalize("sentry", payload)
    assert (alert.status, alert.acknowledged) == (status, acknowledged)


def test_a_sentry_issue_unresolved_again_gives_no_start_as_its_first_event_is_not_when_it_regressed():
    # Given an issue Sentry reports unresolved again (a regression, or by hand) and one just created
    created = load_fixture("sentry/zulip_issue_created.json")
    unresolved = {**load_fixture("sentry/zulip_issue_created.json"), "action": "unresolved"}
    # Then the created one starts at its first event, the unresolved one at no time the payload says
    assert normalize("sentry", created)[0].starts_at.isoformat() == "2020-04-28T13:56:05.903736+00:00"
    assert normalize("sentry", unresolved)[0].starts_at is None


@pytest.mark.parametrize(("issue_status", "status"), [("resolved", "resolved"), ("ignored", "resolved")])
def test_sentry_assigned_keeps_the_issues_own_status(issue_status, status):
    # Given an "assigned" webhook for an issue that is resolved or archived already
    payload = load_fixture("sentry/zulip_issue_created.json")
    payload = {**payload, "action": "assigned"}
    payload["data"]["issue"]["status"] = issue_status
    # Then the alert says what the issue is, not that it fires again
    [alert] = normalize("sentry", payload)
    assert (alert.status, alert.acknowledged) == (status, False)


def test_sentry_issue_alert_and_issue_share_the_issue_id():
    # Given an issue alert for issue 1117540176 and an issue webhook for the same id
    [from_alert] = normalize("sentry", load_fixture("sentry/sentry_docs_issue_alert_triggered.json"))
    issue = load_fixture("sentry/zulip_issue_resolved.json")
    issue["data"]["issue"]["id"] = "1117540176"

    # Then the issue webhook resolves what the issue alert fired
    [resolved] = normalize("sentry", issue)
    assert resolved.fingerprint == from_alert.fingerprint
    assert from_alert.labels["triggered_rule"] == "Very Important Alert Rule!"


def test_pagerduty_acknowledged_incident_is_still_firing():
    [alert] = normalize("pagerduty", load_fixture("pagerduty/zulip_v3_incident_acknowledged.json"))
    assert (alert.status, alert.acknowledged) == ("firing", True)


def test_a_pagerduty_reopen_starts_when_it_reopened_not_when_its_incident_was_created():
    # Given an incident.reopened event: its incident keeps its creation time
    payload = load_fixture("pagerduty/zulip_v3_incident_triggered.json")
    payload["event"].update(event_type="incident.reopened", occurred_at="2021-06-04T14:30:05.000Z")
    payload["event"]["data"]["created_at"] = "2021-06-04T13:35:29Z"
    # Then the alert's episode starts at the reopen (a new one, later than the incident's resolve)
    [reopened] = normalize("pagerduty", payload)
    assert (reopened.status, reopened.starts_at.isoformat()) == ("firing", "2021-06-04T14:30:05+00:00")
    # And every other event of the incident starts at its creation
    payload["event"]["event_type"] = "incident.triggered"
    assert normalize("pagerduty", payload)[0].starts_at.isoformat() == "2021-06-04T13:35:29+00:00"


def test_pagerduty_incident_key_is_kept_as_a_label():
    [alert] = normalize("pagerduty", load_fixture("pagerduty/pagerduty_docs_v3_incident_priority_updated_p1.json"))
    assert alert.labels["incident_key"] == "d3640fbd41094207a1c11e58e46b1662"
    assert alert.url == "https://acme.pagerduty.com/incidents/PGR0VU2"


@pytest.mark.parametrize(
    ("action", "status", "update_only"),
    [
        ("Create", "firing", False),
        ("Acknowledge", "firing", True),
        ("AddNote", "firing", True),
        ("AddTags", "firing", True),
        ("Close", "resolved", False),
        ("Delete", "resolved", False),
    ],
)
def test_opsgenie_actions_other_than_create_and_close_are_updates(action, status, update_only):
    payload = {**load_fixture("opsgenie/zulip_acknowledge.json"), "action": action}
    [alert] = normalize("opsgenie", payload)
    assert (alert.status, alert.update_only) == (status, update_only)
