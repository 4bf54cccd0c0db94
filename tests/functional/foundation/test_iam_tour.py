"""Every function of template.yaml, driven once through its real entry (HTTP route, queue, schedule, state
machine task), makes only AWS calls its role in template.yaml allows.

moto enforces no IAM, so this is where a missing permission shows before AWS: each call the code
makes is charged to the function running it and checked against the role SAM will create
(tests/iam). The ``runtime`` fixture runs the same check in every functional test; this tour makes
sure that every function, not only the ones some test happens to reach, is among them."""

import json

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import SLACK_TOKEN, ChatVendors
from tests.functional.console.test_console import sign_in
from tests.iam import calls as iam_calls
from tests.iam import check as iam_check

pytestmark = pytest.mark.functional

ALERT = {
    "version": "4",
    "status": "firing",
    "receiver": "pagerless",
    "groupKey": "{}:{}",
    "commonLabels": {},
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "PaymentsApiHighErrorRate", "service": "payments-api", "severity": "critical"},
            "annotations": {"summary": "payments-api 5xx above 5%"},
            "startsAt": "2026-12-02T00:00:00Z",
            "fingerprint": "iam-tour-1",
        }
    ],
}


def _ok(response, *codes: int):
    assert response.status_code in (codes or (200, 201, 202)), f"{response.request.url}: {response.text[:500]}"
    return response.json() if response.content else None


def _wait_for_executions(runtime) -> None:
    """Until no execution runs (the workflow's steps are the workflow function's calls)."""
    import time

    sfn = runtime.client("stepfunctions")
    for _ in range(600):
        running = [
            e
            for m in sfn.list_state_machines()["stateMachines"]
            for e in sfn.list_executions(stateMachineArn=m["stateMachineArn"], statusFilter="RUNNING")["executions"]
        ]
        if not running:
            return
        time.sleep(0.05)


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


def test_every_function_makes_only_calls_its_role_allows(runtime, api, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.auth.authenticate import user_service

    user_service.cache_clear()

    monkeypatch.setenv("PAGERLESS_NOTIFY_BACKOFF_BASE_SECONDS", "0")
    settings.reset()
    admin = auth(admin_key)
    with iam_calls.recording() as recorder:
        # Given a Slack channel (its token in SSM), a route to it, a person, a Slack app and an ingest key
        channel = {"bot_token": SLACK_TOKEN, "channel": "C0OPS", "api_base": f"{vendors.base_url}/slack/api"}
        _ok(
            api.post(
                "/api/notifications/channels",
                headers=admin,
                json={"name": "ops", "channel_type": "slack", "config": channel},
            )
        )
        _ok(
            api.put("/api/notifications/routes", headers=admin, json={"routes": [{"name": "all", "channels": ["ops"]}]})
        )
        _ok(api.post("/api/people", headers=admin, json={"name": "Ada", "email": "ada@example.com"}))
        _ok(
            api.post(
                "/api/chat-apps",
                headers=admin,
                json={"provider": "slack", "app_id": "A0TOUR", "signing_secret": "s3cr3t"},
            )
        )
        ingest = auth(_ok(api.post("/api/keys", headers=admin, json={"name": "am", "role": "ingest"}))["key"])
        # When an alert opens an incident (its workflow runs) and its notifications are delivered
        opened = _ok(api.post("/api/webhooks/alertmanager", headers=ingest, json=ALERT))
        incident_id = opened["alerts"][0]["incident_id"]
        _wait_for_executions(runtime)
        runtime.poller.drain()
        # And people work the incident through each area's API
        _ok(api.get("/api/incidents", headers=admin))
        _ok(api.post(f"/api/incidents/{incident_id}/comment", headers=admin, json={"comment": "looking"}))
        _ok(api.post(f"/api/incidents/{incident_id}/acknowledge", headers=admin, json={}))
        _ok(api.get(f"/api/incidents/{incident_id}/workflow", headers=admin))
        _ok(api.get("/api/approvals", headers=admin))
        _ok(api.post("/api/knowledge", headers=admin, json={"title": "OOM", "content": "raise the memory limit"}))
        _ok(api.get(f"/api/incidents/{incident_id}/similar", headers=admin))
        _ok(api.get("/api/slo", headers=admin))
        _ok(api.post("/api/reports/generate", headers=admin, json={"report_type": "daily"}))
        _ok(api.get("/api/oncall/schedules", headers=admin))
        _ok(api.get("/api/status", headers=admin))
        user = auth(
            _ok(api.post("/api/auth/register", json={"email": "root@example.com", "password": "password123"}))[
                "access_token"
            ]
        )
        for path in ("/api/slo", "/api/reports", "/api/oncall/schedules", "/api/incidents", "/api/knowledge"):
            _ok(api.get(path, headers=user))  # a signed-in user's token is checked against the users table
        assert sign_in(api, "root@example.com").status_code == 303
        assert "PaymentsApiHighErrorRate" in api.get("/console/incidents").text
        rpc = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_incidents", "arguments": {}}}
        mcp_headers = {**user, "accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}
        _ok(api.post("/api/mcp", headers=mcp_headers, json=rpc))
        slack = {
            "x-slack-request-timestamp": "1",
            "x-slack-signature": "v0=0",
            "content-type": "application/x-www-form-urlencoded",
        }
        body = "payload=" + json.dumps({"type": "block_actions", "api_app_id": "A0TOUR"})
        _ok(api.post("/slack/interactivity", headers=slack, content=body), 200, 401)
        _ok(api.post(f"/api/incidents/{incident_id}/resolve", headers=admin, json={"note": "fixed"}))
        # And an alert arrives through the queue, a message dies on a dead-letter queue, every schedule fires
        monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
        settings.reset()
        _ok(api.post("/api/webhooks/alertmanager", headers=ingest, json={**ALERT, "status": "resolved"}))
        runtime.client("sqs").send_message(QueueUrl=runtime.provisioned.queues["AlertDLQ"], MessageBody="{}")
        runtime.poller.drain()
        for target in runtime.scheduler.targets:
            runtime.scheduler.fire(target)
        _wait_for_executions(runtime)
        runtime.poller.drain()
    # Then every function made calls, and its role allows each of them
    functions = {spec.logical_id for spec in runtime.template.functions()}
    assert functions - recorder.functions == set(), "functions the tour did not reach"
    denials = iam_check.call_denials(runtime.template, recorder)
    assert denials == [], iam_check.report(denials)
