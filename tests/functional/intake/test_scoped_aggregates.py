"""A services-scoped key reads its services' part of the workspace's streams and lists only: the event stream,
approvals and jobs (docs/intake.md, "Who may send what"); a key without a services scope reads them all."""

import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import post_alert, workflows_done

pytestmark = pytest.mark.functional


def _key(api, admin_key, role: str = "viewer", **scope) -> str:
    response = api.post("/api/keys", json={"role": role, "name": "checkout team", **scope}, headers=auth(admin_key))
    assert response.status_code == 201, response.text
    return response.json()["key"]


def _open(api, key, service: str) -> str:
    body = {"title": f"{service} errors", "fingerprint": f"aggr-{service}", "service": service}
    return post_alert(api, key, "generic", body).json()["alerts"][0]["incident_id"]


def _stream(api, key) -> list[dict]:
    response = api.get("/api/events", params={"last_event_id": 0, "max_seconds": 0.5}, headers=auth(key))
    assert response.status_code == 200, response.text
    return [json.loads(line[len("data: ") :]) for line in response.text.splitlines() if line.startswith("data: ")]


def test_a_services_scoped_key_streams_its_services_incidents_events_only(runtime, api, admin_key):
    # Given a payments and a checkout incident, each with its events on the workspace stream
    theirs, ours = _open(api, admin_key, "payments"), _open(api, admin_key, "checkout")
    workflows_done(runtime, 2)
    # When the checkout team's key reads the stream from its start
    events = _stream(api, _key(api, admin_key, services=["checkout"]))
    # Then every event it is sent is of the checkout incident, its opening included
    assert {e.get("incident_id") for e in events} == {ours}, events
    assert "incident_created" in [e["type"] for e in events]
    # While a key without a services scope (none, or sources only) is sent both incidents' events, as before
    for scope in ({}, {"sources": ["generic"]}):
        assert {e.get("incident_id") for e in _stream(api, _key(api, admin_key, **scope))} == {theirs, ours}


def _pending_approval(incident_id: str) -> None:
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.store.approvals import ApprovalRecord, ApprovalRepository

    now = utcnow()
    ApprovalRepository().create(
        ApprovalRecord(
            incident_id,
            f"{now.isoformat()}#{incident_id[-4:]}",
            workspace="default",
            expires_at=now + timedelta(minutes=30),
            timeout_seconds=1800,
            task_token="token",
            proposal={"action": "restart_pod"},
        )
    )


def test_a_services_scoped_key_lists_its_services_incidents_approvals_only(runtime, api, admin_key):
    # Given a pending approval on a payments and on a checkout incident
    theirs, ours = _open(api, admin_key, "payments"), _open(api, admin_key, "checkout")
    workflows_done(runtime, 2)
    for incident_id in (theirs, ours):
        _pending_approval(incident_id)
    # When the checkout team's key lists pending approvals
    listed = api.get("/api/approvals", headers=auth(_key(api, admin_key, services=["checkout"])))
    # Then it sees the checkout incident's only
    assert listed.status_code == 200, listed.text
    assert [a["incident_id"] for a in listed.json()["items"]] == [ours], listed.text
    # While a key without a services scope sees both, as before
    for scope in ({}, {"sources": ["generic"]}):
        items = api.get("/api/approvals", headers=auth(_key(api, admin_key, **scope))).json()["items"]
        assert sorted(a["incident_id"] for a in items) == sorted([theirs, ours])


def _run(api, admin_key, incident_id: str | None) -> str:
    context = {"namespace": "shop", "deployment": "api", "container": "app", "memory_limit": "512Mi"}
    body = {"dry_run": True, "context": context, **({"incident_id": incident_id} if incident_id else {})}
    started = api.post("/api/workflows/oom-recovery/execute", json=body, headers=auth(admin_key))
    assert started.status_code in (200, 201, 202), started.text
    return started.json()["job_id"]


def _mcp_jobs(key: str, theirs: str, ours: str):
    import asyncio

    from mcp import Client
    from pagerless.api.security import key_service
    from pagerless.auth.authenticate import authenticate
    from pagerless.mcp.server import build_server

    async def calls():
        server, _ = build_server(authenticate(key, key_service()), host="testserver")
        async with Client(server) as client:
            return (
                await client.call_tool("list_jobs", {}),
                await client.call_tool("get_job", {"job_id": theirs}),
                await client.call_tool("get_job", {"job_id": ours}),
            )

    return asyncio.run(calls())


