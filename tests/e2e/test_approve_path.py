"""`pagerless dev --sandbox` as a user drives it: an OOM alert arrives over HTTP, the workflow
diagnoses and proposes, a human approves over HTTP, the sandbox cluster is fixed, resolved."""

import json
import time

import pytest

from tests.e2e.harness import ROOT, DevServer

pytestmark = pytest.mark.e2e

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_e2e-approve-path-admin-key-0123456789"


def _alertmanager_payload(alert: dict) -> dict:
    labels = {k: v for k, v in alert["labels"].items() if v}
    labels.setdefault("alertname", alert["title"])
    labels["severity"] = alert["severity"]
    return {"version": "4", "status": "firing", "receiver": "pagerless", "groupKey": "{}:{alertname=\"x\"}",
            "truncatedAlerts": 0, "groupLabels": {"alertname": labels["alertname"]}, "commonLabels": labels,
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "alerts": [{"status": "firing", "labels": labels,
                        "annotations": {"summary": alert["title"], "description": alert["description"]},
                        "startsAt": alert["starts_at"], "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prometheus:9090/graph", "fingerprint": "0a1b2c3d4e5f6789"}]}


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
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    server = DevServer(tmp_path / "state", admin_key=ADMIN_KEY, extra_args=["--sandbox", str(SCENARIO)],
                       env={"PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "1", "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "3"})
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given the OOM alert posted by Alertmanager
            sent = api.post("/api/webhooks/alertmanager", json=_alertmanager_payload(scenario["alert"]))
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
            # Then the fix is applied to the sandbox, verified, and the incident is resolved
            resolved = _wait_for(incident, lambda i: i["status"] in ("resolved", "escalated"))
            assert resolved["status"] == "resolved", resolved
            trace = _wait_for(lambda: api.get(f"/api/incidents/{incident_id}/workflow").json(),
                              lambda t: t["status"] != "RUNNING")
            assert trace["status"] == "SUCCEEDED"
            assert [s["name"] for s in trace["steps"]][-1] == "Resolve"
            types = [e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline").json()["items"]]
            assert {"diagnosed", "proposal", "approved", "action_executed", "verification_check"} <= set(types)
    finally:
        assert server.stop() == 0
