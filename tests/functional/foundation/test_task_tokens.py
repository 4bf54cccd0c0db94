"""The embedded Step Functions answers a task token as AWS does: a token is good for one answer,
while its task attempt waits. Once it was answered (SendTaskSuccess or SendTaskFailure), once its
wait timed out, once its attempt was retried or its execution ended, every SendTaskSuccess,
SendTaskFailure and SendTaskHeartbeat with it is refused with ``TaskTimedOut`` ("the task
associated with the token has already been closed"), and the execution goes on with the first
answer; a token Step Functions never gave is ``InvalidToken``. moto took a second answer while the
execution ran (and it won if the task had not read the first yet), gave a retried attempt
the token of the attempt before it, and took a SendTaskFailure for a finished execution: two
senders of one approval (a decider and the approval sweep, a retried request and a hand-over)
passed here and failed on AWS.

The tasks send their token to an SQS queue (``sqs:sendMessage.waitForTaskToken``), the test reads
it there, as a worker would."""

import json

import pytest
from botocore.exceptions import ClientError

from tests.functional.workflow.conftest import wait_for

pytestmark = pytest.mark.functional

ROLE = "arn:aws:iam::123456789012:role/asks"


def _definition(queue_url: str, **ask) -> str:
    """Ask (a callback task that sends its token to ``queue_url``), then Hold: the execution runs on
    for a while after the task ended. ``ask``: more fields for the task (Retry, TimeoutSeconds...)."""
    body = {"token.$": "$$.Task.Token", "attempt.$": "$$.State.RetryCount"}
    return json.dumps(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": queue_url, "MessageBody": body},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Hold"}],
                    "Next": "Hold",
                    **ask,
                },
                "Hold": {"Type": "Wait", "Seconds": 60, "End": True},
            },
        }
    )


class Asks:
    """A state machine whose executions ask for a token answer, and the queue the tokens arrive on."""

    def __init__(self, runtime, name: str = "asks", **ask) -> None:
        self.sfn, self.sqs = runtime.client("stepfunctions"), runtime.client("sqs")
        self.queue = self.sqs.create_queue(QueueName=f"{name}-tokens")["QueueUrl"]
        definition = _definition(self.queue, **ask)
        self.machine = self.sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]

    def start(self, name: str) -> str:
        return self.sfn.start_execution(stateMachineArn=self.machine, name=name, input="{}")["executionArn"]

    def token(self) -> dict:
        """The next token a task sent (its body: token, attempt)."""

        def received():
            messages = self.sqs.receive_message(QueueUrl=self.queue, WaitTimeSeconds=1).get("Messages", [])
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
            return messages and json.loads(messages[0]["Body"])

        return wait_for(received, timeout=20)

    def status(self, arn: str) -> str:
        return self.sfn.describe_execution(executionArn=arn)["status"]

    def events(self, arn: str) -> list[dict]:
        return self.sfn.get_execution_history(executionArn=arn)["events"]

    def types(self, arn: str) -> list[str]:
        return [event["type"] for event in self.events(arn)]

    def holds(self, arn: str) -> bool:
        return "WaitStateEntered" in self.types(arn)


