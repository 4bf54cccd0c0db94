"""Acknowledge fast (the default): a webhook is answered 202 once its alerts are on the alert queue;
the consumer deduplicates them and opens their incidents. ``?sync=true`` answers with incident ids."""

import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import fixture_json, post_alert

pytestmark = pytest.mark.functional


@pytest.fixture
def queue_mode(runtime, monkeypatch):
    """The product default: PAGERLESS_INTAKE_ACKNOWLEDGE=queue (tests/conftest.py sets sync)."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    settings.reset()
    yield
    settings.reset()


def _queue_depth(runtime) -> int:
    sqs = runtime.client("sqs")
    url = runtime.provisioned.queues["AlertQueue"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _incidents(api, key) -> list[dict]:
    return api.get("/api/incidents", headers=auth(key), params={"limit": 100}).json()["items"]


def _alertmanager(names: list[str], status: str = "firing") -> dict:
    return {
        "version": "4",
        "status": status,
        "receiver": "pagerless",
        "groupKey": "{}:{}",
        "alerts": [
            {
                "status": status,
                "fingerprint": f"fp-{name}",
                "labels": {
                    "alertname": name,
                    "namespace": f"ns-{name}",
                    "service": f"svc-{name}",
                    "severity": "critical",
                },
                "annotations": {"summary": f"{name} is failing"},
                "startsAt": "2026-01-01T00:00:00Z",
            }
            for name in names
        ],
    }


def test_an_acknowledged_payload_is_queued_in_one_message_and_becomes_its_incidents(
    api, runtime, ingest_key, admin_key, queue_mode
):
    # Given an Alertmanager webhook with three alerts
    names = ["DiskFull", "PodCrashLooping", "HighLatency"]
    # When it is posted with the default acknowledgement
    response = post_alert(api, ingest_key, "alertmanager", _alertmanager(names))
    # Then it is accepted at once, naming every alert, with nothing processed yet
    assert response.status_code == 202
    body = response.json()
    assert body["queued"] is True and body["reason"] == "accepted" and body["accepted"] == 3
    assert body["queued_alerts"] == [f"fp-{name}" for name in names]
    assert _incidents(api, admin_key) == []
    # And the queue holds the payload as one message
    assert _queue_depth(runtime) == 1
    # When the consumer runs
    runtime.poller.drain()
    # Then each alert opened its incident, and the queue is empty
    incidents = _incidents(api, admin_key)
    assert sorted(i["title"] for i in incidents) == sorted(names)
    assert _queue_depth(runtime) == 0


def test_a_duplicate_acknowledged_alert_joins_its_incident(api, runtime, ingest_key, admin_key, queue_mode):
    # Given an acknowledged alert that became an incident
    post_alert(api, ingest_key, "alertmanager", _alertmanager(["DiskFull"]))
    runtime.poller.drain()
    # When the same alert fires twice more
    for _ in range(2):
        assert post_alert(api, ingest_key, "alertmanager", _alertmanager(["DiskFull"])).status_code == 202
    runtime.poller.drain()
    # Then it is still one incident, counting three alerts
    assert [(i["title"], i["alert_count"]) for i in _incidents(api, admin_key)] == [("DiskFull", 3)]


def test_sync_true_answers_with_the_incident_id(api, runtime, ingest_key, admin_key, queue_mode):
    # When an alert is posted with ?sync=true
    response = api.post(
        "/api/webhooks/alertmanager?sync=true",
        content=json.dumps(_alertmanager(["DiskFull"])),
        headers={**auth(ingest_key), "content-type": "application/json"},
    )
    # Then the answer carries the incident it opened, and nothing was queued
    assert response.status_code == 200
    [result] = response.json()["alerts"]
    assert result["action"] == "created" and result["incident_id"]
    assert [i["id"] for i in _incidents(api, admin_key)] == [result["incident_id"]]
    assert _queue_depth(runtime) == 0


def test_sync_false_queues_even_when_the_setting_is_sync(api, runtime, ingest_key, admin_key):
    # Given the tests' default of synchronous intake; when a caller asks for ?sync=false
    response = api.post(
        "/api/alert?sync=false", content=b"checkout is down", headers={**auth(ingest_key), "content-type": "text/plain"}
    )
    # Then it is queued, and the consumer opens the incident
    assert response.status_code == 202 and response.json()["accepted"] == 1
    runtime.poller.drain()
    assert [i["title"] for i in _incidents(api, admin_key)] == ["checkout is down"]


def test_a_payload_too_large_for_one_message_is_queued_in_batches_and_nothing_is_lost(
    api, runtime, ingest_key, admin_key, queue_mode
):
    # Given 30 alerts whose payload is larger than one SQS message (256 KiB)
    payload = _alertmanager([f"Big{n}" for n in range(30)])
    for alert in payload["alerts"]:
        alert["annotations"]["description"] = "x" * 12_000
    assert len(json.dumps(payload)) > 256 * 1024
    # When it is posted
    response = post_alert(api, ingest_key, "alertmanager", payload)
    # Then all 30 are accepted, queued as one message each (SendMessageBatch)
    assert response.status_code == 202 and response.json()["accepted"] == 30
    assert _queue_depth(runtime) == 30
    # And after the consumer, every alert has its incident
    runtime.poller.drain()
    assert len(_incidents(api, admin_key)) == 30


def test_invalid_payloads_are_refused_before_anything_is_queued(api, runtime, ingest_key, queue_mode):
    response = post_alert(api, ingest_key, "alertmanager", b"{not json")
    assert response.status_code == 400 and response.json()["error"]["code"]
    assert _queue_depth(runtime) == 0


def test_when_the_queue_is_unavailable_the_alerts_are_processed_in_the_request(
    api, runtime, ingest_key, admin_key, queue_mode, monkeypatch
):
    # Given an alert queue that no longer exists
    runtime.client("sqs").delete_queue(QueueUrl=runtime.provisioned.queues["AlertQueue"])
    # When a real Alertmanager fixture is posted
    response = post_alert(
        api, ingest_key, "alertmanager", fixture_json("alertmanager/zulip_firing_batch_2_alerts.json")
    )
    # Then nothing is lost: it was processed synchronously and answers with its incidents
    assert response.status_code == 200
    results = response.json()["alerts"]
    assert results and all(r["incident_id"] for r in results)
