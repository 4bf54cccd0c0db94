"""The incident workflow's ASL: every Lambda task retries and catches, nothing dangles, every step exists."""

import json
import re

import pytest

from tests.conftest import ROOT
from tests.iam.state_machines import tasks

pytestmark = pytest.mark.unit

ASL = ROOT / "infra" / "statemachines" / "incident_response.asl.json"
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


@pytest.fixture(scope="module")
def definition() -> dict:
    return json.loads(ASL.read_text("utf-8"))


def _targets(state: dict) -> set[str]:
    targets = {state.get("Next"), state.get("Default")}
    targets |= {choice["Next"] for choice in state.get("Choices", [])}
    targets |= {catch["Next"] for catch in state.get("Catch", [])}
    return targets - {None}


def test_every_task_retries_lambda_errors_and_catches_everything(definition):
    for name, state in definition["States"].items():
        if state["Type"] != "Task":
            continue
        retried = {e for rule in state.get("Retry", []) for e in rule["ErrorEquals"]}
        assert LAMBDA_ERRORS <= retried, name
        caught = {e for rule in state.get("Catch", []) for e in rule["ErrorEquals"]}
        assert "States.ALL" in caught, name


def test_no_dangling_next_and_every_state_is_reachable(definition):
    states = definition["States"]
    for name, state in states.items():
        assert _targets(state) <= set(states), name
        if state["Type"] not in ("Choice", "Succeed", "Fail"):
            assert ("Next" in state) != bool(state.get("End")), f"{name} needs exactly one of Next or End"
    reachable, todo = set(), [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in reachable:
            reachable.add(name)
            todo += list(_targets(states[name]))
    assert reachable == set(states)


def test_every_step_named_in_the_asl_is_registered(definition):
    from pagerless.workflow.steps import STEPS

    named = {s["Parameters"]["Payload"]["step"] for s in definition["States"].values() if s["Type"] == "Task"}
    assert named <= set(STEPS)


def test_approval_waits_on_a_token_with_the_policy_timeout_and_timeout_escalates(definition):
    request = definition["States"]["RequestApproval"]
    assert request["Resource"].endswith("lambda:invoke.waitForTaskToken")
    assert request["TimeoutSecondsPath"] == "$.proposal.approval_timeout_seconds"
    assert request["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    catches = {tuple(c["ErrorEquals"]): c["Next"] for c in request["Catch"]}
    assert catches[("States.Timeout",)] == "ApprovalTimedOut"
    assert catches[("ApprovalRejected",)] == "Rejected"


def test_the_verification_loop_is_bounded_by_a_counter_in_state(definition):
    states = definition["States"]
    assert states["StartVerification"]["Result"] == {"attempt": 0}
    assert states["Verify"]["Parameters"]["Payload"]["attempt.$"] == "$.verification.attempt"
    assert states["WaitForRollout"]["SecondsPath"] == "$.remediation.verify_wait_seconds"
    loops = [c for c in states["RouteVerification"]["Choices"] if c["Next"] == "WaitForRollout"]
    assert [c["StringEquals"] for c in loops] == ["recheck"]


def test_state_carries_references_not_documents(definition):
    # Every Lambda result is narrowed to named small fields before it enters the state.
    for name, state in definition["States"].items():
        if state["Type"] == "Task" and state["Resource"].endswith("lambda:invoke"):
            assert "ResultSelector" in state or state["ResultPath"] != "$", name


def test_substitutions_in_the_asl_are_defined_in_the_template(definition):
    from pagerless.local.template import load_yaml

    template = load_yaml(ROOT / "template.yaml")
    machine = template["Resources"]["IncidentResponseStateMachine"]["Properties"]
    used = set(re.findall(r"\$\{(\w+)\}", ASL.read_text("utf-8")))
    assert used == set(machine["DefinitionSubstitutions"])


# Task states that AWS failing for a moment does not retry: running them again after they failed part-way is not
# safe (README.md, "When AWS fails a step for a moment"). None: every step, the incident Rollback too, is safe to
# run again.
NOT_RETRIED_WHEN_AWS_IS_UNAVAILABLE: set[tuple[str, str]] = set()


def test_every_task_of_every_state_machine_retries_aws_unavailable_with_backoff():
    from pagerless.workflow.steps import AwsUnavailableError

    seen = set()
    for path in sorted((ROOT / "infra" / "statemachines").glob("*.asl.json")):
        machine = path.name.removesuffix(".asl.json")
        for name, state in tasks(json.loads(path.read_text("utf-8"))["States"]):
            seen.add((machine, name))
            # Step Functions applies the first retrier that names the error (States.ALL names every error)
            rule = next(
                (
                    r
                    for r in state.get("Retry", [])
                    if {AwsUnavailableError.__name__, "States.ALL"} & set(r["ErrorEquals"])
                ),
                None,
            )
            if (machine, name) in NOT_RETRIED_WHEN_AWS_IS_UNAVAILABLE:
                assert rule is None, f"{machine}.{name} is exempt but retries"
                continue
            assert rule is not None, f"{machine}.{name} does not retry {AwsUnavailableError.__name__}"
            assert rule["IntervalSeconds"] >= 2 and rule["BackoffRate"] >= 2 and rule["MaxAttempts"] >= 4, name
            # only what is transient: no Task retries every error (States.ALL), not even the held page's release
            assert rule["ErrorEquals"] == [AwsUnavailableError.__name__], f"{machine}.{name}"
            assert (rule["IntervalSeconds"], rule["BackoffRate"], rule["MaxAttempts"]) == (2, 2, 4), name
            assert rule["JitterStrategy"] == "FULL", f"{machine}.{name}"
    assert NOT_RETRIED_WHEN_AWS_IS_UNAVAILABLE <= seen
