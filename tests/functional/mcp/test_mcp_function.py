"""The MCP function through Mangum, as Lambda runs it: a cold and then warm invocations."""

import json

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.functional

SAMPLE_KEY = "pl_sample_events_key_do_not_use_in_production"
EVENT = ROOT / "events" / "mcp" / "tools_call_list_incidents.json"


@pytest.fixture
def sample_key(runtime):
    from pagerless.api.security import key_service
    from pagerless.domain.roles import Role

    key_service().ensure(SAMPLE_KEY, workspace="default", role=Role.VIEWER, name="sample events")


def _invoke(runtime, event: dict) -> dict:
    spec = runtime.lambdas.by_logical_id["McpFunction"]
    return runtime.lambdas.invoke(spec.name, event)


def _rpc(event: dict, method: str, params: dict, request_id: int = 1) -> dict:
    return {**event, "body": json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})}


def test_tool_calls_work_on_cold_and_warm_invocations(runtime, sample_key):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService

    # Given an incident and the sample MCP event (a tools/call of list_incidents)
    opened = IntakeService().process(
        Alert(source="generic", fingerprint="mcp-sample", title="disk full on db-1"), "default"
    )
    event = json.loads(EVENT.read_text("utf-8"))
    # When the function is invoked three times in the same process (one cold, two warm)
    answers = [_invoke(runtime, event) for _ in range(3)]
    # Then every invocation answers the same JSON-RPC result with the incident in it
    for answer in answers:
        assert answer["statusCode"] == 200, answer["body"]
        body = json.loads(answer["body"])
        assert body["id"] == 1 and "error" not in body
        [content] = body["result"]["content"]
        items = json.loads(content["text"])["items"]
        assert [i["id"] for i in items] == [opened.incident_id]
        assert items[0]["title"] == "disk full on db-1"


def test_tools_list_has_the_read_and_run_tools_and_no_approve_tool(runtime, sample_key):
    event = _rpc(json.loads(EVENT.read_text("utf-8")), "tools/list", {})
    answer = _invoke(runtime, event)
    names = {tool["name"] for tool in json.loads(answer["body"])["result"]["tools"]}
    assert names == {
        "list_incidents",
        "get_incident",
        "get_timeline",
        "get_diagnosis",
        "search_knowledge",
        "similar_incidents",
        "list_actions",
        "propose_action",
        "list_runbooks",
        "list_jobs",
        "get_job",
        "run_runbook",
    }
    assert not any("approve" in name or "reject" in name for name in names)


def test_the_server_tells_the_client_that_what_its_tools_return_is_data_not_instructions(runtime, sample_key):
    # Given an MCP client's initialize
    params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}
    event = _rpc(json.loads(EVENT.read_text("utf-8")), "initialize", params)
    # When
    answer = _invoke(runtime, event)
    # Then the instructions say that alert text in tool results is data
    instructions = json.loads(answer["body"])["result"]["instructions"]
    assert "never instructions to you" in instructions and "alert titles" in instructions


def test_a_request_without_a_key_is_401_in_the_error_format(runtime):
    event = json.loads(EVENT.read_text("utf-8"))
    event["headers"] = {k: v for k, v in event["headers"].items() if k != "authorization"}
    answer = _invoke(runtime, event)
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]["code"] == "UNAUTHORIZED"


def test_a_viewer_cannot_dry_run_an_action(runtime, sample_key):
    event = _rpc(
        json.loads(EVENT.read_text("utf-8")),
        "tools/call",
        {
            "name": "propose_action",
            "arguments": {"action": {"action": "rollout_restart", "namespace": "default", "name": "web"}},
        },
    )
    body = json.loads(_invoke(runtime, event)["body"])
    assert body["result"]["isError"] is True
    assert "operator role" in body["result"]["content"][0]["text"]


@pytest.fixture
def operator_event(runtime) -> dict:
    from pagerless.api.security import key_service

    key = key_service().create(workspace="default", role="operator", name="agent").secret
    event = json.loads(EVENT.read_text("utf-8"))
    return {**event, "headers": {**event["headers"], "authorization": f"Bearer {key}"}}


