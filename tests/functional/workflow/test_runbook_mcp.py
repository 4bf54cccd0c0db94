"""Runbook runs through MCP, with the official `mcp` client: an agent starts a run on the REST API's
path (the same policy, the same approvals: never its own) and follows its job."""

import asyncio
import json

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import memory_limit, store_policy
from tests.functional.workflow.test_runbook_runs import CONTEXT, job, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional


def _principal(role: str):
    from pagerless.auth.keys import Principal
    from pagerless.domain.roles import Role

    return Principal(f"key_agent_{role}", "default", Role(role))


async def _call(principal, calls: list[tuple[str, dict]]) -> list:
    from mcp import Client
    from pagerless.mcp.server import build_server

    server, _ = build_server(principal, host="testserver")
    async with Client(server) as client:
        return [await client.call_tool(name, arguments) for name, arguments in calls]


def _tool(principal, name: str, arguments: dict):
    [result] = asyncio.run(_call(principal, [(name, arguments)]))
    return result


def _data(result) -> dict:
    assert result.is_error is False, result
    return json.loads(result.content[0].text)


def test_an_agents_run_waits_for_a_persons_approval_and_its_job_is_readable(runs, sandbox, api):
    # Given an operator's agent
    agent = _principal("operator")
    # When it runs the OOM recovery (a confirm runbook) through MCP
    started = _data(_tool(agent, "run_runbook", {"runbook_id": "oom-recovery", "context": CONTEXT}))
    # Then the run is a job like the REST API's, and its first mutating step waits, parked, for a person
    parked = wait_job(api, runs["alice"], started["job_id"], "parked")
    assert parked["current_node"] == "Raise the memory limit" and parked["input"]["auto_approve"] is False
    assert parked["created_by"] == agent.key_id
    pending = api.get("/api/approvals?status=pending", headers=auth(runs["alice"])).json()["items"]
    assert [a["approval_id"] for a in pending] == [parked["correlation_key"]]
    assert memory_limit(sandbox) == "256Mi"
    # And the agent reads the job and finds it in the list, parked
    seen = _data(_tool(agent, "get_job", {"job_id": started["job_id"]}))
    assert seen["status"] == "parked" and seen["correlation_key"] == parked["correlation_key"]
    listed = _data(_tool(agent, "list_jobs", {"status": "parked"}))
    assert [j["job_id"] for j in listed["items"]] == [started["job_id"]] and listed["next_cursor"] is None
    # And once a person approves, the run goes on
    signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
    assert api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(runs["bob"])).status_code == 200
    assert wait_job(api, runs["alice"], started["job_id"], "completed", "failed")["status"] == "completed"
    assert memory_limit(sandbox) == "512Mi"


def test_an_agent_asking_to_approve_its_own_steps_is_told_the_tool_takes_no_such_argument(runs, sandbox, api):
    agent = _principal("operator")
    # When an agent asks for a run that approves its own steps (run_runbook has no such argument)
    result = _tool(agent, "run_runbook", {"runbook_id": "oom-recovery", "context": CONTEXT, "auto_approve": True})
    # Then the call is a tool error naming the argument, not a run that quietly ignores it, and nothing started
    assert result.is_error is True, result
    # in our words (not the SDK's pydantic report: "1 validation error for run_runbookArguments … errors.pydantic.dev")
    assert result.content[0].text.startswith("run_runbook takes no auto_approve (its arguments: "), result
    assert "pydantic" not in result.content[0].text and "Error executing" not in result.content[0].text
    assert _data(_tool(agent, "list_jobs", {}))["items"] == []
    assert memory_limit(sandbox) == "256Mi"


