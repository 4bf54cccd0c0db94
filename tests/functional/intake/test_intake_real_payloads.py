"""Real payloads through the real API: the seeds' examples, exporters' alerts, bare resolves."""

import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import fixture_json, post_alert

pytestmark = pytest.mark.functional

# Seed 002 (`POST /webhook`, X-Source: pagerduty), verbatim.
SEED_002_PAGERDUTY = """{
"event": {
"event_type": "incident.triggered",
"data": {
"id": "PD12345",
"title": "Database connection pool exhausted",
"urgency": "high",
"service": {"summary": "auth-service"}
}
}
}"""

# Seed 000 (`POST /api/alert`, JSON), verbatim.
SEED_000_ALERT = """{
"message": "[告警] Pod CrashLoopBackOff\\n服务: user-service\\n命名空间: production",
"sender_id": "alert_bot"
}"""


def _incident(api, key, incident_id):
    return api.get(f"/api/incidents/{incident_id}", headers=auth(key)).json()


def test_seed_002_pagerduty_example_is_ingested_on_the_header_route(api, ingest_key, admin_key):
    # Given the seed's PagerDuty example, sent as the seed says
    sent = api.post(
        "/webhook",
        content=SEED_002_PAGERDUTY.encode(),
        headers={**auth(ingest_key), "content-type": "application/json", "X-Source": "pagerduty"},
    )
    # Then it opens an incident with the seed's title, service and urgency
    assert sent.status_code == 200, sent.text
    [result] = sent.json()["alerts"]
    assert result["action"] == "created" and result["fingerprint"] == "PD12345"
    incident = _incident(api, admin_key, result["incident_id"])
    assert (incident["title"], incident["service"], incident["severity"]) == (
        "Database connection pool exhausted",
        "auth-service",
        "high",
    )


def test_seed_000_json_message_is_accepted_on_api_alert(api, ingest_key, admin_key):
    # Given the seed's JSON body: a chat bot's message and its sender
    sent = api.post(
        "/api/alert", content=SEED_000_ALERT.encode(), headers={**auth(ingest_key), "content-type": "application/json"}
    )
    # Then the message is read like the same text sent as text/plain
    assert sent.status_code == 200, sent.text
    [result] = sent.json()["alerts"]
    incident = _incident(api, admin_key, result["incident_id"])
    assert (incident["title"], incident["service"], incident["namespace"]) == (
        "Pod CrashLoopBackOff",
        "user-service",
        "production",
    )
    assert incident["labels"]["sender_id"] == "alert_bot"


def test_kube_state_metrics_alerts_about_two_deployments_are_two_incidents(api, ingest_key, admin_key):
    # Given kube-prometheus-stack alerts about two deployments, both carrying the exporter's labels
    payload = fixture_json("alertmanager/authored_kube_prometheus_stack_exporter_alerts.json")
    payload = {**payload, "alerts": payload["alerts"][:2]}
    # When Alertmanager sends them
    sent = post_alert(api, ingest_key, "alertmanager", payload)
    # Then each opens its own incident, named after its deployment, and neither is grouped under the other
    assert sent.status_code == 200, sent.text
    assert [r["action"] for r in sent.json()["alerts"]] == ["created", "created"]
    incidents = [_incident(api, admin_key, r["incident_id"]) for r in sent.json()["alerts"]]
    assert [i["service"] for i in incidents] == ["payments-api", "ledger-worker"]
    assert all(i.get("parent_id") is None for i in incidents)
    assert json.dumps(incidents).count("kube-state-metrics") >= 2  # the raw labels are still there