def _refusal(send, **kwargs) -> str:
    """The error code a send is refused with ('' when it was taken)."""
    try:
        send(**kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return ""


def _sends(sfn, token: str) -> dict:
    return {
        "success": _refusal(sfn.send_task_success, taskToken=token, output=json.dumps({"by": "second"})),
        "failure": _refusal(sfn.send_task_failure, taskToken=token, error="Second", cause="a second answer"),
        "heartbeat": _refusal(sfn.send_task_heartbeat, taskToken=token),
    }


REFUSED = {"success": "TaskTimedOut", "failure": "TaskTimedOut", "heartbeat": "TaskTimedOut"}


def test_a_token_answered_once_is_refused_after_while_the_execution_runs(runtime):
    asks = Asks(runtime)
    # Given an execution whose task took an answer and went on (it holds, still running)
    arn = asks.start("answered")
    token = asks.token()["token"]
    asks.sfn.send_task_success(taskToken=token, output=json.dumps({"by": "first"}))
    wait_for(lambda: asks.holds(arn))
    # When its token is answered again, Then every send is refused as AWS does
    assert _sends(asks.sfn, token) == REFUSED
    # And the execution runs on with the first answer
    assert asks.status(arn) == "RUNNING"
    [succeeded] = [e for e in asks.events(arn) if e["type"] == "TaskSucceeded"]
    assert json.loads(succeeded["taskSucceededEventDetails"]["output"]) == {"by": "first"}
    assert "TaskFailed" not in asks.types(arn)


def test_the_first_answer_wins_when_a_second_comes_right_after_it(runtime):
    asks = Asks(runtime)
    arn = asks.start("raced")
    token = asks.token()["token"]
    # When a rejection follows an approval at once, before the task may have read the approval
    asks.sfn.send_task_success(taskToken=token, output=json.dumps({"by": "first"}))
    refused = _refusal(asks.sfn.send_task_failure, taskToken=token, error="Rejected", cause="too late")
    # Then the rejection is refused, and the task succeeded with the approval
    assert refused == "TaskTimedOut"
    wait_for(lambda: asks.holds(arn))
    assert "TaskSucceeded" in asks.types(arn) and "TaskFailed" not in asks.types(arn)


def test_a_token_rejected_once_is_refused_after(runtime):
    asks = Asks(runtime)
    arn = asks.start("rejected")
    token = asks.token()["token"]
    asks.sfn.send_task_failure(taskToken=token, error="Rejected", cause="no")
    wait_for(lambda: asks.holds(arn))
    assert _sends(asks.sfn, token) == REFUSED
    assert asks.status(arn) == "RUNNING"
    [failed] = [e for e in asks.events(arn) if e["type"] == "TaskFailed"]
    assert failed["taskFailedEventDetails"]["error"] == "Rejected"


def test_a_token_whose_wait_timed_out_is_refused(runtime):
    asks = Asks(runtime, name="times-out", TimeoutSeconds=1)
    arn = asks.start("late")
    token = asks.token()["token"]
    wait_for(lambda: asks.holds(arn))
    assert "TaskTimedOut" in asks.types(arn)
    assert _sends(asks.sfn, token) == REFUSED
    assert asks.status(arn) == "RUNNING"


def test_each_attempt_of_a_retried_task_has_its_own_token(runtime):
    retry = [{"ErrorEquals": ["Again"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    asks = Asks(runtime, name="retries", Retry=retry)
    arn = asks.start("retried")
    # Given a task whose first attempt failed and was retried
    first = asks.token()
    asks.sfn.send_task_failure(taskToken=first["token"], error="Again", cause="try again")
    second = asks.token()
    # Then the second attempt waits on a token of its own; the first attempt's is refused
    assert (first["attempt"], second["attempt"]) == (0, 1)
    assert second["token"] != first["token"]
    assert _sends(asks.sfn, first["token"]) == REFUSED
    # And the second attempt takes its own answer
    asks.sfn.send_task_success(taskToken=second["token"], output=json.dumps({"by": "retry"}))
    wait_for(lambda: asks.holds(arn))
    [succeeded] = [e for e in asks.events(arn) if e["type"] == "TaskSucceeded"]
    assert json.loads(succeeded["taskSucceededEventDetails"]["output"]) == {"by": "retry"}


def test_a_token_of_a_stopped_execution_is_refused(runtime):
    asks = Asks(runtime)
    arn = asks.start("stopped")
    token = asks.token()["token"]
    # (the stop ends the task's wait at once: tests/functional/foundation/test_stop_execution.py)
    asks.sfn.stop_execution(executionArn=arn, error="Restart", cause="the runtime restarted")
    assert _sends(asks.sfn, token) == REFUSED


def test_a_token_step_functions_never_gave_is_invalid(runtime):
    asks = Asks(runtime)
    arn = asks.start("waiting")
    asks.token()
    for token in ("not-a-token", "x" * 64):
        assert _sends(asks.sfn, token) == {
            "success": "InvalidToken",
            "failure": "InvalidToken",
            "heartbeat": "InvalidToken",
        }
    assert asks.status(arn) == "RUNNING" and not asks.holds(arn)


def test_a_heartbeat_for_a_waiting_task_is_taken(runtime):
    asks = Asks(runtime)
    arn = asks.start("beats")
    token = asks.token()["token"]
    # A heartbeat leaves the task waiting (the state declares no HeartbeatSeconds: there is nothing to reset)
    assert _refusal(asks.sfn.send_task_heartbeat, taskToken=token) == ""
    asks.sfn.send_task_success(taskToken=token, output="{}")
    wait_for(lambda: asks.holds(arn))


def test_a_rejection_keeps_its_error_and_cause_in_the_history_and_the_catch_output(runtime):
    asks = Asks(runtime)
    arn = asks.start("rejected-by")
    token = asks.token()["token"]
    # When the token is answered with a failure that says who rejected it
    asks.sfn.send_task_failure(taskToken=token, error="Rejected", cause="rejected by alice: not now")
    wait_for(lambda: asks.holds(arn))
    # Then the task's TaskFailed event carries the error and the cause, as AWS records them
    [failed] = [e for e in asks.events(arn) if e["type"] == "TaskFailed"]
    details = failed["taskFailedEventDetails"]
    assert (details["error"], details.get("cause")) == ("Rejected", "rejected by alice: not now")
    # And the Catch's ResultPath gets the error output, {"Error": ..., "Cause": ...}, that the next state reads
    [held] = [e for e in asks.events(arn) if e["type"] == "WaitStateEntered"]
    assert json.loads(held["stateEnteredEventDetails"]["input"])["error"] == {
        "Error": "Rejected",
        "Cause": "rejected by alice: not now",
    }


def test_an_uncaught_rejection_fails_the_execution_with_its_error_and_cause(runtime):
    asks = Asks(runtime, name="uncaught", Catch=[{"ErrorEquals": ["Other"], "Next": "Hold"}])
    arn = asks.start("fails")
    token = asks.token()["token"]
    # When the token is answered with a failure no Catch matches
    asks.sfn.send_task_failure(taskToken=token, error="Rejected", cause="rejected by alice")
    # Then the execution fails with that error and cause: in DescribeExecution and its ExecutionFailed event
    assert wait_for(lambda: asks.status(arn) != "RUNNING", timeout=10) and asks.status(arn) == "FAILED"
    described = asks.sfn.describe_execution(executionArn=arn)
    assert (described.get("error"), described.get("cause")) == ("Rejected", "rejected by alice")
    [ended] = [e for e in asks.events(arn) if e["type"] == "ExecutionFailed"]
    details = ended["executionFailedEventDetails"]
    assert (details["error"], details.get("cause")) == ("Rejected", "rejected by alice")
