"""Alert intake is audited (who sent what), and audit records name the actor's key by name and id."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def test_alert_intake_is_audited_with_the_sender_and_the_alerts(api, admin_key):
    from pagerless.api.security import key_service

    sender = key_service().create(workspace="default", role="ingest", name="prometheus-prod")
    sent = api.post(
        "/api/webhooks/generic",
        json={"title": "disk full", "service": "db", "fingerprint": "disk-1"},
        headers=auth(sender.secret),
    )
    incident_id = sent.json()["alerts"][0]["incident_id"]
    [entry] = api.get("/api/audit-logs", params={"action": "POST /api/webhooks"}, headers=auth(admin_key)).json()[
        "items"
    ]
    assert entry["actor"] == sender.record.key_id and entry["actor_name"] == "prometheus-prod"
    assert entry["details"]["source"] == "generic" and entry["details"]["alerts"] == [
        {"fingerprint": "disk-1", "incident_id": incident_id, "action": "created"}
    ]


def test_an_agent_tokens_calls_are_audited_with_the_tokens_name(api, admin_key):
    # Given an agent token named for its cluster
    made = api.post("/api/agent-tokens", json={"name": "eu1 agent"}, headers=auth(admin_key)).json()
    # When the agent records a deploy
    assert api.post("/api/deploys", json={"service": "checkout"}, headers=auth(made["token"])).status_code == 201
    # Then the audit log names the token beside its id, as it does a key
    [entry] = api.get("/api/audit-logs", params={"action": "POST /api/deploys"}, headers=auth(admin_key)).json()[
        "items"
    ]
    assert (entry["actor"], entry["actor_name"]) == (f"agent:{made['id']}", "eu1 agent")
