"""The read-only investigation tools over a small snapshot."""

import pytest

from pagerless.diagnosis.llm.backend import SnapshotBackend
from pagerless.diagnosis.llm.tool import ToolStatus
from pagerless.diagnosis.llm.tools import build_toolset
from tests.unit.llm.conftest import LEAKED_DB_PASSWORD

API_POD = "payments-api-7d9f-abc"


@pytest.fixture
def toolset(scenario):
    return build_toolset(SnapshotBackend(scenario), max_chars=2_000)


def test_pod_logs_returns_the_previous_log(toolset):
    # When
    result = toolset.invoke("pod_logs", {"namespace": "payments", "pod": API_POD, "previous": True})

    # Then
    assert result.status is ToolStatus.SUCCESS
    assert "panic: runtime error" in result.data
    assert result.params == {"namespace": "payments", "pod": API_POD, "previous": True, "tail_lines": 200}


def test_pod_logs_of_unknown_pod_is_no_data_listing_the_pods(toolset):
    # When
    result = toolset.invoke("pod_logs", {"namespace": "payments", "pod": "payments-api-gone"})

    # Then
    assert result.status is ToolStatus.NO_DATA
    assert "payments/payments-api-gone not found" in result.error and API_POD in result.error


def test_pod_logs_of_a_deleted_pod_whose_log_was_recorded(scenario):
    # Given a log recorded for a pod that no longer exists
    scenario["cluster"]["logs"]["payments/payments-api-old-1/api"] = "shutting down"
    toolset = build_toolset(SnapshotBackend(scenario))

    # When
    result = toolset.invoke("pod_logs", {"namespace": "payments", "pod": "payments-api-old-1", "container": "api"})

    # Then
    assert result.status is ToolStatus.SUCCESS and "shutting down" in result.data


def test_pod_logs_points_to_the_previous_log_when_the_current_one_is_missing(toolset):
    # When
    result = toolset.invoke("pod_logs", {"namespace": "payments", "pod": API_POD})

    # Then
    assert result.status is ToolStatus.NO_DATA
    assert "previous=true" in result.error


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"namespace": "payments"}, "pod: Field required"),
        (
            {"namespace": "payments", "pod": API_POD, "tail_lines": 0},
            "tail_lines: Input should be greater than or equal to 1",
        ),
        (
            {"namespace": "payments", "pod": API_POD, "tail_lines": 5000},
            "tail_lines: Input should be less than or equal to 1000",
        ),
        ({"namespace": "payments", "pod": API_POD, "follow": True}, "follow: Extra inputs are not permitted"),
    ],
)
def test_pod_logs_with_bad_params_is_an_error_saying_what_is_wrong(toolset, params, message):
    # When
    result = toolset.invoke("pod_logs", params)

    # Then
    assert result.status is ToolStatus.ERROR
    assert "invalid parameters for pod_logs" in result.error and message in result.error


def test_pod_logs_asks_for_a_container_when_the_pod_has_several(toolset):
    # When
    result = toolset.invoke("pod_logs", {"namespace": "payments", "pod": "payments-worker-5c4-xyz"})
    wrong = toolset.invoke("pod_logs", {"namespace": "payments", "pod": "payments-worker-5c4-xyz", "container": "api"})

    # Then
    assert result.status is ToolStatus.ERROR and "['worker', 'sidecar']" in result.error
    assert wrong.status is ToolStatus.ERROR and "container 'api' not in pod" in wrong.error


def test_long_logs_keep_the_newest_lines_with_a_note(scenario):
    # Given a log much longer than the output bound
    scenario["cluster"]["logs"][f"payments/{API_POD}/api"] = "\n".join(f"line {i:05d} " + "x" * 60 for i in range(1000))
    toolset = build_toolset(SnapshotBackend(scenario), max_chars=2_000)

    # When
    result = toolset.invoke("pod_logs", {"namespace": "payments", "pod": API_POD, "tail_lines": 1000})

    # Then
    text = toolset.render(result)
    assert len(text) <= 2_100
    assert "[truncated: the first" in text
    assert "line 00999" in text and "line 00000" not in text


def test_tail_lines_bounds_the_log(toolset):
    # When
    result = toolset.invoke("pod_logs", {"namespace": "payments", "pod": API_POD, "previous": True, "tail_lines": 1})

    # Then
    assert result.data.splitlines()[1:] == ["panic: runtime error: invalid memory address or nil pointer dereference"]


def test_render_truncates_large_structured_results_with_a_note(scenario):
    # Given many events
    events = scenario["cluster"]["events"]["items"]
    events += [
        {**events[0], "message": f"Back-off {i} " + "y" * 200, "lastTimestamp": f"2026-03-11T13:{i % 60:02d}:00Z"}
        for i in range(100)
    ]
    toolset = build_toolset(SnapshotBackend(scenario), max_chars=2_000)

    # When
    text = toolset.render(toolset.invoke("events", {"namespace": "payments", "limit": 200}))

    # Then
    assert "[truncated:" in text and len(text) < 2_100