def test_a_bare_events_v2_resolve_keeps_the_alerts_title_severity_and_service(api, ingest_key, admin_key):
    # Given a PagerDuty Events v2 trigger, then the bare resolve PagerDuty senders send
    fired = post_alert(api, ingest_key, "pagerduty", fixture_json("generic/authored_pagerduty_events_v2_trigger.json"))
    incident_id = fired.json()["alerts"][0]["incident_id"]
    resolved = post_alert(
        api, ingest_key, "pagerduty", fixture_json("generic/authored_pagerduty_events_v2_resolve.json")
    )
    # Then the resolve is applied, and the alert still says what it was
    assert resolved.json()["alerts"][0]["action"] == "resolved"
    [alert] = api.get(f"/api/incidents/{incident_id}/alerts", headers=auth(admin_key)).json()["items"]
    assert alert["state"] == "resolved"
    assert (alert["alert"]["title"], alert["alert"]["severity"], alert["alert"]["service"]) == (
        "MySQL replication lag 340s on srv01.prod.example.com",
        "critical",
        "orders-db",
    )
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    [entry] = [e for e in timeline if e["type"] == "alert_resolved"]
    assert entry["message"] == "MySQL replication lag 340s on srv01.prod.example.com"


def test_incident_mutation_bodies_take_aliases_and_refuse_unknown_fields(api, ingest_key, operator_key, admin_key):
    opened = post_alert(api, ingest_key, "generic", {"title": "disk full", "fingerprint": "mutation-bodies"})
    incident_id = opened.json()["alerts"][0]["incident_id"]
    # Given a body with a misspelt field: refused with the field named, and nothing changes
    typo = api.post(
        f"/api/incidents/{incident_id}/resolve", json={"resolutoin": "freed space"}, headers=auth(operator_key)
    )
    assert typo.status_code == 422, typo.text
    assert typo.json()["error"]["code"] == "VALIDATION_ERROR" and "resolutoin" in typo.text
    assert _incident(api, admin_key, incident_id)["status"] != "resolved"
    comment = api.post(f"/api/incidents/{incident_id}/comment", json={"body": "hello"}, headers=auth(operator_key))
    assert comment.status_code == 422
    approve = api.post(f"/api/incidents/{incident_id}/approve", json={"comentt": "ok"}, headers=auth(operator_key))
    assert approve.status_code == 422
    # When the resolution is sent under its alias
    resolved = api.post(
        f"/api/incidents/{incident_id}/resolve", json={"resolution": "freed space on /var"}, headers=auth(operator_key)
    )
    # Then it is stored as the incident's resolution
    assert resolved.status_code == 200, resolved.text
    assert _incident(api, admin_key, incident_id)["resolution"] == "freed space on /var"
    commented = api.post(
        f"/api/incidents/{incident_id}/comment", json={"comment": "postmortem tomorrow"}, headers=auth(operator_key)
    )
    assert commented.status_code == 201 and commented.json()["message"] == "postmortem tomorrow"


def test_the_diagnosis_reads_as_of_the_alerts_start_or_as_of_now(api, ingest_key, runtime):
    from datetime import UTC, datetime

    from pagerless.store.contexts import ContextRepository
    from tests.functional.intake.conftest import workflows_done

    # Given one alert whose source says when it started, and one that says nothing
    before = datetime.now(UTC)
    dated = post_alert(
        api,
        ingest_key,
        "generic",
        {"title": "dated", "service": "a", "fingerprint": "as-of-1", "startsAt": "2026-11-30T08:14:07Z"},
    ).json()["alerts"][0]
    undated = post_alert(
        api, ingest_key, "generic", {"title": "undated", "service": "b", "fingerprint": "as-of-2"}
    ).json()["alerts"][0]
    # When their workflows have gathered the context
    workflows_done(runtime, 2)
    after = datetime.now(UTC)

    # Then the first is diagnosed as of its start, the second as of when it was handled
    def as_of(result):
        value = ContextRepository().get(result["incident_id"]).scenario()["alert"]["starts_at"]
        return datetime.fromisoformat(value)

    assert as_of(dated) == datetime(2026, 11, 30, 8, 14, 7, tzinfo=UTC)
    assert before <= as_of(undated) <= after


