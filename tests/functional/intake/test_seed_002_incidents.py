"""Seed 002's incident reads at its own paths (/incidents...), as its client calls and reads them."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import wait_for, workflows_done

pytestmark = pytest.mark.functional


def _send(api, key: str, title: str, **fields) -> str:
    body = {"title": title, "severity": "critical", "fingerprint": title, **fields}
    return api.post("/webhook", headers={"X-API-Key": key, "X-Source": "webhook"}, json=body).json()["incident_id"]


def test_seed_002_incident_list_filters_by_state_and_answers_its_fields(api, ingest_key, admin_key):
    # Given three incidents of three services: one left open, one acknowledged, one resolved
    pod = "payments-api-7d8f9c6b5-x2k4m"
    still_open = _send(
        api, ingest_key, "cpu", service="payments-api", namespace="production", pod=pod, deployment="payments-api"
    )
    acked = _send(api, ingest_key, "disk", service="ledger")
    resolved = _send(api, ingest_key, "dns", service="resolver")
    assert api.post(f"/api/incidents/{acked}/acknowledge", headers=auth(admin_key)).status_code == 200
    assert api.post(f"/api/incidents/{resolved}/resolve", headers=auth(admin_key)).status_code == 200
    headers = {"X-API-Key": admin_key}

    # When seed 002's client lists them by state
    def ids(state: str) -> list[str]:
        body = api.get("/incidents", params={"state": state, "limit": 20}, headers=headers).json()
        assert body["count"] == len(body["incidents"]), body
        return [i["id"] for i in body["incidents"]]

    # Then each state has its own incident
    assert ids("open") == [still_open]
    assert ids("acknowledged") == [acked]
    assert ids("resolved") == [resolved]
    # And an incident carries the seed's fields
    listed = api.get("/incidents", params={"workspace_id": "default"}, headers=headers).json()["incidents"]
    [cpu] = [i for i in listed if i["id"] == still_open]
    assert cpu["state"] == "open" and cpu["workspace_id"] == "default"
    assert cpu["pod"] == pod and cpu["deployment"] == "payments-api"
    assert cpu["created_at"] and cpu["resolved_at"] is None
    assert {i["id"]: i["state"] for i in listed}[resolved] == "resolved"
    # And an unknown state is refused rather than ignored
    assert api.get("/incidents", params={"state": "sleeping"}, headers=headers).status_code in (400, 422)


def test_seed_002_incident_detail_answers_incident_metrics_and_actions(api, runtime, ingest_key, admin_key):
    # Given an incident, acknowledged
    incident_id = _send(api, ingest_key, "High CPU on payments-api", service="payments-api")
    workflows_done(runtime, 1)
    assert api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(admin_key)).status_code == 200
    # When seed 002's client reads it
    body = api.get(f"/incidents/{incident_id}", headers={"X-API-Key": admin_key}).json()
    # Then it finds the incident, its response metrics and its actions where the seed puts them
    assert body["incident"]["id"] == incident_id and body["incident"]["state"] == "acknowledged"
    assert body["incident"]["title"] == "High CPU on payments-api" and body["incident"]["created_at"]
    assert body["metrics"]["time_to_first_response_minutes"] is not None
    assert body["metrics"]["resolution_time_minutes"] is None and body["metrics"]["actions_taken"] == 0
    assert body["actions"] == []
    # and Pagerless's own fields are still there
    assert body["id"] == incident_id and body["status"]


def test_seed_002_timeline_answers_events(api, runtime, ingest_key, admin_key):
    incident_id = _send(api, ingest_key, "High CPU on payments-api", service="payments-api")
    workflows_done(runtime, 1)
    body = api.get(f"/incidents/{incident_id}/timeline", headers={"X-API-Key": admin_key}).json()
    assert body["incident_id"] == incident_id and body["count"] == len(body["events"]) > 0
    created = body["events"][0]
    assert created["event_type"] == "incident_created" and created["actor"] == "system"
    assert created["payload"]["severity"] == "critical" and created["created_at"]


def test_seed_002_group_answers_parent_children_and_is_parent(api, runtime, ingest_key, admin_key):
    # Given a root incident of checkout and a second alert of checkout correlated into it
    root = _send(api, ingest_key, "checkout 5xx", service="checkout")
    child = _send(api, ingest_key, "checkout slow", service="checkout")
    headers = {"X-API-Key": admin_key}
    # When seed 002's client reads the group of each
    of_root = api.get(f"/incidents/{root}/group", headers=headers).json()
    of_child = api.get(f"/incidents/{child}/group", headers=headers).json()
    # Then the root is the parent with its child, and the child names its parent
    assert of_root["incident_id"] == root and of_root["parent_id"] is None and of_root["is_parent"] is True
    assert [(c["incident_id"], bool(c["correlation_reason"])) for c in of_root["children"]] == [(child, True)]
    assert of_child["incident_id"] == child and of_child["parent_id"] == root and of_child["is_parent"] is False


def test_seed_002_similar_answers_similar_incidents(api, runtime, ingest_key, admin_key):
    # Given a resolved OOMKilled incident of payments-api and a new one in another namespace
    old = _send(api, ingest_key, "OOMKilled on payments-api", service="payments-api", namespace="staging")
    assert api.post(f"/api/incidents/{old}/resolve", headers=auth(admin_key)).status_code == 200
    new = _send(api, ingest_key, "OOMKilled on payments-api again", service="payments-api", namespace="production")
    # When seed 002's client asks for similar incidents
    body = api.get(f"/incidents/{new}/similar", headers={"X-API-Key": admin_key}).json()
    # Then the old one is listed under the seed's names
    assert body["incident_id"] == new and body["count"] == len(body["similar_incidents"]) >= 1, body
    first = body["similar_incidents"][0]
    assert first["id"] == old and 0 < first["similarity_score"] <= 1
    assert first["title"] == "OOMKilled on payments-api" and first["created_at"]


def test_seed_002_diagnosis_answers_incident_id_root_cause_and_suggested_actions(api, runtime, ingest_key, admin_key):
    incident_id = _send(api, ingest_key, "High CPU on payments-api", service="payments-api", namespace="production")
    workflows_done(runtime, 1)
    body = api.get(
        f"/incidents/{incident_id}/diagnosis", params={"log_limit": 50}, headers={"X-API-Key": admin_key}
    ).json()
    assert body["incident_id"] == incident_id
    assert body["root_cause"] and body["summary"] and 0 <= body["confidence"] <= 1
    assert body["suggested_actions"], body
    assert all(a["name"] and a["description"] for a in body["suggested_actions"])


def test_a_seed_path_answers_every_field_its_openapi_entry_adds(api, runtime, ingest_key, admin_key):
    import json

    from pagerless.api.aliases import ALIASES

    # Given a diagnosed incident of checkout with a second alert correlated into it, and a dead letter
    root = _send(api, ingest_key, "checkout 5xx", service="checkout")
    _send(api, ingest_key, "checkout slow", service="checkout")
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message=json.dumps({"title": "disk full"}),
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    runtime.poller.drain()
    headers = {"X-API-Key": admin_key}
    wait_for(lambda: api.get(f"/api/incidents/{root}/diagnosis", headers=headers).status_code == 200)
    # When seed 002's client asks each seed path that adds the seed's field names
    asked = {
        ("get", "/incidents"): api.get("/incidents", headers=headers),
        ("get", "/incidents/{incident_id}"): api.get(f"/incidents/{root}", headers=headers),
        ("get", "/incidents/{incident_id}/diagnosis"): api.get(f"/incidents/{root}/diagnosis", headers=headers),
        ("get", "/incidents/{incident_id}/group"): api.get(f"/incidents/{root}/group", headers=headers),
        ("get", "/incidents/{incident_id}/similar"): api.get(f"/incidents/{root}/similar", headers=headers),
        ("get", "/incidents/{incident_id}/timeline"): api.get(f"/incidents/{root}/timeline", headers=headers),
        ("get", "/webhook/dead-letter"): api.get("/webhook/dead-letter", headers=headers),
        ("post", "/webhook/deploy"): api.post("/webhook/deploy", json={"service": "checkout"}, headers=headers),
    }
    # Then each answer has every field its entry in the OpenAPI document says the seed's shape adds
    assert set(asked) == {(a.method.lower(), a.path) for a in ALIASES if a.shape is not None}
    document = api.get("/openapi.json").json()
    for (method, path), response in asked.items():
        assert response.status_code in (200, 201), (path, response.text)
        documented = document["paths"][path][method]["responses"][str(response.status_code)]
        _, added = documented["content"]["application/json"]["schema"]["allOf"]
        assert set(added["properties"]) <= set(response.json()), path