def test_events_filter_by_object_name_prefix_newest_first(toolset):
    # When
    result = toolset.invoke("events", {"namespace": "payments", "involved_name": "payments-api"})

    # Then
    assert result.status is ToolStatus.SUCCESS
    assert [e["reason"] for e in result.data] == ["BackOff", "Pulled"]
    assert result.data[0]["object"] == f"Pod/payments/{API_POD}"


def test_events_with_no_match_is_no_data(toolset):
    # When
    result = toolset.invoke("events", {"namespace": "kube-system"})

    # Then
    assert result.status is ToolStatus.NO_DATA


def test_describe_object_trims_managed_fields_and_redacts_env_secrets(toolset):
    # When
    result = toolset.invoke("describe_object", {"kind": "pod", "namespace": "payments", "name": API_POD})

    # Then
    assert result.status is ToolStatus.SUCCESS
    assert "managedFields" not in result.data["metadata"]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in result.data["metadata"]["annotations"]
    env = result.data["spec"]["containers"][0]["env"]
    assert env == [{"name": "DB_PASSWORD", "value": "[REDACTED]"}, {"name": "LOG_LEVEL", "value": "info"}]
    assert LEAKED_DB_PASSWORD not in toolset.render(result)


def test_describe_object_hides_secret_values(toolset):
    # When
    result = toolset.invoke("describe_object", {"kind": "Secret", "namespace": "payments", "name": "db-creds"})

    # Then the keys stay (the model may need them), the values do not
    assert result.data["data"] == {"url": "[REDACTED]"}


def test_describe_object_rejects_unknown_kinds_and_reports_missing_objects(toolset):
    # When
    unknown = toolset.invoke("describe_object", {"kind": "Banana", "name": "x"})
    missing = toolset.invoke("describe_object", {"kind": "Deployment", "namespace": "payments", "name": "nope"})

    # Then
    assert unknown.status is ToolStatus.ERROR and "unknown kind 'Banana'" in unknown.error
    assert missing.status is ToolStatus.NO_DATA and "payments-api" in missing.error


def test_deploy_history_filters_by_service_and_since(toolset):
    # When
    recent = toolset.invoke("deploy_history", {"since": "2026-03-11T00:00:00Z"})
    search = toolset.invoke("deploy_history", {"service": "search"})
    bad = toolset.invoke("deploy_history", {"since": "yesterday"})

    # Then
    assert [d["service"] for d in recent.data] == ["payments-api"]
    assert [d["commit_sha"] for d in search.data] == ["def456"]
    assert bad.status is ToolStatus.ERROR and "'yesterday' is not an RFC 3339 timestamp" in bad.error


def test_unknown_tool_is_an_error_listing_the_tools(toolset):
    # When
    result = toolset.invoke("kubectl_delete", {})

    # Then
    assert result.status is ToolStatus.ERROR and "pod_logs" in result.error


def test_failing_knowledge_store_is_an_error_with_the_upstream_message(scenario):
    # Given a store that fails
    def knowledge(query, limit):
        raise TimeoutError("opensearch timed out after 2s")

    toolset = build_toolset(SnapshotBackend(scenario), knowledge=knowledge)

    # When
    result = toolset.invoke("knowledge_search", {"query": "nil pointer"})

    # Then
    assert result.status is ToolStatus.ERROR
    assert result.error == "knowledge_search failed: TimeoutError: opensearch timed out after 2s"


def test_empty_similar_incidents_is_no_data(scenario):
    # Given
    toolset = build_toolset(SnapshotBackend(scenario), similar=lambda query, limit: [])

    # When
    result = toolset.invoke("similar_incidents", {})

    # Then
    assert result.status is ToolStatus.NO_DATA


def test_tool_definitions_have_json_schemas_without_extra_properties(toolset):
    # When
    definitions = {d["name"]: d for d in toolset.definitions()}

    # Then
    schema = definitions["pod_logs"]["input_schema"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert set(schema["required"]) == {"namespace", "pod"}
    assert schema["properties"]["tail_lines"]["maximum"] == 1000
    assert all(d["description"] for d in definitions.values())


def test_events_date_a_recurring_event_by_its_series_and_count_its_repeats(scenario):
    # Given a scheduler event (events.k8s.io) first seen three hours ago and recurring until a minute ago
    scenario["cluster"]["events"]["items"].append(
        {
            "metadata": {
                "name": "payments-api.1",
                "namespace": "payments",
                "creationTimestamp": "2026-03-11T11:20:00Z",
            },
            "involvedObject": {"kind": "Pod", "name": "payments-api-7d9f-new", "namespace": "payments"},
            "reason": "FailedScheduling",
            "message": "0/3 nodes are available: 3 Insufficient memory.",
            "type": "Warning",
            "eventTime": "2026-03-11T11:20:00.000000Z",
            "firstTimestamp": None,
            "lastTimestamp": None,
            "series": {"count": 37, "lastObservedTime": "2026-03-11T14:21:30.000000Z"},
        }
    )
    toolset = build_toolset(SnapshotBackend(scenario))
    # When the model lists the namespace's events
    result = toolset.invoke("events", {"namespace": "payments"})
    # Then it is the newest event, shown with its last occurrence and its repeat count
    newest = result.data[0]
    assert (newest["reason"], newest["count"], newest["last"]) == (
        "FailedScheduling",
        37,
        "2026-03-11T14:21:30.000000Z",
    )
