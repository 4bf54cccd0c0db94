"""Regression tests of intake defects found by fuzzing: large payloads, queue retries that
duplicated incidents, payloads that could never succeed, and control characters."""

import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import incident_count, post_alert
from tests.functional.intake.test_intake_nothing_lost import incidents_table_down  # noqa: F401 - fixture

pytestmark = pytest.mark.functional


def _alertmanager(kib: int, *, alerts: int = 1, fingerprint: str = "bigalert") -> dict:
    """A valid Alertmanager group whose alerts carry ``kib`` KiB of annotation text in all."""
    share = kib * 1024 // alerts
    return {
        "version": "4",
        "status": "firing",
        "receiver": "pagerless",
        "groupKey": "{}:{}",
        "alerts": [
            {
                "status": "firing",
                "fingerprint": f"{fingerprint}{n}",
                "labels": {
                    "alertname": f"HugeLog{n}",
                    "service": "billing",
                    "namespace": "prod",
                    "severity": "critical",
                },
                "annotations": {"summary": "log dump", "description": "stack frame line\n" * (share // 17)},
                "startsAt": "2026-01-01T00:00:00Z",
            }
            for n in range(alerts)
        ],
    }


@pytest.mark.parametrize("kib", [230, 340, 420, 900])
def test_large_valid_payload_is_processed_once_and_said_so(api, runtime, ingest_key, kib):
    # When a valid Alertmanager payload of this size is posted twice
    first = post_alert(api, ingest_key, "alertmanager", _alertmanager(kib))
    again = post_alert(api, ingest_key, "alertmanager", _alertmanager(kib))
    # Then it is processed at once (its prose cut to fit), and the second is a duplicate of it
    assert first.status_code == 200, first.text[:300]
    [created] = first.json()["alerts"]
    assert created["action"] == "created"
    assert again.status_code == 200 and again.json()["alerts"][0]["incident_id"] == created["incident_id"]
    assert incident_count() == 1


def test_several_large_alerts_in_one_payload_each_open_or_join_once(api, runtime, ingest_key, admin_key):
    response = post_alert(api, ingest_key, "alertmanager", _alertmanager(900, alerts=3))
    assert response.status_code == 200, response.text[:300]
    assert [a["action"] for a in response.json()["alerts"]] == ["created", "correlated", "correlated"]
    assert incident_count() == 3


def test_alert_too_large_to_keep_is_413_naming_the_limit(api, runtime, ingest_key):
    # Given an alert whose labels (what identifies it, never cut) are larger than one alert may be
    payload = {"title": "labels galore", "service": "billing", "labels": {f"l{n}": "v" * 1000 for n in range(300)}}
    response = post_alert(api, ingest_key, "generic", payload)
    # Then it is a 413 that names the limit, and nothing is stored
    assert response.status_code == 413, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE" and "PAGERLESS_INTAKE_MAX_ALERT_BYTES" in error["message"]
    assert incident_count() == 0


def test_queued_large_payload_makes_one_incident_through_retries(
    api, runtime, ingest_key, admin_key, incidents_table_down
):  # noqa: F811
    # Given the store is down when a 230 KiB payload arrives
    response = post_alert(api, ingest_key, "alertmanager", _alertmanager(230))
    assert response.status_code == 202 and response.json()["queued"] is True
    # When the queue is retried while the store is still down, then again once it is back
    runtime.poller.drain()
    incidents_table_down.restore()
    for _ in range(3):
        runtime.poller.drain()
    replayed = [
        api.post(f"/api/webhooks/dead-letter/{d['id']}/replay", headers=auth(admin_key))
        for d in api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    ]
    # Then there is exactly one incident, and a direct delivery is a duplicate of it
    assert incident_count() == 1 and all(r.status_code == 200 for r in replayed)
    direct = post_alert(api, ingest_key, "alertmanager", _alertmanager(230)).json()["alerts"][0]
    assert direct["deduplicated"] is True and incident_count() == 1


def test_payload_larger_than_one_queue_message_is_queued_alert_by_alert(
    api, runtime, ingest_key, admin_key, incidents_table_down
):  # noqa: F811
    # Given the store is down when a 700 KiB payload of 5 alerts arrives (more than one SQS message)
    response = post_alert(api, ingest_key, "alertmanager", _alertmanager(700, alerts=5))
    # Then it is queued, alert by alert, and the answer says which
    assert response.status_code == 202, response.text[:300]
    body = response.json()
    assert (
        body["queued"] is True and body["alerts"] == [] and body["queued_alerts"] == [f"bigalert{n}" for n in range(5)]
    )
    # When the store is back and the queue drained: five incidents, once each
    incidents_table_down.restore()
    runtime.poller.drain()
    runtime.poller.drain()
    assert incident_count() == 5
    again = post_alert(api, ingest_key, "alertmanager", _alertmanager(700, alerts=5)).json()["alerts"]
    assert all(a["deduplicated"] for a in again) and incident_count() == 5


def test_too_many_alerts_in_one_payload_is_413(api, runtime, ingest_key):
    payload = [{"title": f"alert {n}", "service": "billing"} for n in range(101)]
    response = post_alert(api, ingest_key, "generic", payload)
    assert response.status_code == 413
    assert "at most 100" in response.json()["error"]["message"] and incident_count() == 0


@pytest.mark.parametrize(
    "source,body,content_type",
    [
        ("generic", b'{"title": "bad \\ud800 title", "service": "billing"}', "application/json"),
        ("generic", b'{"title": "ok", "labels": {"k\\udfff": "v"}}', "application/json"),
        ("text", b'{"a":' * 10000 + b"1" + b"}" * 10000, "text/plain"),
    ],
)
def test_payloads_that_can_never_succeed_are_400_at_once(api, runtime, ingest_key, source, body, content_type):
    response = post_alert(api, ingest_key, source, body, **{"content-type": content_type})
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert incident_count() == 0


def test_control_characters_are_stripped_from_every_normalized_field(api, runtime, ingest_key, admin_key):
    payload = {
        "title": "disk\x00 full\x1b[2J",
        "service": "billing\r\nX-Injected: 1",
        "namespace": "prod\x07",
        "description": "line one\r\nline two\x1b",
        "labels": {"team\x00": "pay\nments"},
    }
    response = post_alert(api, ingest_key, "generic", payload)
    assert response.status_code == 200, response.text
    incident_id = response.json()["alerts"][0]["incident_id"]
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    assert incident["title"] == "disk full[2J" and incident["service"] == "billing X-Injected: 1"
    assert incident["namespace"] == "prod" and incident["description"] == "line one\nline two"
    assert incident["labels"]["team"] == "pay ments"
    stored = json.dumps(incident)
    assert "\\u0000" not in stored and "\\u001b" not in stored and "\\r" not in stored


def test_an_alert_whose_service_namespace_or_fingerprint_is_longer_than_a_key_opens_its_incident(
    api, runtime, ingest_key, admin_key
):
    # Given Alertmanager alerts whose service, namespace and fingerprint are 3,000 bytes each (DynamoDB keys hold
    # 2,048 at most; before, deployed, each delivery failed on every retry and was dead-lettered)
    service, namespace = "svc-" + "s" * 2996, "命" * 1000
    alert = {
        "status": "firing",
        "fingerprint": "f" * 3000,
        "labels": {"alertname": "Long", "service": service, "namespace": namespace},
        "annotations": {"summary": "long names"},
        "startsAt": "2026-12-06T10:00:00Z",
    }
    first = post_alert(api, ingest_key, "alertmanager", {"alerts": [alert]})
    # Then it opens an incident at once, whose service and namespace keep their start and end in a hash of the whole
    assert first.status_code == 200, first.text
    [opened] = first.json()["alerts"]
    incident = api.get(f"/api/incidents/{opened['incident_id']}", headers=auth(admin_key)).json()
    assert incident["service"].startswith("svc-sss") and len(incident["service"].encode()) <= 512
    assert incident["namespace"].startswith("命命") and len(incident["namespace"].encode()) <= 512
    assert incident["service"] != service[:300] and "…" in incident["service"]
    # And its labels keep the values as sent
    assert incident["labels"]["service"] == service and incident["labels"]["namespace"] == namespace
    # And the same alert again is its duplicate; one whose service differs only past the cut is another problem
    again = post_alert(api, ingest_key, "alertmanager", {"alerts": [alert]}).json()["alerts"][0]
    assert again["deduplicated"] is True and again["incident_id"] == opened["incident_id"]
    other = {**alert, "fingerprint": "g" * 3000, "labels": {**alert["labels"], "service": service + "2"}}
    second = post_alert(api, ingest_key, "alertmanager", {"alerts": [other]}).json()["alerts"][0]
    other_incident = api.get(f"/api/incidents/{second['incident_id']}", headers=auth(admin_key)).json()
    assert other_incident["service"] != incident["service"]
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


def test_an_alert_with_characters_sqs_does_not_keep_is_queued_and_opens_its_incident(
    api, runtime, ingest_key, admin_key, monkeypatch
):
    from pagerless import settings

    # Given intake that acknowledges by queueing (as deployed), and an alert whose text holds U+FFFF and U+FFFE
    # (valid Unicode that SQS refuses in a message; before, the queue refused the payload and it was processed in
    # the request instead, and when the store was down too it could not be kept at all)
    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    settings.reset()
    title = "disk \uffff full \ufffe on db-1"
    body = json.dumps({"title": title, "service": "db"}, ensure_ascii=False).encode()
    # When it is posted
    response = post_alert(api, ingest_key, "generic", body)
    # Then the queue takes it, and the consumer opens its incident with the title as sent
    assert response.status_code == 202 and response.json()["queued"] is True, response.text
    runtime.poller.drain()
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    assert incident["title"] == title
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []
