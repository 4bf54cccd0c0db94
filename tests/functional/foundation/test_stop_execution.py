"""The embedded Step Functions stops an execution at any moment of its life, as AWS does: a stop
sent right after the start (an acknowledge that stops a just-started escalation, a restart that
ends every running execution) ends it ABORTED. moto's worker thread sets up the execution after
StartExecution has answered; a stop that came before it had done so failed inside moto (an
AttributeError, a 500) or was lost, and the execution ran on.

A stop ends the execution when StopExecution answers, whatever its state in progress waits on: it
is ABORTED, its history ends with ExecutionAborted (with the stop's error and cause), and a task
token it waited on is refused. moto kept an execution that waited on a task token RUNNING until
the wait ended (its token was answered, or its timeout, a year by default, fired), dropped the
stop's error and cause, and then recorded the wait's end as a failure of the stopped execution."""

import json
import threading

import pytest

from tests.functional.foundation.test_task_tokens import REFUSED, Asks, _sends
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


def test_an_execution_waiting_on_a_task_token_is_aborted_when_stopped(runtime):
    from moto.stepfunctions.parser.utils import TMP_THREADS

    before = {t for t in TMP_THREADS if t.is_alive()}
    asks = Asks(runtime)
    # Given an execution whose task waits on its token
    arn = asks.start("waits")
    token = asks.token()["token"]
    # When it is stopped
    stopped = asks.sfn.stop_execution(executionArn=arn, error="JobStopped", cause="stopped by alice")
    # Then it is ABORTED when StopExecution answers, at the date the stop answered with
    described = asks.sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED"
    assert stopped["stopDate"] == described["stopDate"]
    # And its history ends with ExecutionAborted, which carries the stop's error and cause; the task's
    # wait is not recorded as a failure, and no state after it ran
    events = asks.events(arn)
    assert events[-1]["type"] == "ExecutionAborted", [e["type"] for e in events]
    assert events[-1]["executionAbortedEventDetails"] == {"error": "JobStopped", "cause": "stopped by alice"}
    assert not {"TaskFailed", "TaskTimedOut", "TaskStateExited", "WaitStateEntered"} & set(asks.types(arn))
    # And its token is refused
    assert _sends(asks.sfn, token) == REFUSED
    # And the wait ended: the execution's threads are done, and its history says no more
    assert wait_for(lambda: not [t for t in TMP_THREADS if t not in before and t.is_alive()], timeout=5)
    assert asks.events(arn) == events and asks.status(arn) == "ABORTED"


def test_an_execution_is_listed_and_described_as_running_before_moto_marks_it(runtime, monkeypatch):
    """moto lists a new execution before it sets its status; a ListExecutions (or a DescribeExecution) in between
    answered an HTTP 500 ('NoneType' has no attribute 'value'). AWS says RUNNING from the start."""
    from moto.stepfunctions.parser.backend.execution import Execution

    sfn = runtime.client("stepfunctions")
    machine = _machine(sfn)
    listed, release = threading.Event(), threading.Event()
    start = Execution.start

    def held(self):  # moto's StartExecution, held after it listed the execution and before it marks it RUNNING
        listed.set()
        release.wait(10)
        return start(self)

    monkeypatch.setattr(Execution, "start", held)
    starter = threading.Thread(target=lambda: sfn.start_execution(stateMachineArn=machine, name="starting"))
    starter.start()
    try:
        assert listed.wait(10)
        [item] = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert item["status"] == "RUNNING"
        assert [
            e["name"] for e in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
        ] == ["starting"]
        assert _status(sfn, item["executionArn"]) == "RUNNING"
    finally:
        release.set()
        starter.join(10)
