"""`pagerless dev --sandbox` approved from chat as a user would: an OOM alert over HTTP, a person
bound to a Slack and a Lark user, a forged Slack click refused, a signed one approving, a Lark
click on the same approval answered with the first decision, the sandbox fixed and resolved."""

import json
import time
import uuid
from urllib.parse import quote

import pytest

from pagerless.chat import lark, slack
from tests.e2e.harness import ROOT, DevServer
from tests.e2e.test_approve_path import _wait_for, readme_demo_alert
from tests.fakes.slack_response_url import FakeResponseUrl

pytestmark = pytest.mark.e2e

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_e2e-chat-approve-path-admin-key-0123456"
SIGNING_SECRET, LARK_APP, ENCRYPT_KEY = "e2e-slack-signing-secret", "cli_e2e0000000000001", "e2e encrypt key"


def _slack_click(value: dict, response_url: str, secret: str = SIGNING_SECRET) -> tuple[bytes, dict]:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0E2E"},
        "user": {"id": "U0ALICE", "team_id": "T0E2E"},
        "response_url": response_url,
        "actions": [{"action_id": "pl_approve", "value": json.dumps(value)}],
    }
    body = ("payload=" + quote(json.dumps(payload), safe="")).encode()
    timestamp = str(int(time.time()))
    return body, {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": slack.sign(secret, timestamp, body),
    }


def _lark_click(value: dict, open_id: str) -> tuple[bytes, dict]:
    data = {
        "schema": "2.0",
        "header": {"event_id": uuid.uuid4().hex, "event_type": "card.action.trigger", "app_id": LARK_APP, "token": "t"},
        "event": {
            "operator": {"open_id": open_id},
            "action": {"value": value, "tag": "button"},
            "context": {"open_message_id": "om_e2e"},
        },
    }
    body = json.dumps({"encrypt": lark.encrypt(json.dumps(data).encode(), ENCRYPT_KEY, uuid.uuid4().bytes)}).encode()
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
    return body, {
        "content-type": "application/json",
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": lark.event_signature(timestamp, nonce, ENCRYPT_KEY, body),
    }


def test_an_oom_incident_approved_from_slack_once_even_when_lark_clicks_too(tmp_path):
    hooks = FakeResponseUrl().start()
    server = DevServer(
        tmp_path / "state",
        admin_key=ADMIN_KEY,
        extra_args=["--sandbox", str(SCENARIO)],
        env={
            "PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "1",
            "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "3",
            "PAGERLESS_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "PAGERLESS_SLACK_RESPONSE_URL_PREFIX": hooks.base_url + "/",
            "PAGERLESS_LARK_APP_ID": LARK_APP,
            "PAGERLESS_LARK_ENCRYPT_KEY": ENCRYPT_KEY,
            "PAGERLESS_LARK_VERIFICATION_TOKEN": "e2e-token",
        },
    )
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given Alice (operator) bound to Slack U0ALICE and Bob (operator) bound to a Lark open_id
            alice = api.post(
                "/api/people", json={"name": "Alice Chen", "email": "alice@example.com", "role": "operator"}
            ).json()
            bob = api.post(
                "/api/people", json={"name": "Bob Li", "email": "bob@example.com", "role": "operator"}
            ).json()
            assert (
                api.post(
                    "/api/chat-identities",
                    json={"provider": "slack", "tenant": "T0E2E", "user": "U0ALICE", "person_id": alice["id"]},
                ).status_code
                == 201
            )
            assert (
                api.post("/api/v1/feishu/bind", json={"open_id": "ou_bob", "person_id": bob["id"]}).status_code == 200
            )
            # and the OOM incident (the README's demo alert) waiting for approval
            path, alert = readme_demo_alert()
            assert api.post(path, json=alert).status_code in (200, 202)
            incident_id = _wait_for(lambda: api.get("/api/incidents").json()["items"], lambda i: len(i) == 1)[0]["id"]
            waiting = _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}").json(),
                lambda i: i["status"] in ("awaiting_approval", "diagnosed", "escalated"),
            )
            assert waiting["status"] == "awaiting_approval", waiting
            [pending] = api.get("/api/approvals?status=pending").json()["items"]
            value = {
                "pl": 1,
                "approval_id": pending["approval_id"],
                "incident_id": incident_id,
                "workspace": "default",
                "action": "approve",
            }
            # When a forged Slack click arrives, then it is 401 and the approval still waits
            body, headers = _slack_click(value, hooks.base_url + "/actions/1", secret="forged")
            assert api.post("/slack/interactivity", content=body, headers=headers).status_code == 401
            assert api.get("/api/approvals?status=pending").json()["items"]
            # When Alice clicks Approve in Slack
            body, headers = _slack_click(value, hooks.base_url + "/actions/1")
            clicked = api.post("/slack/interactivity", content=body, headers=headers)
            assert clicked.status_code == 200 and clicked.json()["text"].startswith("You approved"), clicked.text
            # and Bob clicks Approve on the Lark card of the same approval
            body, headers = _lark_click(value, "ou_bob")
            second = api.post("/lark/card/action", content=body, headers=headers).json()
            assert "already approved by Alice Chen" in second["toast"]["content"], second
            # Then the fix runs once; once the alert clears, the incident is resolved; Alice is named
            _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}/timeline").json()["items"],
                lambda items: any("to clear" in e["message"] for e in items),
            )
            cleared = json.loads(json.dumps(alert).replace('"firing"', '"resolved"'))
            assert api.post(path, json=cleared).status_code in (200, 202)
            resolved = _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}").json(),
                lambda i: i["status"] in ("resolved", "escalated"),
            )
            assert resolved["status"] == "resolved", resolved
            events = api.get(f"/api/incidents/{incident_id}/timeline").json()["items"]
            approved = [e for e in events if e["type"] == "approved"]
            assert len(approved) == 1 and approved[0]["actor"] == f"Alice Chen ({alice['id']})"
            assert hooks.posts and hooks.posts[0]["body"]["text"].startswith("You approved")
    finally:
        hooks.stop()
        assert server.stop() == 0
