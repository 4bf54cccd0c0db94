"""`pagerless dev --sandbox` paging people (issue 10): a critical alert pages whoever a schedule has on
call, as a direct message in a fake Slack; nobody answers, so escalation step 2 (the secondary) is
paged; the secondary presses Acknowledge on that page (signed Slack interactivity); the escalation
stops and step 3 is never paged."""

import json
import time
from datetime import date, timedelta
from urllib.parse import quote

import boto3
import pytest

from pagerless.chat import slack
from pagerless.step_functions import execution_arn
from tests.e2e.harness import ROOT, DevServer
from tests.e2e.test_approve_path import _wait_for, readme_demo_alert
from tests.fakes.chat_vendors import SLACK_TOKEN, ChatVendors
from tests.fakes.slack_response_url import FakeResponseUrl

pytestmark = pytest.mark.e2e

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_e2e-paging-path-admin-key-01234567890123"
SIGNING_SECRET, TEAM = "e2e-paging-signing-secret", "T0PAGE"


def signed_click(value: dict, user: str, response_url: str) -> tuple[bytes, dict]:
    """The button pressed in Slack, sent to /slack/interactivity as Slack signs it."""
    action_id = {"approve": "pl_approve", "reject": "pl_reject", "acknowledge": "pl_ack"}[value["action"]]
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "value": json.dumps(value)}],
    }
    body = ("payload=" + quote(json.dumps(payload), safe="")).encode()
    timestamp = str(int(time.time()))
    return body, {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": slack.sign(SIGNING_SECRET, timestamp, body),
    }


def test_a_critical_alert_pages_the_on_call_then_the_secondary_whose_ack_stops_it(tmp_path):
    vendors, hooks = ChatVendors().start(), FakeResponseUrl().start()
    server = DevServer(
        tmp_path / "state",
        admin_key=ADMIN_KEY,
        extra_args=["--sandbox", str(SCENARIO)],
        env={
            "PAGERLESS_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "PAGERLESS_SLACK_RESPONSE_URL_PREFIX": hooks.base_url + "/",
        },
    )
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given the workspace's Slack app channel, and Bob (primary), Carol (secondary), Dave, bound to Slack users
            assert (
                api.post(
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
                ).status_code
                == 201
            )
            users = {"bob": "U0BOB", "carol": "U0CAROL", "dave": "U0DAVE"}
            ids = {}
            for name, user in users.items():
                person = api.post(
                    "/api/people", json={"name": name.title(), "email": f"{name}@example.com", "role": "operator"}
                )
                assert person.status_code == 201, person.text
                ids[name] = person.json()["id"]
                assert (
                    api.post(
                        "/api/chat-identities",
                        json={"provider": "slack", "tenant": TEAM, "user": user, "person_id": ids[name]},
                    ).status_code
                    == 201
                )
            # and a schedule with Bob on call, and a policy: the schedule, then Carol, then Dave
            schedule = api.post(
                "/api/oncall/schedules",
                json={
                    "name": "payments primary",
                    "timezone": "Europe/Berlin",
                    "services": ["payments-api"],
                    "layers": [
                        {
                            "name": "primary",
                            "participants": [ids["bob"]],
                            "rotation_start": str(date.today() - timedelta(days=7)),
                            "rrule": "FREQ=WEEKLY",
                        }
                    ],
                },
            )
            assert schedule.status_code == 201, schedule.text
            policy = api.post(
                "/api/escalation-policies",
                json={
                    "name": "payments",
                    "services": ["payments-api"],
                    "severities": ["critical"],
                    "steps": [
                        {"delay_seconds": 2, "targets": [{"kind": "schedule", "id": schedule.json()["id"]}]},
                        # (Dave would be paged 10 minutes after Carol: her ack lands before, however slow the test)
                        {"delay_seconds": 600, "targets": [{"kind": "person", "id": ids["carol"]}]},
                        {"delay_seconds": 1, "targets": [{"kind": "person", "id": ids["dave"]}]},
                    ],
                },
            )
            assert policy.status_code == 201, policy.text
            assert api.get("/api/oncall/current", params={"schedule": schedule.json()["id"]}).status_code == 200

            def dms(user: str) -> list:
                return [r for r in vendors.to("/slack/api/chat.postMessage") if r.body["channel"] == user]

            # When a critical payments-api alert arrives
            path, alert = readme_demo_alert()
            assert api.post(path, json=alert).status_code in (200, 202)
            # Then Bob, on call, is paged by direct message; nobody answers, so Carol (step 2) is paged
            [bob_page] = _wait_for(lambda: dms("U0BOB"), lambda pages: len(pages) >= 1, timeout=90)
            assert bob_page.body["text"].startswith("[CRITICAL] Page: ")
            [carol_page] = _wait_for(lambda: dms("U0CAROL"), lambda pages: len(pages) >= 1, timeout=90)
            incident_id = api.get("/api/incidents").json()["items"][0]["id"]
            # When Carol presses Acknowledge on her page
            [actions] = [b for b in carol_page.body["blocks"] if b["type"] == "actions"]
            [button] = actions["elements"]
            assert button["action_id"] == "pl_ack"
            body, headers = signed_click(json.loads(button["value"]), "U0CAROL", hooks.base_url + "/actions/1")
            clicked = api.post("/slack/interactivity", content=body, headers=headers)
            assert clicked.status_code == 200 and clicked.json()["text"] == f"You acknowledged {incident_id}.", (
                clicked.text
            )
            # Then the incident is acknowledged by Carol, the escalation is stopped, and Dave is never paged
            incident = api.get(f"/api/incidents/{incident_id}").json()
            assert incident["acknowledged_by"] == f"Carol ({ids['carol']})"
            [escalation] = _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}/escalations").json()["items"],
                lambda items: items and items[0]["status"] != "running",
            )
            assert escalation["status"] == "stopped"
            assert [p["targets"] for p in escalation["pages"]] == [
                [{"kind": "person", "id": ids["bob"]}],
                [{"kind": "person", "id": ids["carol"]}],
            ]
            # (its execution, waiting for step 3, was stopped by the ack: no tick is left to page Dave)
            sfn = boto3.client(
                "stepfunctions",
                endpoint_url=f"http://127.0.0.1:{server.aws_port}",
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            [machine] = [
                m["stateMachineArn"]
                for m in sfn.list_state_machines()["stateMachines"]
                if m["name"].endswith("-escalation")
            ]
            arn = execution_arn(machine, escalation["execution_name"])
            assert _wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"], lambda s: s != "RUNNING") == (
                "ABORTED"
            )
            [escalation] = api.get(f"/api/incidents/{incident_id}/escalations").json()["items"]
            assert len(escalation["pages"]) == 2
            assert dms("U0DAVE") == []
            assert len(dms("U0BOB")) == 1 and len(dms("U0CAROL")) == 1
            logs = api.get("/api/notification-logs", params={"incident_id": incident_id}).json()["items"]
            pages = sorted(e["recipient"]["person_id"] for e in logs if e["event"] == "escalation.page")
            assert pages == sorted([ids["bob"], ids["carol"]])
    finally:
        hooks.stop()
        vendors.stop()
        assert server.stop() == 0
