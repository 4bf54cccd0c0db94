"""A key scoped to services acts on its services' incidents only: acknowledging, resolving, commenting on,
re-diagnosing, approving or rejecting another service's incident, or running a runbook or an action on it, is a
403 naming the key's scope, with nothing written, and audited as any refused call is (docs/intake.md)."""

import asyncio
import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import post_alert, workflows_done

pytestmark = pytest.mark.functional


def _key(api, admin_key, role: str = "operator", **scope) -> str:
    response = api.post("/api/keys", json={"role": role, "name": "checkout team", **scope}, headers=auth(admin_key))
    assert response.status_code == 201, response.text
    return response.json()["key"]


def _open(api, key, service: str) -> str:
    body = {"title": f"{service} errors", "fingerprint": f"scope-{service}", "service": service}
    return post_alert(api, key, "generic", body).json()["alerts"][0]["incident_id"]


WRITES = (
    ("acknowledge", None),
    ("resolve", {"note": "fixed"}),
    ("comment", {"text": "looking"}),
    ("diagnose", None),
    ("approve", {"comment": "ok"}),
    ("reject", {"comment": "no"}),
    ("postmortem", None),
    ("runbooks/oom-recovery/execute", {"dry_run": True}),
)


def _refused(response, incident_id: str) -> None:
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN", error
    assert "checkout" in error["message"] and incident_id in error["message"], error
    assert error["details"][0]["reason"] == "key_scope", error


def test_a_key_scoped_to_checkout_cannot_act_on_a_payments_incident(runtime, api, admin_key):
    theirs, ours = _open(api, admin_key, "payments"), _open(api, admin_key, "checkout")
    workflows_done(runtime, 2)
    key = _key(api, admin_key, services=["checkout"])
    before = api.get(f"/api/incidents/{theirs}/timeline", headers=auth(admin_key)).json()["items"]
    status = api.get(f"/api/incidents/{theirs}", headers=auth(admin_key)).json()["status"]
    # When the checkout team's key acts on the payments incident, by every route that changes an incident
    for path, body in WRITES:
        for prefix in ("/api", ""):  # and seed 002's paths where it has them
            if not prefix and path not in ("postmortem", "runbooks/oom-recovery/execute"):
                continue
            response = api.post(f"{prefix}/incidents/{theirs}/{path}", json=body, headers=auth(key))
            # Then each is a 403 naming the key's scope
            _refused(response, theirs)
    for path, body in (
        ("/api/runs", {"workflow_id": "runbook:oom-recovery", "input": {"incident_id": theirs, "dry_run": True}}),
        ("/api/workflows/oom-recovery/execute", {"incident_id": theirs, "dry_run": True}),
        (
            "/api/actions/execute",
            {"action": {"action": "restart_pod", "namespace": "payments", "pod": "p-1"}, "incident_id": theirs},
        ),
    ):
        _refused(api.post(path, json=body, headers=auth(key)), theirs)
    # And its workflow, a job by the incident's id, is not the key's to signal or stop either
    signal = {"correlation_key": f"{theirs}#approval", "payload": {"approved": True}}
    _refused(api.post(f"/api/jobs/{theirs}/signal", json=signal, headers=auth(key)), theirs)
    _refused(api.post(f"/api/jobs/{theirs}/stop", headers=auth(key)), theirs)
    # And nothing of the incident changed: no timeline entry, no status, no postmortem, no run
    assert api.get(f"/api/incidents/{theirs}/timeline", headers=auth(admin_key)).json()["items"] == before
    assert api.get(f"/api/incidents/{theirs}", headers=auth(admin_key)).json()["status"] == status
    assert api.get(f"/api/incidents/{theirs}/postmortem", headers=auth(admin_key)).status_code == 404
    assert api.get("/api/jobs", headers=auth(admin_key)).json()["items"] == []
    # And each refusal is in the audit log, by the key, with its 403
    audit = api.get("/api/audit-logs", headers=auth(admin_key), params={"limit": 200}).json()["items"]
    refusals = [a for a in audit if a["status"] == 403 and theirs in (a["target"] or "")]
    assert len(refusals) == 12, audit  # the eight routes, seed 002's two, and the workflow job's two
    # While its own service's incident is its to act on
    assert api.post(f"/api/incidents/{ours}/comment", json={"text": "on it"}, headers=auth(key)).status_code == 201
    assert api.post(f"/api/incidents/{ours}/acknowledge", headers=auth(key)).status_code == 200


def test_without_an_incident_a_services_scoped_key_runs_no_runbook_or_action(runtime, api, admin_key):
    key = _key(api, admin_key, services=["checkout"])
    action = {"action": {"action": "restart_pod", "namespace": "payments", "pod": "p-1"}, "dry_run": True}
    for path, body in (("/api/workflows/oom-recovery/execute", {"dry_run": True}), ("/api/actions/execute", action)):
        response = api.post(path, json=body, headers=auth(key))
        assert response.status_code == 403, response.text
        assert "checkout" in response.json()["error"]["message"]


def test_a_key_without_services_in_its_scope_acts_as_before(runtime, api, admin_key):
    theirs = _open(api, admin_key, "payments")
    workflows_done(runtime, 1)
    for key in (_key(api, admin_key), _key(api, admin_key, sources=["alertmanager"])):
        response = api.post(f"/api/incidents/{theirs}/comment", json={"text": "seen"}, headers=auth(key))
        assert response.status_code == 201, response.text


