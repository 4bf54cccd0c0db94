"""Seed 002's ingest answers: POST /webhook (X-Source) and POST /webhook/{source}, read as its client reads them."""

import pytest

pytestmark = pytest.mark.functional

GENERIC = {
    "title": "High CPU on payments-api",
    "description": "CPU usage > 90% for 5 minutes",
    "severity": "critical",
    "source": "prometheus",
    "namespace": "production",
    "pod": "payments-api-7d8f9c6b5-x2k4m",
    "deployment": "payments-api",
    "service": "payments-api",
}
PAGERDUTY = {
    "event": {
        "event_type": "incident.triggered",
        "data": {
            "id": "PD12345",
            "title": "Service degraded",
            "urgency": "high",
            "service": {"summary": "api-gateway"},
        },
    }
}


def test_seed_002_webhook_answers_ok_incident_id_and_dedup(api, ingest_key):
    headers = {"X-API-Key": ingest_key, "X-Source": "webhook"}
    # When seed 002's generic alert is sent twice
    first = api.post("/webhook", headers=headers, json=GENERIC)
    second = api.post("/webhook", headers=headers, json=GENERIC)
    # Then each answer has the seed's top-level fields, the second one deduplicated into the first incident
    assert first.status_code == 200, first.text
    one, two = first.json(), second.json()
    assert one["ok"] is True and one["incident_id"] == one["alerts"][0]["incident_id"]
    assert one["deduplicated"] is False and one["dedup_strategy"] is None and one["group_id"] is None
    assert two["ok"] is True and two["incident_id"] == one["incident_id"]
    assert two["deduplicated"] is True and two["dedup_strategy"] == "fingerprint"


def test_seed_002_correlated_alert_names_its_group(api, ingest_key):
    headers = {"X-API-Key": ingest_key, "X-Source": "webhook"}
    # Given an incident of checkout
    root = api.post(
        "/webhook", headers=headers, json={"title": "checkout 5xx", "service": "checkout", "fingerprint": "a"}
    )
    # When another alert of checkout arrives and is correlated into it
    child = api.post(
        "/webhook", headers=headers, json={"title": "checkout slow", "service": "checkout", "fingerprint": "b"}
    )
    # Then its answer names the root incident as its group
    assert child.json()["alerts"][0]["action"] == "correlated", child.text
    assert child.json()["group_id"] == root.json()["incident_id"]
    assert child.json()["alerts"][0]["group_id"] == root.json()["incident_id"]


def test_seed_002_pagerduty_webhook_answers_the_sync_fields(api, ingest_key):
    # When seed 002's PagerDuty v3 event is sent to /webhook/pagerduty
    response = api.post("/webhook/pagerduty", headers={"X-API-Key": ingest_key}, json=PAGERDUTY)
    # Then the answer names the PagerDuty incident, the local one and what was done
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    assert body["event_type"] == "incident.triggered"
    assert body["pd_incident_id"] == "PD12345"
    assert body["local_incident_id"] == body["incident_id"] == body["alerts"][0]["incident_id"]
    assert body["action_taken"] == "created"


def test_seed_002_dead_letter_answers_entries_and_count(api, runtime, operator_key):
    import json

    # Given an SNS message no normalizer can read, dead-lettered by the consumer
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message=json.dumps({"title": "disk full", "service": "db"}),
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    runtime.poller.drain()
    # When seed 002's client inspects the dead letters
    response = api.get("/webhook/dead-letter", params={"limit": 100}, headers={"X-API-Key": operator_key})
    # Then it reads entries with the payload, source, error and timestamp, and their count
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["entries"]) == 1
    [entry] = body["entries"]
    assert "disk full" in entry["payload"] and entry["source"] == "alertmanager"
    assert "alertmanager" in entry["error"] and entry["timestamp"]


def test_seed_002_pagerduty_by_header_answers_the_sync_fields(api, ingest_key):
    # When seed 002's PagerDuty example is sent to /webhook with its X-Source header (any case)
    response = api.post("/webhook", headers={"X-API-Key": ingest_key, "X-Source": "PagerDuty"}, json=PAGERDUTY)
    # Then the answer names the PagerDuty incident too
    assert response.status_code == 200, response.text
    assert response.json()["pd_incident_id"] == "PD12345" and response.json()["action_taken"] == "created"


@pytest.mark.parametrize(
    "path",
    ["/webhook?sync=true", "/webhook/generic?sync=true", "/api/webhooks/generic?sync=true", "/api/alert?sync=false"],
)
def test_x_workspace_id_of_another_workspace_is_refused_and_nothing_is_stored(
    api, runtime, ingest_key, admin_key, path
):
    # When a key of workspace "default" sends seed 002's alert naming workspace ws-acme in X-Workspace-Id
    headers = {"X-API-Key": ingest_key, "X-Workspace-Id": "ws-acme"}
    response = api.post(path, headers=headers, json=GENERIC)
    # Then it is refused as GET /incidents?workspace_id=ws-acme is, in the error format
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert response.json()["error"]["details"] == [{"field": "X-Workspace-Id"}]
    # And no incident was opened in any workspace, nor an alert queued to open one
    runtime.poller.drain()
    assert api.get("/api/incidents", headers={"X-API-Key": admin_key}).json()["items"] == []


def test_x_workspace_id_of_the_keys_own_workspace_is_served(api, ingest_key, admin_key):
    # When the header names the key's own workspace
    headers = {"X-API-Key": ingest_key, "X-Workspace-Id": "default", "X-Source": "webhook"}
    response = api.post("/webhook?sync=true", headers=headers, json=GENERIC)
    # Then the alert opens its incident there, as without the header
    assert response.status_code == 200, response.text
    listed = api.get("/incidents", params={"workspace_id": "default"}, headers={"X-API-Key": admin_key}).json()
    assert [i["id"] for i in listed["incidents"]] == [response.json()["incident_id"]]
