"""The OOMKilled incident end to end with notifications: every step's message reaches a fake Slack
and a fake Lark, the approval cards carry the buttons, and the API approval updates both cards."""

import json

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_APP_SECRET, SLACK_TOKEN, ChatVendors
from tests.functional.workflow.conftest import open_incident, wait_for_status

pytestmark = pytest.mark.functional


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


def _channel(api, key, name, channel_type, config) -> str:
    response = api.post(
        "/api/notifications/channels",
        headers=auth(key),
        json={"name": name, "channel_type": channel_type, "config": config},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_workflow_notifies_each_step_and_the_approval_updates_every_card(
    sandbox, scenario, api, admin_key, runtime, vendors
):
    slack = _channel(
        api,
        admin_key,
        "ops-slack",
        "slack",
        {"bot_token": SLACK_TOKEN, "channel": "C0OPS", "api_base": f"{vendors.base_url}/slack/api"},
    )
    lark = _channel(
        api,
        admin_key,
        "ops-lark",
        "lark",
        {"app_id": LARK_APP_ID, "app_secret": LARK_APP_SECRET, "receive_id": "oc_ops", "api_base": vendors.base_url},
    )
    assert (
        api.put(
            "/api/notifications/routes", headers=auth(admin_key), json={"routes": [{"channels": [slack, lark]}]}
        ).status_code
        == 200
    )
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    runtime.poller.drain()
    titles = [r.body["text"] for r in vendors.to("/slack/api/chat.postMessage")]
    assert any(t.startswith("[CRITICAL] Diagnosed:") or "Diagnosed:" in t for t in titles), titles
    [card] = [r.body for r in vendors.to("/slack/api/chat.postMessage") if "Approval needed" in r.body["text"]]
    buttons = card["blocks"][-1]["elements"]
    value = json.loads(buttons[0]["value"])
    assert value["incident_id"] == incident.id and value["action"] == "approve" and value["pl"] == 1
    lark_cards = [json.loads(r.body["content"]) for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    assert any(e["tag"] == "action" for c in lark_cards for e in c["elements"])
    # When an operator approves over the API
    assert (
        api.post(f"/api/incidents/{incident.id}/approve", json={"comment": "go"}, headers=auth(admin_key)).status_code
        == 200
    )
    wait_for_status(incident.id, "resolved")
    runtime.poller.drain()
    # Then both cards were updated in place, and the fix and the resolution were announced
    # (the approval card says who approved; the thread's first message says resolved: both without buttons)
    updates = {u.body["text"].split(" ", 1)[1].split(":")[0]: u.body for u in vendors.to("/slack/api/chat.update")}
    assert sorted(updates) == ["Approved", "PaymentsApiHighErrorRate"], updates
    assert all(u["ts"] and all(b["type"] != "actions" for b in u["blocks"]) for u in updates.values())
    patched = [json.loads(r.body["content"]) for r in vendors.requests if r.method == "PATCH"]
    notes = sorted(c["elements"][-1]["elements"][0]["content"].split(" by ")[0] for c in patched)
    assert notes == ["Approved", "Resolved"], patched
    titles = [r.body["text"] for r in vendors.to("/slack/api/chat.postMessage")]
    assert any("Fix applied" in t for t in titles) and any(t.startswith("[RESOLVED]") for t in titles), titles
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert logs["items"] and all(i["status"] == "sent" for i in logs["items"])