def test_a_firing_duplicate_of_an_incident_resolved_under_it_reopens_it(api, ingest_key, runtime):
    from pagerless.clock import utcnow
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.store.incidents import IncidentRecord, IncidentRepository
    from tests.functional.intake.conftest import workflows_done

    # Given an incident resolved while its alert was still firing (the workflow's resolve, caught in
    # the moment before it closes the alerts)
    body = {"title": "queue backlog", "service": "orders", "fingerprint": "resolved-under-it"}
    incident_id = post_alert(api, ingest_key, "generic", body).json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    repository = IncidentRepository()
    repository.set_status(
        repository.get(incident_id),
        IncidentStatus.RESOLVED,
        actions=[IncidentRecord.resolved_at.set(utcnow()), IncidentRecord.resolved_by.set("workflow")],
    )
    # When the alert is delivered again, still firing
    again = post_alert(api, ingest_key, "generic", body).json()["alerts"][0]
    # Then it reopens the incident instead of counting as a duplicate of a resolved one
    assert (again["action"], again["deduplicated"], again["incident_id"]) == ("reopened", False, incident_id)
    assert repository.get(incident_id).status != IncidentStatus.RESOLVED.value
    workflows_done(runtime, 2)


def test_a_queued_firing_duplicate_of_an_incident_resolved_under_it_reopens_it(
    api, ingest_key, admin_key, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.clock import utcnow
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.store.incidents import IncidentRecord, IncidentRepository
    from tests.functional.intake.conftest import workflows_done

    # Given alerts acknowledged at once and processed by the consumer (the default), and an
    # incident resolved while its alert was still firing
    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    settings.reset()
    body = {"title": "queue backlog", "service": "orders", "fingerprint": "resolved-under-it"}
    assert post_alert(api, ingest_key, "generic", body).status_code == 202
    runtime.poller.drain()
    workflows_done(runtime, 1)
    repository = IncidentRepository()
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    repository.set_status(
        repository.get(incident["id"]),
        IncidentStatus.RESOLVED,
        actions=[IncidentRecord.resolved_at.set(utcnow()), IncidentRecord.resolved_by.set("workflow")],
    )
    # When the alert is delivered again, still firing, through the queue
    assert post_alert(api, ingest_key, "generic", body).status_code == 202
    runtime.poller.drain()
    # Then it reopened the incident and restarted its workflow (its own delivery mark, taken back
    # with the duplicate count, does not make it look applied already)
    workflows_done(runtime, 2)
    reopened = api.get(f"/api/incidents/{incident['id']}", headers=auth(admin_key)).json()
    assert reopened["status"] != IncidentStatus.RESOLVED.value and reopened["resolved_at"] is None
    assert reopened["execution_arn"].endswith(f":{incident['id']}-r2")


def test_datadog_webhook_encoded_as_form_opens_and_resolves_its_incident(api, ingest_key, admin_key):
    # Given a Datadog webhook with "Encode as form" ticked: the template's fields arrive as
    # application/x-www-form-urlencoded (https://docs.datadoghq.com/integrations/webhooks/)
    from urllib.parse import urlencode

    def as_form(name: str) -> bytes:
        fields = fixture_json(f"datadog/{name}")
        return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}).encode()

    form = {"content-type": "application/x-www-form-urlencoded"}
    # When the monitor triggers, then recovers
    fired = post_alert(api, ingest_key, "datadog", as_form("keep_log_alert_triggered.json"), **form)
    recovered = post_alert(api, ingest_key, "datadog", as_form("keep_log_alert_recovered.json"), **form)
    # Then the trigger opens an incident for the monitor's scope and the recovery resolves it
    assert fired.status_code == 200, fired.text
    [opened] = fired.json()["alerts"]
    assert opened["action"] == "created"
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["alerts"][0]["action"] == "resolved"
    incident = _incident(api, admin_key, opened["incident_id"])
    assert incident["status"] == "resolved" and incident["service"] == "keep-api-matvey-kuk-workflows-fix"