def test_the_sdk_and_the_mcp_tools_are_held_to_the_scope(runtime, api, admin_key):
    import httpx

    from mcp import Client
    from pagerless.api.security import key_service
    from pagerless.auth.authenticate import authenticate
    from pagerless.client import ApiError, AsyncClient
    from pagerless.mcp.server import build_server

    theirs = _open(api, admin_key, "payments")
    workflows_done(runtime, 1)
    key = _key(api, admin_key, services=["checkout"])

    async def sdk():
        client = AsyncClient("http://pagerless.test", api_key=key, transport=httpx.ASGITransport(app=runtime.gateway()))
        async with client:
            with pytest.raises(ApiError) as refused:
                await client.incidents.acknowledge(theirs)
            return refused.value

    refused = asyncio.run(sdk())
    assert refused.status == 403 and "checkout" in str(refused), refused

    async def mcp():
        server, _ = build_server(authenticate(key, key_service()), host="testserver")
        async with Client(server) as client:
            return [
                await client.call_tool("run_runbook", {"runbook_id": "oom-recovery", "incident_id": theirs}),
                await client.call_tool(
                    "propose_action",
                    {"action": {"action": "restart_pod", "namespace": "payments", "pod": "p-1"}, "incident_id": theirs},
                ),
            ]

    for result in asyncio.run(mcp()):
        assert result.is_error and "checkout" in result.content[0].text, result
    assert api.get("/api/jobs", headers=auth(admin_key)).json()["items"] == []
    timeline = api.get(f"/api/incidents/{theirs}/timeline", headers=auth(admin_key)).json()["items"]
    assert not any("restart_pod" in json.dumps(entry) for entry in timeline)


def test_a_key_scoped_to_checkout_reads_checkout_incidents_and_knowledge_only(runtime, api, admin_key):
    from mcp import Client
    from pagerless.api.security import key_service
    from pagerless.auth.authenticate import authenticate
    from pagerless.mcp.server import build_server

    theirs, ours = _open(api, admin_key, "payments"), _open(api, admin_key, "checkout")
    workflows_done(runtime, 2)
    key = _key(api, admin_key, role="viewer", services=["checkout"])
    for title, service in (("payments OOM", "payments"), ("checkout OOM", "checkout"), ("any OOM", None)):
        body = {"title": title, "content": "OOM raise the memory limit", "service": service}
        assert api.post("/api/knowledge", json=body, headers=auth(admin_key)).status_code == 201
    # When the checkout team's key lists incidents (Pagerless's path and seed 002's)
    for path in ("/api/incidents", "/incidents"):
        listed = api.get(path, headers=auth(key))
        # Then it sees checkout's only
        assert [i["id"] for i in listed.json()["items"]] == [ours], listed.text
    # And naming payments is a 403 naming its scope, not an empty list
    named = api.get("/api/incidents", params={"service": "payments"}, headers=auth(key))
    assert named.status_code == 403 and "checkout" in named.json()["error"]["message"], named.text
    # And the payments incident, its timeline, postmortem and similar incidents are a 403 too
    for path in ("", "/timeline", "/postmortem", "/similar", "/diagnosis"):
        _refused(api.get(f"/api/incidents/{theirs}{path}", headers=auth(key)), theirs)
    _refused(api.get(f"/incidents/{theirs}", headers=auth(key)), theirs)
    # (every function serving an incident's path reads it for the check: its own incident's answer is no error)
    for path in ("/escalations", "/metrics", "/deploy-correlation", "/slo", "/workflow", "/runbooks", "/alerts"):
        _refused(api.get(f"/api/incidents/{theirs}{path}", headers=auth(key)), theirs)
        answered = api.get(f"/api/incidents/{ours}{path}", headers=auth(key))
        assert answered.status_code < 500 and answered.status_code != 403, (path, answered.text)
    assert api.get(f"/api/incidents/{ours}/timeline", headers=auth(key)).status_code == 200
    # And knowledge search finds checkout's entry and the workspace's, never payments'
    found = api.get("/api/knowledge/search", params={"q": "OOM"}, headers=auth(key)).json()["items"]
    assert sorted(hit["title"] for hit in found) == ["any OOM", "checkout OOM"], found
    # And the MCP tools read as the API does
    principal = authenticate(key, key_service())

    async def mcp():
        server, _ = build_server(principal, host="testserver")
        async with Client(server) as client:
            return (
                await client.call_tool("list_incidents", {}),
                await client.call_tool("get_incident", {"incident_id": theirs}),
                await client.call_tool("search_knowledge", {"query": "OOM"}),
            )

    listed, got, searched = asyncio.run(mcp())
    assert [i["id"] for i in json.loads(listed.content[0].text)["items"]] == [ours]
    assert got.is_error and "checkout" in got.content[0].text, got
    titles = sorted(hit.get("title") for hit in json.loads(searched.content[0].text)["items"])
    assert titles == ["any OOM", "checkout OOM"], titles
    # While an unscoped viewer reads everything, as before
    viewer = _key(api, admin_key, role="viewer")
    assert sorted(i["id"] for i in api.get("/api/incidents", headers=auth(viewer)).json()["items"]) == sorted(
        [theirs, ours]
    )
    assert api.get(f"/api/incidents/{theirs}", headers=auth(viewer)).status_code == 200