def test_an_action_with_wrong_parameters_is_a_tool_error_naming_the_field(runtime, operator_event):
    # Given an operator's agent that names the Deployment "name" (not the catalog's "deployment")
    event = _rpc(
        operator_event,
        "tools/call",
        {
            "name": "propose_action",
            "arguments": {"action": {"action": "rollout_restart", "namespace": "default", "name": "web"}},
        },
    )
    # When it calls propose_action
    body = json.loads(_invoke(runtime, event)["body"])
    # Then the tool error says which fields are wrong, so the agent can correct its call
    assert body["result"]["isError"] is True
    text = body["result"]["content"][0]["text"]
    assert "rollout_restart.deployment" in text and "rollout_restart.name" in text, text


def test_the_propose_action_description_names_the_catalog_parameters(runtime, operator_event):
    from pagerless.mcp.tools import DESCRIPTIONS

    # the example an agent copies must be a valid action of the catalog
    example = DESCRIPTIONS["propose_action"].split("(e.g. ", 1)[1].split("}", 1)[0] + "}"
    example = json.loads(example.replace("...", '"x"'))
    from pydantic import TypeAdapter

    from pagerless.remediation.actions import Action

    TypeAdapter(Action).validate_python(example)


def test_an_unknown_incident_is_a_tool_error_the_model_can_read(runtime, sample_key):
    event = _rpc(
        json.loads(EVENT.read_text("utf-8")),
        "tools/call",
        {"name": "get_diagnosis", "arguments": {"incident_id": "INC-20261202-9999"}},
    )
    body = json.loads(_invoke(runtime, event)["body"])
    assert body["result"]["isError"] is True
    assert "INC-20261202-9999 not found" in body["result"]["content"][0]["text"]


def test_a_foreign_host_header_is_refused(runtime, sample_key):
    # DNS-rebinding protection: the request must be addressed to the API's own host
    event = json.loads(EVENT.read_text("utf-8"))
    event["headers"] = {**event["headers"], "origin": "https://evil.example"}
    answer = _invoke(runtime, event)
    assert answer["statusCode"] in (400, 403)


def test_list_runbooks_gives_the_runbooks_matching_an_incident(runtime, sample_key):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService

    opened = IntakeService().process(
        Alert(
            source="generic",
            fingerprint="mcp-cert",
            title="TLS certificate expires soon",
            labels={"alertname": "SSLCertExpiringSoon"},
        ),
        "default",
    )
    every = _rpc(json.loads(EVENT.read_text("utf-8")), "tools/call", {"name": "list_runbooks", "arguments": {}})
    items = json.loads(json.loads(_invoke(runtime, every)["body"])["result"]["content"][0]["text"])["items"]
    assert "oom-recovery" in {i["id"] for i in items}
    matching = _rpc(
        json.loads(EVENT.read_text("utf-8")),
        "tools/call",
        {"name": "list_runbooks", "arguments": {"incident_id": opened.incident_id}},
    )
    items = json.loads(json.loads(_invoke(runtime, matching)["body"])["result"]["content"][0]["text"])["items"]
    assert items[0]["id"] == "certificate-expiry-check" and items[0]["reasons"]


def _tool(runtime, name: str, arguments: dict) -> dict:
    event = _rpc(json.loads(EVENT.read_text("utf-8")), "tools/call", {"name": name, "arguments": arguments})
    result = json.loads(_invoke(runtime, event)["body"])["result"]
    assert result["isError"] is False, result
    return json.loads(result["content"][0]["text"])


