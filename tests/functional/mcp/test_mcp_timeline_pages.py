"""The official MCP client pages an incident's timeline as the REST API does: ``limit`` and ``cursor`` in,
``next_cursor`` out, the same pages and the same cursors."""

import asyncio
import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import workflows_done

pytestmark = pytest.mark.functional


async def _call(principal, calls: list[tuple[str, dict]]) -> list:
    from mcp import Client
    from pagerless.mcp.server import build_server

    server, _ = build_server(principal, host="testserver")
    async with Client(server) as client:
        return [await client.call_tool(name, arguments) for name, arguments in calls]


def _timeline(principal, **arguments) -> dict:
    [result] = asyncio.run(_call(principal, [("get_timeline", arguments)]))
    assert result.is_error is False, result
    return json.loads(result.content[0].text)


def test_get_timeline_pages_with_the_rest_apis_cursor(runtime, api, admin_key):
    from pagerless.auth.keys import Principal
    from pagerless.domain.alerts import Alert
    from pagerless.domain.roles import Role
    from pagerless.incidents.service import IncidentService
    from pagerless.intake.service import IntakeService

    # Given an incident whose timeline has seven entries or more (its creation and six comments)
    opened = IntakeService().process(Alert(source="generic", fingerprint="mcp-pages", title="disk full"), "default")
    principal = Principal("key_viewer", "default", Role.VIEWER)
    operator = Principal("key_operator", "default", Role.OPERATOR)
    workflows_done(runtime, 1)  # its workflow's entries are written before it is read
    for n in range(6):
        IncidentService().comment("default", opened.incident_id, operator, f"note {n}")
    everything = _timeline(principal, incident_id=opened.incident_id, limit=500)
    assert everything["next_cursor"] is None and len(everything["items"]) >= 7
    # When an agent reads it three entries at a time, following next_cursor
    pages = [_timeline(principal, incident_id=opened.incident_id, limit=3)]
    while pages[-1]["next_cursor"]:
        pages.append(_timeline(principal, incident_id=opened.incident_id, limit=3, cursor=pages[-1]["next_cursor"]))
    # Then it sees every entry once, oldest first, in pages of at most three
    assert [e for p in pages for e in p["items"]] == everything["items"]
    assert all(len(p["items"]) <= 3 for p in pages) and len(pages) >= 3
    # And its pages and cursors are the REST API's
    rest = api.get(f"/api/incidents/{opened.incident_id}/timeline", params={"limit": 3}, headers=auth(admin_key))
    assert rest.json()["next_cursor"] == pages[0]["next_cursor"]
    rest_next = api.get(
        f"/api/incidents/{opened.incident_id}/timeline",
        params={"limit": 3, "cursor": rest.json()["next_cursor"]},
        headers=auth(admin_key),
    ).json()
    assert rest_next["items"] == pages[1]["items"]


def test_a_cursor_that_is_not_the_timelines_is_a_tool_error(runtime):
    from pagerless.auth.keys import Principal
    from pagerless.domain.alerts import Alert
    from pagerless.domain.roles import Role
    from pagerless.intake.service import IntakeService

    # Given an incident
    opened = IntakeService().process(Alert(source="generic", fingerprint="mcp-bad", title="disk full"), "default")
    # When an agent passes a cursor the timeline did not give
    principal = Principal("key_viewer", "default", Role.VIEWER)
    [result] = asyncio.run(_call(principal, [("get_timeline", {"incident_id": opened.incident_id, "cursor": "x"})]))
    # Then it is told so, as a tool error it can read
    assert result.is_error is True and "cursor" in result.content[0].text.lower(), result


@pytest.mark.parametrize(
    "tool, arguments, said",
    [
        ("search_knowledge", {"query": ""}, "query"),
        ("search_knowledge", {"query": "   "}, "query"),
        ("search_knowledge", {"query": "redis", "limit": 0}, "limit"),
        ("search_knowledge", {"query": "redis", "limit": -3}, "limit"),
        ("list_incidents", {"limit": 0}, "limit"),
        ("list_jobs", {"limit": 0}, "limit"),
        ("get_timeline", {"incident_id": "INC-20260101-0001", "limit": 0}, "limit"),
    ],
)
def test_an_empty_query_or_a_limit_below_one_is_a_tool_error_naming_the_argument(runtime, tool, arguments, said):
    from pagerless.auth.keys import Principal
    from pagerless.domain.roles import Role

    # When an agent searches for nothing, or asks for fewer than one result
    principal = Principal("key_viewer", "default", Role.VIEWER)
    [result] = asyncio.run(_call(principal, [(tool, arguments)]))
    # Then it is told which argument is wrong (not shown an empty list, nor one result it did not ask for)
    assert result.is_error is True, result
    assert said in result.content[0].text, result.content[0].text