def test_assigning_a_resolved_sentry_issue_does_not_reopen_its_incident(api, ingest_key, admin_key):
    # Given a Sentry issue that was created, then resolved
    created = fixture_json("sentry/zulip_issue_created.json")
    issue = created["data"]["issue"]
    resolved = {**created, "action": "resolved", "data": {"issue": {**issue, "status": "resolved"}}}
    opened = post_alert(api, ingest_key, "sentry", created).json()["alerts"][0]
    assert post_alert(api, ingest_key, "sentry", resolved).json()["alerts"][0]["action"] == "resolved"
    # When someone assigns the resolved issue to an owner for follow-up (Sentry sends action
    # "assigned" with the issue as it is: status "resolved")
    assigned = {**created, "action": "assigned", "data": {"issue": {**issue, "status": "resolved"}}}
    sent = post_alert(api, ingest_key, "sentry", assigned)
    # Then the incident stays resolved: nobody is paged again
    assert sent.status_code == 200, sent.text
    assert sent.json()["alerts"][0]["action"] == "ignored"
    assert _incident(api, admin_key, opened["incident_id"])["status"] == "resolved"


def test_opsgenie_updates_join_the_alerts_incident_and_never_reopen_it(api, ingest_key, admin_key):
    # Given an Opsgenie alert that was created and acknowledged, then closed
    # (https://docs.opsgenie.com/docs/webhook-integration: every alert action is posted, notes and tags too)
    create = fixture_json("opsgenie/authored_create_p1_with_details.json")
    acknowledge = fixture_json("opsgenie/zulip_acknowledge.json")
    note = {**acknowledge, "action": "AddNote", "alert": {**acknowledge["alert"], "note": "root cause: bad deploy"}}
    opened = post_alert(api, ingest_key, "opsgenie", create).json()["alerts"][0]
    acked = post_alert(api, ingest_key, "opsgenie", acknowledge).json()["alerts"][0]
    closed = post_alert(api, ingest_key, "opsgenie", fixture_json("opsgenie/zulip_close.json")).json()["alerts"][0]
    assert (acked["action"], acked["incident_id"]) == ("deduplicated", opened["incident_id"])
    assert closed["action"] == "resolved"
    # When someone adds a note to the closed alert, and a note arrives for an alert never created here
    noted = post_alert(api, ingest_key, "opsgenie", note)
    stray = {**note, "alert": {**note["alert"], "alias": "never-created", "alertId": "never-created"}}
    unknown = post_alert(api, ingest_key, "opsgenie", stray)
    # Then neither opens nor reopens an incident
    assert noted.status_code == 200 and noted.json()["alerts"][0]["action"] == "ignored"
    assert unknown.status_code == 200 and unknown.json()["alerts"][0]["action"] == "ignored"
    assert _incident(api, admin_key, opened["incident_id"])["status"] == "resolved"
    assert len(api.get("/api/incidents", headers=auth(admin_key)).json()["items"]) == 1


def test_an_acknowledgement_in_opsgenie_acknowledges_the_incident_once(api, ingest_key, admin_key):
    # Given an Opsgenie alert that opened an incident nobody has acknowledged
    opened = post_alert(api, ingest_key, "opsgenie", fixture_json("opsgenie/authored_create_p1_with_details.json"))
    incident_id = opened.json()["alerts"][0]["incident_id"]
    assert _incident(api, admin_key, incident_id)["acknowledged"] is False
    # When the on-call engineer acknowledges it in Opsgenie (its webhook posts the Acknowledge action)
    acknowledge = fixture_json("opsgenie/zulip_acknowledge.json")
    post_alert(api, ingest_key, "opsgenie", acknowledge)
    # Then the incident is acknowledged, by Opsgenie, with its time to acknowledge, as a click here would
    incident = _incident(api, admin_key, incident_id)
    assert (incident["acknowledged"], incident["acknowledged_by"]) == (True, "opsgenie")
    assert "time_to_acknowledge_seconds" in incident["metrics"]
    # And a second delivery of the acknowledgement records nothing more
    post_alert(api, ingest_key, "opsgenie", acknowledge)
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    assert [e["message"] for e in timeline if e["type"] == "acknowledged"] == ["acknowledged in opsgenie"]


