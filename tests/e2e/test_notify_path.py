"""`pagerless dev --sandbox` with notifications: an OOM alert puts approval cards in a fake Slack and a
fake Lark (secrets in the embedded SSM), an approval over HTTP turns both cards into "Approved by …",
and the resolution is announced; the delivery log shows it all."""

import json
import time

import pytest

from tests.e2e.harness import ROOT, DevServer
from tests.e2e.harness import alertmanager_payload as _alertmanager_payload
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_APP_SECRET, SLACK_TOKEN, ChatVendors

pytestmark = pytest.mark.e2e

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_e2e-notify-path-admin-key-0123456789"


def _wait_for(read, predicate, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = read()
        if predicate(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"condition not met in time; last value: {str(value)[:3000]}")


def test_alert_to_cards_to_approval_to_updated_cards_and_resolution(tmp_path):
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    vendors = ChatVendors().start()
    server = DevServer(
        tmp_path / "state",
        admin_key=ADMIN_KEY,
        extra_args=["--sandbox", str(SCENARIO)],
        env={
            "PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "1",
            "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "3",
            "PAGERLESS_WORKFLOW_ALERT_CLEAR_GRACE_SECONDS": "0",
        },
    )
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            slack = api.post(
                "/api/notifications/channels",
                json={
                    "name": "ops-slack",
                    "channel_type": "slack",
                    "config": {
                        "bot_token": SLACK_TOKEN,
                        "channel": "C0OPS",
                        "api_base": f"{vendors.base_url}/slack/api",
                    },
                },
            ).json()
            lark = api.post(
                "/api/notifications/channels",
                json={
                    "name": "ops-lark",
                    "channel_type": "lark",
                    "config": {
                        "app_id": LARK_APP_ID,
                        "app_secret": LARK_APP_SECRET,
                        "receive_id": "oc_ops",
                        "api_base": vendors.base_url,
                    },
                },
            ).json()
            assert SLACK_TOKEN not in json.dumps(slack) and LARK_APP_SECRET not in json.dumps(lark)
            assert api.get("/api/status").json()["notifications"]["configured"] is False
            assert (
                api.put(
                    "/api/notifications/routes", json={"default_rules": {"critical": ["ops-slack", "ops-lark"]}}
                ).status_code
                == 200
            )
            assert api.get("/api/status").json()["notifications"]["configured"] is True
            sent = api.post("/api/webhooks/alertmanager", json=_alertmanager_payload(scenario["alert"]))
            assert sent.status_code in (200, 202), sent.text
            # Then approval cards reach both vendors
            _wait_for(
                lambda: [r for r in vendors.to("/slack/api/chat.postMessage") if "Approval needed" in r.body["text"]],
                lambda cards: len(cards) == 1,
            )
            _wait_for(
                lambda: [
                    r
                    for r in vendors.to("/open-apis/im/v1/messages")
                    if r.method == "POST" and "Approval needed" in r.body["content"]
                ],
                lambda cards: len(cards) == 1,
            )
            incident_id = api.get("/api/incidents").json()["items"][0]["id"]
            # When an operator approves over HTTP
            approved = api.post(f"/api/incidents/{incident_id}/approve", json={"comment": "go"})
            assert approved.status_code == 200, approved.text
            # Then both cards are updated in place, and the resolution is announced
            [update] = _wait_for(
                lambda: [
                    u for u in vendors.to("/slack/api/chat.update") if "Approved by" in json.dumps(u.body["blocks"])
                ],
                lambda u: len(u) == 1,
            )
            assert "Approved by" in json.dumps(update.body["blocks"])
            [patch] = _wait_for(
                lambda: [r for r in vendors.requests if r.method == "PATCH" and "Approved by" in r.body["content"]],
                lambda p: len(p) == 1,
            )
            assert "Approved by" in patch.body["content"]
            _wait_for(
                lambda: [r.body["text"] for r in vendors.to("/slack/api/chat.postMessage")],
                lambda titles: any(t.startswith("[RESOLVED]") for t in titles),
            )

            def logs():
                return api.get("/api/notification-logs", params={"incident_id": incident_id}).json()["items"]

            # And the delivery log shows every delivery sent, the resolution to both channels included
            done = _wait_for(
                logs,
                lambda items: (
                    {("incident.resolved", "slack"), ("incident.resolved", "lark")}
                    <= {(e["event"], e["channel_type"]) for e in items}
                    and all(e["status"] == "sent" for e in items)
                ),
            )
            assert {e["event"] for e in done} >= {
                "incident.opened",
                "incident.diagnosed",
                "approval.requested",
                "approval.decided",
                "incident.remediated",
                "incident.resolved",
            }
    finally:
        server.stop()
        vendors.stop()