def test_every_tool_refuses_an_argument_it_does_not_take_and_says_so_in_its_schema(runs):
    async def listed():
        from mcp import Client
        from pagerless.mcp.server import build_server

        server, _ = build_server(_principal("operator"), host="testserver")
        async with Client(server) as client:
            return (await client.list_tools()).tools

    tools = asyncio.run(listed())
    assert len(tools) == 12 and all(t.input_schema.get("additionalProperties") is False for t in tools)
    # A read tool too: a misspelt filter is an error, not the whole unfiltered list
    misspelt = _tool(_principal("viewer"), "list_jobs", {"state": "parked"})
    assert misspelt.is_error is True, misspelt
    assert misspelt.content[0].text == "list_jobs takes no state (its arguments: cursor, limit, status)"
    # And a value out of its range is told in our words too
    zero = _tool(_principal("viewer"), "list_jobs", {"limit": 0})
    assert zero.is_error is True
    assert (
        zero.content[0].text
        == "list_jobs: the arguments are not valid: limit: Input should be greater than or equal to 1"
    )


def test_an_agents_run_goes_through_the_policy(runs, sandbox, api):
    # Given a policy that denies the namespace
    store_policy(denied_namespaces=[CONTEXT["namespace"]])
    # When an agent runs the OOM recovery
    started = _data(_tool(_principal("operator"), "run_runbook", {"runbook_id": "oom-recovery", "context": CONTEXT}))
    # Then the policy stops it as it stops a REST run: nothing asked, nothing changed
    done = wait_job(api, runs["alice"], started["job_id"], "completed", "failed")
    assert done["status"] == "failed" and done["result"]["outcome"] == "denied", done
    assert memory_limit(sandbox) == "256Mi"


def test_a_viewers_agent_cannot_run_a_runbook_and_a_bad_run_is_a_tool_error(runs, sandbox):
    viewer = _tool(_principal("viewer"), "run_runbook", {"runbook_id": "oom-recovery", "context": CONTEXT})
    assert viewer.is_error is True and "operator role" in viewer.content[0].text
    missing = _tool(_principal("operator"), "run_runbook", {"runbook_id": "oom-recovery", "context": {}})
    assert missing.is_error is True and "namespace" in missing.content[0].text, missing
    unknown = _tool(_principal("operator"), "get_job", {"job_id": "job-nope"})
    assert unknown.is_error is True and "not found" in unknown.content[0].text


def test_the_mcp_function_runs_a_runbook_and_reads_its_job(runs, sandbox, api, runtime, admin_key):
    """Through the MCP function, as Lambda runs it (its role's grants are the ones checked); the run
    is audited with its tool and job id, as POST /api/runs audits its job id."""
    from pagerless.api.security import key_service
    from tests.functional.mcp.test_mcp_function import EVENT, _invoke, _rpc

    key = key_service().create(workspace="default", role="operator", name="agent").secret
    event = json.loads(EVENT.read_text("utf-8"))
    event = {**event, "headers": {**event["headers"], "authorization": f"Bearer {key}"}}

    def call(name: str, arguments: dict) -> dict:
        answer = _invoke(runtime, _rpc(event, "tools/call", {"name": name, "arguments": arguments}))
        result = json.loads(answer["body"])["result"]
        assert result.get("isError") is not True, result
        return json.loads(result["content"][0]["text"])

    started = call("run_runbook", {"runbook_id": "oom-recovery", "context": CONTEXT, "dry_run": True})
    wait_job(api, runs["alice"], started["job_id"], "completed", "failed")
    assert call("get_job", {"job_id": started["job_id"]})["status"] == "completed"
    assert [j["job_id"] for j in call("list_jobs", {})["items"]] == [started["job_id"]]
    audited = api.get("/api/audit-logs?action=POST /api/mcp", headers=auth(admin_key)).json()["items"]
    details = [a["details"] for a in audited]
    assert {
        "tool": "run_runbook",
        "job_id": started["job_id"],
        "runbook_id": "oom-recovery",
        "dry_run": True,
    }.items() <= [d for d in details if d.get("tool") == "run_runbook"][0].items(), details
    assert {d.get("tool") for d in details} == {"run_runbook", "get_job", "list_jobs"}