def test_a_services_scoped_key_reads_its_services_incidents_jobs_only(runtime, api, admin_key):
    # Given a runbook run on a payments and on a checkout incident, and one on no incident
    theirs, ours = _open(api, admin_key, "payments"), _open(api, admin_key, "checkout")
    workflows_done(runtime, 2)
    their_job, our_job, workspace_job = (
        _run(api, admin_key, theirs),
        _run(api, admin_key, ours),
        _run(api, admin_key, None),
    )
    key = _key(api, admin_key, services=["checkout"])
    # When the checkout team's key lists jobs
    listed = api.get("/api/jobs", headers=auth(key))
    # Then it sees the checkout incident's run only
    assert listed.status_code == 200, listed.text
    assert [j["job_id"] for j in listed.json()["items"]] == [our_job], listed.text
    # And reading the others by id (the job, its trace, its replay data, its events) is a 403 naming its scope
    for job_id in (their_job, theirs, workspace_job):
        for path in ("", "/trace", "/replay"):
            response = api.get(f"/api/jobs/{job_id}{path}", headers=auth(key))
            assert response.status_code == 403, (job_id, path, response.text)
            assert "checkout" in response.json()["error"]["message"], response.text
            assert response.json()["error"]["details"][0]["reason"] == "key_scope"
    for job_id in (their_job, workspace_job):
        response = api.get(f"/api/jobs/{job_id}/events", params={"max_seconds": 0.5}, headers=auth(key))
        assert response.status_code == 403, response.text
    # While its own are read as before
    for path in ("", "/trace", "/replay"):
        assert api.get(f"/api/jobs/{our_job}{path}", headers=auth(key)).status_code == 200, path
    assert api.get(f"/api/jobs/{ours}", headers=auth(key)).status_code == 200
    # And the MCP tools read jobs as the API does
    listed, got, own = _mcp_jobs(key, their_job, our_job)
    assert [j["job_id"] for j in json.loads(listed.content[0].text)["items"]] == [our_job]
    assert got.is_error and "checkout" in got.content[0].text, got
    assert not own.is_error, own
    # And a key without a services scope lists and reads every job, as before
    for scope in ({}, {"sources": ["generic"]}):
        other = _key(api, admin_key, **scope)
        items = api.get("/api/jobs", headers=auth(other)).json()["items"]
        assert sorted(j["job_id"] for j in items) == sorted([their_job, our_job, workspace_job])
        assert api.get(f"/api/jobs/{their_job}/trace", headers=auth(other)).status_code == 200


WORKSPACE_WIDE = (
    ("get", "/api/postmortems/action-items"),
    ("get", "/api/incidents/noisy"),
    ("get", "/api/patterns/incidents"),
    ("get", "/api/patterns/services"),
    ("get", "/api/patterns/services/checkout"),
    ("get", "/api/forecasting/capacity"),
    ("get", "/api/forecasting/drift"),
    ("get", "/api/activity"),
    ("get", "/api/platform/overview"),
    ("get", "/api/metrics/export"),
    ("get", "/api/reports"),
    ("get", "/api/reports/settings"),
)


def test_what_reads_the_whole_workspace_is_refused_to_a_services_scoped_key(runtime, api, admin_key):
    # Given the checkout team's viewer key and an admin key scoped to checkout
    viewer = _key(api, admin_key, services=["checkout"])
    admin = _key(api, admin_key, role="admin", services=["checkout"])
    # When it reads the workspace's action items, analytics or reports
    for method, path in WORKSPACE_WIDE:
        response = getattr(api, method)(path, headers=auth(viewer))
        # Then each is a 403 naming its scope (they cannot be narrowed to its services without reading them all)
        assert response.status_code == 403, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "FORBIDDEN" and "checkout" in error["message"], (path, error)
        assert error["details"][0]["reason"] == "key_scope", (path, error)
    # And making a report is refused too, with nothing made
    made = api.post("/api/reports/generate", json={}, headers=auth(admin))
    assert made.status_code == 403, made.text
    assert api.get("/api/reports", headers=auth(admin_key)).json()["items"] == []
    # While a key without a services scope reads them as before
    for scope in ({}, {"sources": ["generic"]}):
        key = _key(api, admin_key, **scope)
        for method, path in WORKSPACE_WIDE:
            assert getattr(api, method)(path, headers=auth(key)).status_code == 200, path
