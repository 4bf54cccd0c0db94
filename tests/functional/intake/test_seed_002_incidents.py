"""Seed 002's incident reads at its own paths (/incidents...), as its client calls and reads them."""

import pytest

from tests.conftest import auth

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
