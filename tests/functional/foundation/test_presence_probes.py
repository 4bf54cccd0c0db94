"""`pagerless dev` prints no error for the state machines' `IsPresent` probes: moto logs a Choice's test of an
absent field as `Exception=NoSuchJsonPathError`, which looked like a failure in the terminal on every incident
(`$.settle_seconds`) and every escalation (`$.release`, `$.wait_seconds`), while `$.resume` alone was hidden."""

import json
import logging
import time

import pytest

pytestmark = pytest.mark.functional

MOTO_LOG = "moto.stepfunctions.parser.asl.component.eval_component"
PROBES = ("$.resume", "$.settle_seconds", "$.release", "$.wait_seconds")  # the first Choices' IsPresent tests


def _entered(sfn, arn: str) -> list[str]:
    history = sfn.get_execution_history(executionArn=arn)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


@pytest.mark.parametrize("machine", ["IncidentResponseStateMachine", "EscalationStateMachine"])
def test_a_choice_probing_absent_fields_logs_no_error(runtime, caplog, machine):
    sfn = runtime.client("stepfunctions")
    caplog.set_level(logging.ERROR, logger=MOTO_LOG)
    # When an execution starts with none of the fields its first Choice probes
    arn = sfn.start_execution(
        stateMachineArn=runtime.provisioned.state_machines[machine], input=json.dumps({"incident_id": "INC-NONE"})
    )["executionArn"]
    # and has gone past that Choice
    deadline = time.monotonic() + 30
    while len(_entered(sfn, arn)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_entered(sfn, arn)) >= 2, _entered(sfn, arn)
    sfn.stop_execution(executionArn=arn)
    # Then moto's log has no error line for those probes (an input that breaks a later state is still logged)
    logged = [r.getMessage() for r in caplog.records if "NoSuchJsonPathError" in r.getMessage()]
    assert not [line for line in logged if any(f"'{path}'" in line for path in PROBES)], logged