def test_an_alert_whose_source_raises_its_priority_raises_its_incidents_severity(api, ingest_key, admin_key):
    import copy

    # Given a PagerDuty incident that triggered at priority P3 (a warning here)
    raised = fixture_json("pagerduty/pagerduty_docs_v3_incident_priority_updated_p1.json")
    triggered = copy.deepcopy(raised)
    triggered["event"]["event_type"] = "incident.triggered"
    triggered["event"]["data"]["priority"]["summary"] = "P3"
    opened = post_alert(api, ingest_key, "pagerduty", triggered).json()["alerts"][0]
    incident_id = opened["incident_id"]
    assert _incident(api, admin_key, incident_id)["severity"] == "warning"
    # When someone raises it to P1 in PagerDuty (its webhook posts incident.priority_updated)
    post_alert(api, ingest_key, "pagerduty", raised)
    # Then the incident is critical, its timeline says who raised it, and routes for critical hear of it
    assert _incident(api, admin_key, incident_id)["severity"] == "critical"
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    assert [e["message"] for e in timeline if e["type"] == "severity_raised"] == [
        "severity raised from warning to critical by pagerduty"
    ]
    # And a lower priority later does not lower it (a person may have acted on critical)
    post_alert(api, ingest_key, "pagerduty", triggered)
    assert _incident(api, admin_key, incident_id)["severity"] == "critical"


def _alarm_in_state(fixture: str, state: str, old_state: str, reason: str) -> dict:
    """The SNS notification of ``fixture`` for the same alarm moving from ``old_state`` to ``state``."""
    envelope = fixture_json(fixture)
    alarm = json.loads(envelope["Message"])
    alarm.update(NewStateValue=state, OldStateValue=old_state, NewStateReason=reason)
    subject = f'{state}: "{alarm["AlarmName"]}" in {alarm["Region"]}'
    return {**envelope, "Subject": subject, "Message": json.dumps(alarm)}


def test_a_cloudwatch_alarm_whose_metric_stops_reporting_keeps_its_incident_open_and_says_so(
    api, ingest_key, admin_key
):
    no_data = "Insufficient Data: 1 datapoint was unknown."
    # Given a CloudWatch alarm in ALARM that opened an incident
    alarm = fixture_json("cloudwatch_sns/authored_sns_http_notification_ok_same_alarm.json")
    firing = _alarm_in_state(
        "cloudwatch_sns/authored_sns_http_notification_ok_same_alarm.json", "ALARM", "OK", "Threshold Crossed"
    )
    opened = post_alert(api, ingest_key, "cloudwatch", firing).json()["alerts"][0]
    assert opened["action"] == "created"
    # When the alarm goes from ALARM to INSUFFICIENT_DATA (its metric stopped reporting)
    stopped = _alarm_in_state(
        "cloudwatch_sns/authored_sns_http_notification_ok_same_alarm.json", "INSUFFICIENT_DATA", "ALARM", no_data
    )
    response = post_alert(api, ingest_key, "cloudwatch", stopped)
    # Then the incident is not resolved (nothing says the problem is over) and its timeline says why
    assert response.status_code == 200, response.text
    [result] = response.json()["alerts"]
    assert (result["incident_id"], result["action"]) == (opened["incident_id"], "deduplicated")
    incident = _incident(api, admin_key, opened["incident_id"])
    assert incident["status"] != "resolved" and incident["open_alerts"] == 1
    timeline = api.get(f"/api/incidents/{opened['incident_id']}/timeline", headers=auth(admin_key)).json()["items"]
    [entry] = [e for e in timeline if e["type"] == "alert_no_data"]
    assert no_data in entry["message"] and entry["data"]["fingerprint"] == opened["fingerprint"]
    # When the alarm recovers (OK), then loses its data again
    resolved = post_alert(api, ingest_key, "cloudwatch", alarm).json()["alerts"][0]
    assert resolved["action"] == "resolved"
    quiet = _alarm_in_state(
        "cloudwatch_sns/authored_sns_http_notification_ok_same_alarm.json", "INSUFFICIENT_DATA", "OK", no_data
    )
    response = post_alert(api, ingest_key, "cloudwatch", quiet)
    # Then that is no problem: nothing is opened or reopened
    assert response.status_code == 200 and response.json()["alerts"] == []
    assert _incident(api, admin_key, opened["incident_id"])["status"] == "resolved"
    assert len(api.get("/api/incidents", headers=auth(admin_key)).json()["items"]) == 1
