"""The embedded Step Functions stops an execution at any moment of its life, as AWS does: a stop
sent right after the start (an acknowledge that stops a just-started escalation, a restart that
ends every running execution) ends it ABORTED. moto's worker thread sets up the execution after
StartExecution has answered; a stop that came before it had done so failed inside moto (an
AttributeError, a 500) or was lost, and the execution ran on."""

import json
import threading

import pytest

from tests.functional.workflow.conftest import wait_for

pytestmark = pytest.mark.functional

WAITS = json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 30, "End": True}}})


@pytest.fixture
def slow_worker_start(monkeypatch):
    """moto's execution worker thread holds before it sets the execution up, until released."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    release = threading.Event()
    entrypoint = ExecutionWorker._get_evaluation_entrypoint

    def held(self):
        release.wait(10)
        return entrypoint(self)

    monkeypatch.setattr(ExecutionWorker, "_get_evaluation_entrypoint", held)
    yield release
    release.set()


def _machine(sfn) -> str:
    role = "arn:aws:iam::123456789012:role/holds"
    return sfn.create_state_machine(name="holds", definition=WAITS, roleArn=role)["stateMachineArn"]


def _status(sfn, arn) -> str:
    return sfn.describe_execution(executionArn=arn)["status"]


def test_an_execution_stopped_before_its_worker_set_it_up_is_aborted(runtime, slow_worker_start):
    sfn = runtime.client("stepfunctions")
    # Given an execution whose start was answered, and that moto has not set up yet
    arn = sfn.start_execution(stateMachineArn=_machine(sfn), name="early")["executionArn"]
    # When it is stopped
    sfn.stop_execution(executionArn=arn, error="Restart", cause="the runtime restarted")
    # Then the stop is taken, and once moto sets the execution up it ends aborted at once
    slow_worker_start.set()
    assert wait_for(lambda: _status(sfn, arn) == "ABORTED", timeout=10), _status(sfn, arn)


def test_executions_stopped_as_soon_as_they_started_are_aborted(runtime):
    sfn = runtime.client("stepfunctions")
    machine = _machine(sfn)
    arns = []
    for n in range(40):
        arn = sfn.start_execution(stateMachineArn=machine, name=f"run-{n}")["executionArn"]
        sfn.stop_execution(executionArn=arn, error="Restart", cause="the runtime restarted")
        arns.append(arn)
    assert wait_for(lambda: {_status(sfn, arn) for arn in arns} == {"ABORTED"}, timeout=10)