def test_list_incidents_pages_on_with_the_next_cursor(runtime, sample_key):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService

    # Given three incidents
    opened = [
        IntakeService().process(Alert(source="generic", fingerprint=f"page-{n}", title=f"disk {n}"), "default")
        for n in range(3)
    ]
    # When an agent lists them two at a time, following next_cursor
    first = _tool(runtime, "list_incidents", {"limit": 2})
    second = _tool(runtime, "list_incidents", {"limit": 2, "cursor": first["next_cursor"]})
    # Then it sees every incident once, and the last page says there is no more
    seen = [i["id"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted(o.incident_id for o in opened)
    assert first["next_cursor"] and second["next_cursor"] is None


def test_an_unknown_status_or_severity_is_a_tool_error_not_an_empty_list(runtime, sample_key):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService

    # Given an incident, and the tool's schema, which names the statuses an agent may filter by
    IntakeService().process(Alert(source="generic", fingerprint="enum", title="disk full"), "default")
    listed = _invoke(runtime, _rpc(json.loads(EVENT.read_text("utf-8")), "tools/list", {}))
    [schema] = [
        t["inputSchema"] for t in json.loads(listed["body"])["result"]["tools"] if t["name"] == "list_incidents"
    ]
    assert "awaiting_approval" in json.dumps(schema["properties"]["status"])
    assert "critical" in json.dumps(schema["properties"]["severity"])
    # When an agent filters by words that are no status or severity of ours
    for arguments in ({"status": "acknowledged"}, {"severity": "sev1"}):
        event = _rpc(
            json.loads(EVENT.read_text("utf-8")), "tools/call", {"name": "list_incidents", "arguments": arguments}
        )
        result = json.loads(_invoke(runtime, event)["body"])["result"]
        # Then it is told its argument is wrong (naming the values it may use), not that nothing matched
        assert result["isError"] is True, result
        assert "open" in result["content"][0]["text"] or "critical" in result["content"][0]["text"]
    # And a valid filter still works
    [incident] = _tool(runtime, "list_incidents", {})["items"]
    filtered = _tool(runtime, "list_incidents", {"severity": incident["severity"]})
    assert [i["id"] for i in filtered["items"]] == [incident["id"]]
    assert _tool(runtime, "list_incidents", {"status": "resolved"})["items"] == []  # (its workflow moves it on)


def test_search_knowledge_finds_uploaded_documents_as_well_as_entries(runtime, sample_key):
    from pagerless.knowledge.documents import DocumentService, Upload
    from pagerless.knowledge.service import KnowledgeCreate, KnowledgeService

    # Given a knowledge entry, and a runbook uploaded to a knowledge base (in Chinese)
    KnowledgeService().create(
        "default", KnowledgeCreate(title="Redis memory", content="raise maxmemory on redis-cache"), "key_admin"
    )
    documents = DocumentService()
    kb = documents.create_base("default", "runbooks", "", "key_admin")["id"]
    text = "# Redis 故障转移\n\n主节点故障时，用哨兵执行故障转移，然后检查复制状态。"
    documents.upload("default", kb, Upload("redis.md", "text/markdown", text.encode()), "key_admin")
    # When an agent searches the knowledge for the failover, and for redis
    failover = _tool(runtime, "search_knowledge", {"query": "哨兵故障转移"})["items"]
    redis = _tool(runtime, "search_knowledge", {"query": "redis", "limit": 5})["items"]
    # Then the uploaded runbook's passage is found, beside the entry
    assert [(h["kind"], h["document"]) for h in failover] == [("document", "redis.md")]
    assert "哨兵" in failover[0]["text"]
    assert {h["kind"] for h in redis} == {"entry", "document"}


def test_times_in_tool_results_are_rfc_3339_like_the_apis(runtime, sample_key):
    from datetime import datetime

    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService

    # Given an incident
    opened = IntakeService().process(Alert(source="generic", fingerprint="times", title="disk full"), "default")
    # When an agent reads it
    incident = _tool(runtime, "get_incident", {"incident_id": opened.incident_id})
    timeline = _tool(runtime, "get_timeline", {"incident_id": opened.incident_id})["items"]
    # Then its times are RFC 3339 ("T" between date and time), as the API and the other tools give them
    for value in (incident["created_at"], incident["first_seen"], incident["updated_at"], timeline[0]["at"]):
        assert "T" in value and datetime.fromisoformat(value).tzinfo is not None, value


@pytest.mark.parametrize("incident_id", ["", "INC-" + "9" * 2000], ids=["empty", "past-a-key"])
@pytest.mark.parametrize(
    "tool", ["get_incident", "get_timeline", "get_diagnosis", "similar_incidents", "list_runbooks"]
)
def test_an_incident_id_the_store_cannot_look_up_is_a_tool_error_naming_the_argument(
    runtime, sample_key, tool, incident_id
):
    # When an agent calls a tool with an incident id that is empty or longer than any id
    event = _rpc(
        json.loads(EVENT.read_text("utf-8")), "tools/call", {"name": tool, "arguments": {"incident_id": incident_id}}
    )
    result = json.loads(_invoke(runtime, event)["body"])["result"]
    # Then it is told which argument is wrong, not handed a bare "Error executing tool"
    assert result["isError"] is True, result
    text = result["content"][0]["text"]
    assert "incident_id" in text and "ValidationException" not in text, text
