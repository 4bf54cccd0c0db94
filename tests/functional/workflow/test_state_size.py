"""Every state of the incident workflow stays under Step Functions' 256 KiB limit on a state's input and output
(States.DataLimitExceeded, which moto does not model): the real ASL on the embedded Step Functions, driven with
worst-case inputs, and every input, output, task parameters and error of its execution history measured
(docs/workflow-state.md)."""

import copy
import json

import pytest
from botocore.exceptions import ClientError

from tests.fakes.anthropic_api import message, tool_use_block
from tests.functional.refusals import failing
from tests.functional.workflow.conftest import (
    NS,
    alertmanager_payload,
    execution_status,
    incident,
    open_incident,
    store_policy,
    timeline_types,
    unfixable_oom,
    wait_for_status,
)
from tests.functional.workflow.test_aws_unavailable_steps import inside
from tests.functional.workflow.test_claude_diagnosis import OOM_SUBMISSION
from tests.functional.workflow.test_context_size import _noise_events

pytestmark = pytest.mark.functional

LIMIT = 256 * 1024
# the data each kind of history event carries, as Step Functions counts it against the limit
MEASURED = ("input", "output", "parameters", "cause")


def state_sizes(runtime, arn: str) -> dict[str, int]:
    """The largest data, in UTF-8 bytes, that each state of execution ``arn`` took or gave (``<state> <field>``)."""
    sfn, events, token = runtime.client("stepfunctions"), [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
        events += page["events"]
        if not (token := page.get("nextToken")):
            break
    sizes: dict[str, int] = {}
    state = "(execution)"
    for event in events:
        for key, details in event.items():
            if not key.endswith("EventDetails") or not isinstance(details, dict):
                continue
            state = details.get("name", state) if key.startswith("state") else state
            for field in MEASURED:
                if isinstance(details.get(field), str):
                    label = f"{state} {field}"
                    sizes[label] = max(sizes.get(label, 0), len(details[field].encode("utf-8")))
    return sizes


def assert_within_limit(runtime, opened) -> dict[str, int]:
    sizes = state_sizes(runtime, incident(opened.id).execution_arn)
    over = {label: size for label, size in sizes.items() if size >= LIMIT}
    assert not over, f"over Step Functions' 256 KiB: {over}"
    return sizes


def _worst_case(scenario: dict) -> dict:
    """The unfixable OOM (its fix runs, fails its verification, is rolled back, escalated) in a busy namespace:
    2000 more events, and each container's previous log 1 MiB long."""
    scenario = unfixable_oom(scenario)
    scenario["cluster"]["events"]["items"] += _noise_events(scenario, 2000)
    line = json.dumps({"level": "ERROR", "logger": "c.e.payments.Reconciliation", "message": "heap " + "x" * 400})
    for key in scenario["cluster"]["logs"]:
        scenario["cluster"]["logs"][key] = "\n".join([line] * (1024 * 1024 // (len(line) + 1)))
    return scenario


def _big_diagnosis() -> dict:
    """Claude's submission at its most: a long summary and 100 pieces of evidence."""
    return {
        **OOM_SUBMISSION,
        "summary": "payments-api's api container is OOMKilled at its 256Mi limit. " * 60,
        "evidence": [{"source": f"pod log line {n}", "detail": "heap used 254Mi of 256Mi; " * 15} for n in range(100)],
    }


def _more_alerts(scenario: dict, count: int) -> None:
    """``count`` more firings of the incident's alert, each from another pod (grouped into the incident)."""
    from tests.functional.workflow.conftest import _SENDER

    for n in range(count):
        alert = copy.deepcopy(scenario["alert"])
        alert["labels"] = {**alert["labels"], "pod": f"payments-api-{n:04d}", "namespace": NS}
        response = _SENDER["client"].post(
            "/api/webhooks/alertmanager",
            json=alertmanager_payload(alert),
            headers={"Authorization": f"Bearer {_SENDER['key']}"},
        )
        assert response.status_code == 200, response.text


def test_a_busy_incident_whose_fix_is_rolled_back_keeps_every_state_under_the_limit(scenario, request, runtime, claude):
    # Given a busy namespace with long logs, Claude answering with its largest diagnosis, and a fix that runs on its
    # own, fails its verification and is rolled back
    scenario.update(_worst_case(scenario))
    request.getfixturevalue("sandbox")
    store_policy(autonomy="auto")
    claude.respond_with(lambda _request: message(tool_use_block("submit_diagnosis", _big_diagnosis())))
    # When the incident opens and 30 more alerts fire for it
    opened = open_incident(scenario)
    _more_alerts(scenario, 30)
    assert wait_for_status(opened.id, "escalated", settled=True, timeout=180) == "escalated"
    # Then the workflow went the whole way, every state of it under 256 KiB
    assert "rolled_back" in timeline_types(opened.id), timeline_types(opened.id)
    sizes = assert_within_limit(runtime, opened)
    assert {"Diagnose input", "Rollback input", "Rollback output", "Verify output"} <= set(sizes), sorted(sizes)


def test_a_step_failing_with_a_huge_error_keeps_the_failure_path_under_the_limit(fast_workflow, scenario, runtime):
    # Given DynamoDB refusing the Diagnose step's read with an error whose message is 300 KB (AWS and Kubernetes
    # errors can carry whole request or response bodies)
    def huge(operation: str) -> Exception:
        error = {"Code": "ValidationException", "Message": "Item size has exceeded the maximum: " + "x" * 300_000}
        return ClientError({"Error": error}, operation)

    with failing("GetItem", huge, when=inside("diagnose_incident")) as failed:
        # When an incident opens
        opened = open_incident(scenario)
        # Then the step fails to the failure path, which escalates the incident with the error's name
        assert wait_for_status(opened.id, "escalated", settled=True) == "escalated"
    assert failed == ["GetItem"]
    assert execution_status(runtime, opened) == "FAILED"
    # And every state, the failure path's too, stayed under 256 KiB
    sizes = assert_within_limit(runtime, opened)
    assert "HandleFailure input" in sizes, sorted(sizes)
