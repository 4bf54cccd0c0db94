"""`pagerless dev --sandbox` end to end for issue 9: an OOM alert puts approval cards in a fake Lark and a
fake Slack; a signed click on the Slack card's Approve button approves as the bound person; the Lark
card turns into "Approved by …" (a PATCH the fake records); the fix is verified and a "resolved"
message is delivered. The failure paths (forged or replayed signatures, stale cards, unbound users,
double clicks, dead letters) are functional tests in tests/functional/chat and tests/functional/notify."""

import json

import pytest

from tests.e2e.harness import ROOT, DevServer
from tests.e2e.test_approve_path import _wait_for, readme_demo_alert
from tests.e2e.test_paging_path import SIGNING_SECRET, TEAM, signed_click
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_APP_SECRET, SLACK_TOKEN, ChatVendors
from tests.fakes.slack_response_url import FakeResponseUrl

pytestmark = pytest.mark.e2e

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_e2e-chat-cards-path-admin-key-0123456789"


def test_cards_in_lark_and_slack_a_slack_click_approves_and_the_lark_card_follows(tmp_path):
    vendors, hooks = ChatVendors().start(), FakeResponseUrl().start()
    server = DevServer(
        tmp_path / "state",
        admin_key=ADMIN_KEY,
        extra_args=["--sandbox", str(SCENARIO)],
        env={
            "PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "1",
            "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "3",
            "PAGERLESS_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "PAGERLESS_SLACK_RESPONSE_URL_PREFIX": hooks.base_url + "/",
        },
    )
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given a Slack app channel and a Lark app channel, routed for critical incidents
            for name, kind, config in (
                (
                    "ops-slack",
                    "slack",
                    {"bot_token": SLACK_TOKEN, "channel": "C0OPS", "api_base": f"{vendors.base_url}/slack/api"},
                ),
                (
                    "ops-lark",
                    "lark",
                    {
                        "app_id": LARK_APP_ID,
                        "app_secret": LARK_APP_SECRET,
                        "receive_id": "oc_ops",
                        "api_base": vendors.base_url,
                    },
                ),
            ):
                assert (
                    api.post(
                        "/api/notifications/channels", json={"name": name, "channel_type": kind, "config": config}
                    ).status_code
                    == 201
                )
            assert (
                api.put(
                    "/api/notifications/routes", json={"default_rules": {"critical": ["ops-slack", "ops-lark"]}}
                ).status_code
                == 200
            )
            # and Alice (operator) bound to a Slack user
            alice = api.post(
                "/api/people", json={"name": "Alice Chen", "email": "alice@example.com", "role": "operator"}
            ).json()
            assert (
                api.post(
                    "/api/chat-identities",
                    json={"provider": "slack", "tenant": TEAM, "user": "U0ALICE", "person_id": alice["id"]},
                ).status_code
                == 201
            )
            # When the OOM alert arrives
            path, alert = readme_demo_alert()
            assert api.post(path, json=alert).status_code in (200, 202)
            # Then an approval card reaches Slack and one reaches Lark
            [slack_card] = _wait_for(
                lambda: [r for r in vendors.to("/slack/api/chat.postMessage") if "Approval needed" in r.body["text"]],
                lambda c: len(c) == 1,
                timeout=90,
            )
            _wait_for(
                lambda: [
                    r
                    for r in vendors.to("/open-apis/im/v1/messages")
                    if r.method == "POST" and "Approval needed" in r.body["content"]
                ],
                lambda c: len(c) == 1,
                timeout=90,
            )
            incident_id = api.get("/api/incidents").json()["items"][0]["id"]
            [actions] = [b for b in slack_card.body["blocks"] if b["type"] == "actions"]
            approve = next(e for e in actions["elements"] if e["action_id"] == "pl_approve")
            value = json.loads(approve["value"])
            assert value["incident_id"] == incident_id and value["action"] == "approve"
            # When a click with a forged signature arrives, then it is 401 and nothing is decided
            body, headers = signed_click(value, "U0ALICE", hooks.base_url + "/actions/1")
            forged = {**headers, "x-slack-signature": "v0=" + "0" * 64}
            assert api.post("/slack/interactivity", content=body, headers=forged).status_code == 401
            assert api.get("/api/approvals?status=pending").json()["items"]
            # When Alice presses Approve on the Slack card (signed)
            clicked = api.post("/slack/interactivity", content=body, headers=headers)
            assert clicked.status_code == 200 and clicked.json()["text"].startswith("You approved"), clicked.text
            # Then the Lark card is patched to "Approved by Alice", and the Slack card updated too
            [patch] = _wait_for(
                lambda: [r for r in vendors.requests if r.method == "PATCH" and "Approved by" in r.body["content"]],
                lambda p: len(p) == 1,
            )
            assert f"Approved by Alice Chen ({alice['id']})" in patch.body["content"]
            assert '"action"' not in patch.body["content"]  # no live buttons left on a decided card
            [update] = _wait_for(
                lambda: [
                    u for u in vendors.to("/slack/api/chat.update") if "Approved by" in json.dumps(u.body["blocks"])
                ],
                lambda u: len(u) == 1,
            )
            assert "Approved by Alice Chen" in json.dumps(update.body["blocks"])
            # And the fix runs, is verified once the alert clears, and "resolved" is delivered to both vendors
            _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}/timeline").json()["items"],
                lambda items: any("to clear" in e["message"] for e in items),
                timeout=90,
            )
            cleared = json.loads(json.dumps(alert).replace('"firing"', '"resolved"'))
            assert api.post(path, json=cleared).status_code in (200, 202)
            resolved = _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}").json(),
                lambda i: i["status"] in ("resolved", "escalated"),
                timeout=90,
            )
            assert resolved["status"] == "resolved", resolved
            _wait_for(
                lambda: [r.body["text"] for r in vendors.to("/slack/api/chat.postMessage")],
                lambda titles: any(t.startswith("[RESOLVED]") for t in titles),
            )
            logs = _wait_for(
                lambda: api.get("/api/notification-logs", params={"incident_id": incident_id}).json()["items"],
                lambda items: (
                    {("incident.resolved", "slack"), ("incident.resolved", "lark")}
                    <= {(e["event"], e["channel_type"]) for e in items}
                    # a delivery is logged "sending" before the vendor answers: wait until each is done
                    and all(e["status"] == "sent" for e in items if e["event"] != "escalation.page")
                ),
            )
            assert all(e["status"] == "sent" for e in logs if e["event"] != "escalation.page")
            approved = [
                e for e in api.get(f"/api/incidents/{incident_id}/timeline").json()["items"] if e["type"] == "approved"
            ]
            assert len(approved) == 1 and approved[0]["actor"] == f"Alice Chen ({alice['id']})"
    finally:
        hooks.stop()
        vendors.stop()
        assert server.stop() == 0
