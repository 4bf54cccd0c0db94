"""The official MCP client against `pagerless dev`: tools work on the first (cold) and later
(warm) invocations of the MCP function, with an API key as the bearer token."""

import asyncio
import json
import time

import pytest

from tests.e2e.harness import DevServer

pytestmark = pytest.mark.e2e

ADMIN_KEY = "pl_e2e_mcp_admin_key_0123456789"


async def _session(url: str, key: str, calls: list[tuple[str, dict]]) -> tuple[list[str], list]:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    from mcp import Client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            results = [await client.call_tool(name, arguments) for name, arguments in calls]
    return tools, results


def _text(result) -> str:
    return result.content[0].text


def test_official_client_reads_incidents_diagnosis_and_knowledge(tmp_path):
    server = DevServer(tmp_path / "state", admin_key=ADMIN_KEY)
    server.start(timeout=60)
    try:
        with server.client(ADMIN_KEY) as api:
            # Given an incident from an alert, a knowledge entry and an operator key
            sent = api.post(
                "/api/webhooks/generic",
                json={
                    "title": "payments-api 5xx above 5%",
                    "severity": "critical",
                    "service": "payments-api",
                    "namespace": "production",
                    "fingerprint": "mcp-e2e-1",
                },
            )
            assert sent.status_code in (200, 202), sent.text
            incident_id = sent.json()["alerts"][0]["incident_id"]
            api.post(
                "/api/knowledge",
                json={
                    "title": "payments-api 5xx runbook",
                    "tags": ["payments"],
                    "content": "Check the payments-api connection pool first.",
                },
            )
            operator = api.post("/api/keys", json={"role": "operator", "name": "agent"}).json()["key"]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and api.get(f"/api/incidents/{incident_id}/diagnosis").status_code != 200:
                time.sleep(0.5)
        url = f"{server.base}/api/mcp"
        # When an agent connects with the official client (first invocation of the function: cold)
        tools, (listed, incident, timeline) = asyncio.run(
            _session(
                url,
                operator,
                [
                    ("list_incidents", {"severity": "critical"}),
                    ("get_incident", {"incident_id": incident_id}),
                    ("get_timeline", {"incident_id": incident_id}),
                ],
            )
        )
        # Then it sees the tools, and the incident, its record and its timeline
        assert "propose_action" in tools and not [t for t in tools if "approve" in t]
        assert [i["id"] for i in json.loads(_text(listed))["items"]] == [incident_id]
        assert json.loads(_text(incident))["service"] == "payments-api"
        assert "incident_created" in {e["type"] for e in json.loads(_text(timeline))["items"]}
        # And a second session on the now warm function reads the diagnosis and searches the knowledge
        _, (diagnosis, knowledge, bad, unknown) = asyncio.run(
            _session(
                url,
                operator,
                [
                    ("get_diagnosis", {"incident_id": incident_id}),
                    ("search_knowledge", {"query": "payments pool"}),
                    ("get_incident", {"incident_id": "INC-19990101-0001"}),
                    ("get_incident", {"incident_id": incident_id, "verbose": True}),
                ],
            )
        )
        assert json.loads(_text(diagnosis))["category"]
        assert json.loads(_text(knowledge))["items"][0]["title"] == "payments-api 5xx runbook"
        assert bad.is_error and "not found" in _text(bad)
        # And an argument the tool does not take is refused in our words, not pydantic's
        assert unknown.is_error and _text(unknown) == "get_incident takes no verbose (its arguments: incident_id)"
        # And it reads the timeline a page at a time, with the REST API's cursor
        _, (first,) = asyncio.run(_session(url, operator, [("get_timeline", {"incident_id": incident_id, "limit": 1})]))
        first = json.loads(_text(first))
        _, (second,) = asyncio.run(
            _session(url, operator, [("get_timeline", {"incident_id": incident_id, "cursor": first["next_cursor"]})])
        )
        with server.client(ADMIN_KEY) as api:
            rest = api.get(f"/api/incidents/{incident_id}/timeline", params={"limit": 1}).json()
        assert len(first["items"]) == 1 and first["items"] == rest["items"] and first["next_cursor"]
        assert json.loads(_text(second))["items"][0]["at"] >= first["items"][0]["at"]
        # And a wrong key gets nothing
        with server.client("pl_not_a_key") as anonymous:
            assert (
                anonymous.post("/api/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401
            )
    finally:
        server.stop()
