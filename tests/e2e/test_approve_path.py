"""`pagerless dev --sandbox` as a user drives it: an OOM alert arrives over HTTP, the workflow
diagnoses and proposes, a human approves over HTTP, the sandbox cluster is fixed, resolved."""

import json
import re
import time

import pytest

from tests.e2e.harness import ROOT, DevServer

pytestmark = pytest.mark.e2e

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_e2e-approve-path-admin-key-0123456789"


def readme_demo_alert() -> tuple[str, dict]:
    """The path and the JSON body of the README's copy-paste sandbox alert, exactly as written there."""
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("<!-- sandbox-demo-alert -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    path = re.search(r"http://127\.0\.0\.1:8080(/api/\S+)", block)[1]
    body = re.search(r"-d '(.*)'", block, re.S)[1]
    return path, json.loads(body)


def _wait_for(read, predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = read()
        if predicate(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"condition not met in time; last value: {json.dumps(value)[:3000]}")


def test_oom_alert_to_resolution_through_an_approval_over_http(tmp_path):
    server = DevServer(
        tmp_path / "state",
        admin_key=ADMIN_KEY,
        extra_args=["--sandbox", str(SCENARIO)],
        env={"PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "1", "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "3"},
    )
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given the README's copy-paste alert, sent now to the sandbox moved to the present
            path, alert = readme_demo_alert()
            sent = api.post(path, json=alert)
            assert sent.status_code in (200, 202), sent.text
            incidents = _wait_for(lambda: api.get("/api/incidents").json()["items"], lambda items: len(items) == 1)
            incident_id = incidents[0]["id"]

            def incident():
                return api.get(f"/api/incidents/{incident_id}").json()

            # When the workflow has proposed raising the memory limit and waits for a human
            waiting = _wait_for(incident, lambda i: i["status"] in ("awaiting_approval", "diagnosed", "escalated"))
            assert waiting["status"] == "awaiting_approval", waiting
            pending = api.get("/api/approvals?status=pending").json()["items"]
            assert pending[0]["proposal"]["action"] == "patch_resources"
            assert "256Mi → 512Mi" in pending[0]["proposal"]["dry_run"]["diff"]
            # and an operator approves over HTTP
            approved = api.post(f"/api/incidents/{incident_id}/approve", json={"comment": "raise it"})
            assert approved.status_code == 200, approved.text
            # Then the fix is applied to the sandbox and the workload is healthy, but the alert still fires
            _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}/timeline").json()["items"],
                lambda items: any("waiting for 1 alert(s) to clear" in e["message"] for e in items),
            )
            assert incident()["status"] == "verifying"
            # When Alertmanager sends the resolve, as the README says
            cleared = json.loads(json.dumps(alert).replace('"firing"', '"resolved"'))
            assert api.post(path, json=cleared).json()["alerts"][0]["action"] == "resolved"
            # Then verification resolves the incident
            resolved = _wait_for(incident, lambda i: i["status"] in ("resolved", "escalated"))
            assert resolved["status"] == "resolved", resolved
            trace = _wait_for(
                lambda: api.get(f"/api/incidents/{incident_id}/workflow").json(), lambda t: t["status"] != "RUNNING"
            )
            assert trace["status"] == "SUCCEEDED"
            assert [s["name"] for s in trace["steps"]][-1] == "Resolve"
            types = [e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline").json()["items"]]
            assert {"diagnosed", "proposal", "approved", "action_executed", "verification_check"} <= set(types)
    finally:
        assert server.stop() == 0
