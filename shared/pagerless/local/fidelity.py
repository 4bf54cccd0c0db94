"""Make the embedded AWS keep the promises our code relies on.

DynamoDB evaluates a condition expression and applies the write atomically, per item. moto
checks and writes in the calling thread without a lock, so two threads can both pass the same
condition. Serializing moto's DynamoDB writes restores the guarantee for concurrent tests and
`pagerless dev` (moto's server is threaded too). A read is serialized with them as well: moto
copies and serializes the items it answers with while a concurrent write may be changing them
("dictionary changed size during iteration", an HTTP 500 to our caller). The whole DynamoDB
request is one critical section; DynamoDB requests never call another service, so the lock is
never held across a call that could wait for it.
"""

import functools
import threading

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()


def dynamodb_write_lock() -> threading.RLock:
    """Held by every DynamoDB write (once ``serialize_dynamodb_writes`` ran)."""
    return _lock


def serialize_dynamodb_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_pagerless_serialized", False):
        return
    for name in _WRITES:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self, *args, __original=original, **kwargs):
            with _lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    DynamoDBBackend._pagerless_serialized = True
    from moto.dynamodb.responses import DynamoHandler

    call_action = DynamoHandler.call_action

    @functools.wraps(call_action)
    def one_request_at_a_time(self, *args, **kwargs):
        with _lock:
            return call_action(self, *args, **kwargs)

    DynamoHandler.call_action = one_request_at_a_time


def remember_valid_state_machines() -> None:
    """moto parses a definition with its ASL grammar on every CreateStateMachine (about 0.5 s each);
    the same definition is as valid the second time. Only successful validations are remembered, so
    an invalid definition is still refused every time."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    if getattr(StepFunctionsParserBackend, "_pagerless_remembered", False):
        return
    validate = StepFunctionsParserBackend._validate_definition
    valid: set[str] = set()

    def remembered(definition: str):
        if definition in valid:
            return None
        result = validate(definition)
        valid.add(definition)
        return result

    StepFunctionsParserBackend._validate_definition = staticmethod(remembered)
    StepFunctionsParserBackend._pagerless_remembered = True


_early_stops = threading.Lock()


def keep_early_stops() -> None:
    """StopExecution takes effect however early it comes, as on AWS. moto answers StartExecution
    before its worker thread has set the execution up (its environment, then its program running);
    a stop in between failed inside moto (``None.set_stop``: an error to our caller) or was dropped
    (the program was not running yet), and the execution ran on: a just-started escalation that an
    acknowledge stopped would still page. Such a stop is kept, and the program starts stopped: it
    ends at once, ABORTED, with its ExecutionAborted event, before any state runs."""
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    if getattr(ExecutionWorker, "_pagerless_early_stops", False):
        return
    make_environment, run = ExecutionWorker._get_evaluation_environment, Program.eval

    def stop(self, stop_date, error, cause):
        with _early_stops:
            env = self.env
            if env is None or env.program_state() is None:  # not set up, or its program not started
                self._pagerless_stop = {"stop_date": stop_date, "error": error, "cause": cause}
                if env is not None:
                    env._pagerless_stop = self._pagerless_stop
                return
        env.set_stop(stop_date=stop_date, cause=cause, error=error)

    def environment(self):
        with _early_stops:
            self.env = env = make_environment(self)  # (the caller assigns the same object again)
            env._pagerless_stop = getattr(self, "_pagerless_stop", None)
        return env

    def program(self, env):
        with _early_stops:
            stopped = env.__dict__.pop("_pagerless_stop", None)
            env.next_state_name = self.start_at.start_at_name  # its program is running from here on
        if stopped is None:
            return run(self, env)
        env.set_stop(**stopped)
        EvalComponent.eval(self, env)  # no state runs; the program records its ExecutionAborted
        return None

    ExecutionWorker.stop = stop
    ExecutionWorker._get_evaluation_environment = environment
    Program.eval = program
    ExecutionWorker._pagerless_early_stops = True


_tokens = threading.Lock()


def answer_each_token_once() -> None:
    """A task token takes one answer, while the task attempt it was given to waits, as on AWS.

    AWS (Step Functions API reference, SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat,
    "Errors": docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html;
    botocore raises ``TaskTimedOut``, "Task Timed Out: 'Provided task does not exist anymore'")
    refuses a token with ``TaskTimedOut``, "the task token has either expired or the task
    associated with the token has already been closed", and one it never gave with ``InvalidToken``,
    "the provided token is not valid"; each attempt of a Task state has a token of its own. moto
    kept every token of a running execution open: a second SendTaskSuccess or SendTaskFailure was
    taken (and won, if the task had not read the first yet), a retried attempt got the
    token of the attempt before it (so it took that attempt's answer again), a SendTaskFailure to a
    finished execution was taken, and a SendTaskHeartbeat to a task without HeartbeatSeconds was
    ``InvalidToken`` (it is taken here: there is no heartbeat clock to reset). Here a token closes with its first answer, and when its attempt ends however
    it ends (its answer read, its wait timed out, its Lambda failed); a retry gets a new token; a
    token of an execution that stopped or ended is closed. A send to a closed token is refused with
    ``TaskTimedOut``, one to a token no execution gave with ``InvalidToken``. (A token of an
    execution the local retention dropped is unknown here: ``InvalidToken``.)"""
    from moto.stepfunctions.parser.api import InvalidToken, SendTaskFailureOutput, TaskTimedOut
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeFailure, CallbackOutcomeSuccess
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    if getattr(StepFunctionsParserBackend, "_pagerless_tokens_once", False):
        return
    attempt = StateTaskServiceCallback._evaluate_with_timeout

    def one_token_per_attempt(self, env):
        task = env.states.context_object.context_object_data.get("Task") or {}
        endpoint = env.callback_pool_manager.get(task["Token"]) if task.get("Token") else None
        if endpoint is None or not self._is_integration_pattern():  # not a task that waits for a token
            return attempt(self, env)
        if getattr(endpoint, "_pagerless_attempted", False):  # a retry: its own token (a frame copies it)
            endpoint = env.callback_pool_manager.add(env.states.context_object.update_task_token())
        endpoint._pagerless_attempted = True
        try:
            return attempt(self, env)
        finally:
            with _tokens:
                endpoint._pagerless_closed = True

    def open_endpoint(backend, token: str):
        """The endpoint a task attempt waits on with ``token``, or the error AWS refuses it with."""
        for execution in backend._get_executions():
            env = execution.exec_worker.env if execution.exec_worker is not None else None
            endpoint = env.callback_pool_manager.get(token) if env is not None else None
            if endpoint is None:
                continue
            over = not env.is_running() or getattr(execution.exec_status, "value", None) != "RUNNING"
            if over or getattr(endpoint, "_pagerless_closed", False) or endpoint.get_outcome() is not None:
                raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
            return endpoint
        raise InvalidToken("Invalid Token: 'Invalid token'")

    def send_task_success(self, task_token, outcome):
        with _tokens:
            endpoint = open_endpoint(self, task_token)
            endpoint.notify(CallbackOutcomeSuccess(callback_id=task_token, output=outcome))

    def send_task_failure(self, task_token, error=None, cause=None):
        with _tokens:
            endpoint = open_endpoint(self, task_token)
            endpoint.notify(CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause))
        return SendTaskFailureOutput()

    def send_task_heartbeat(self, task_token):
        with _tokens:
            open_endpoint(self, task_token).notify_heartbeat()  # no HeartbeatSeconds: nothing to reset

    StateTaskServiceCallback._evaluate_with_timeout = one_token_per_attempt
    StepFunctionsParserBackend.send_task_success = send_task_success
    StepFunctionsParserBackend.send_task_failure = send_task_failure
    StepFunctionsParserBackend.send_task_heartbeat = send_task_heartbeat
    StepFunctionsParserBackend._pagerless_tokens_once = True


def keep_failure_causes() -> None:
    """SendTaskFailure's ``cause`` reaches the task, as on AWS.

    AWS (Step Functions API reference, SendTaskFailure, "Request Parameters":
    docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html) takes an
    ``error`` and a ``cause``; the task fails with both: its TaskFailed event carries them
    (API_TaskFailedEventDetails.html), a Catch's ResultPath gets the error output
    ``{"Error": ..., "Cause": ...}`` (developer guide, "Handling errors in Step Functions
    workflows", docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html), and an
    uncaught one fails the execution with them (ExecutionFailed, DescribeExecution's ``error`` and
    ``cause``). moto's handler read the ``error`` and dropped the ``cause``: a rejected approval's
    trace and the runbook run's rollback reason (``$.error.Cause``) did not say who rejected it."""
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    if getattr(StepFunctionResponse, "_pagerless_failure_causes", False):
        return
    respond = StepFunctionResponse.send_task_failure

    def send_task_failure(self):
        backend = self.stepfunction_backend
        if not isinstance(backend, StepFunctionsParserBackend):  # (no execution: nothing waits on a token)
            return respond(self)
        backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure
    StepFunctionResponse._pagerless_failure_causes = True


_stops = threading.Lock()
_EXECUTION_ENDS = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"})


def end_stopped_executions_at_once() -> None:
    """StopExecution ends the execution when it answers, whatever its state in progress waits on, as on AWS.

    AWS (Step Functions API reference, StopExecution:
    docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html) stops the
    execution and answers with its ``stopDate``; from then on DescribeExecution says ABORTED, the
    history ends with ExecutionAborted, whose details are the stop's ``error`` and ``cause``
    (API_ExecutionAbortedEventDetails.html), and a task token the execution waited on is refused
    (``TaskTimedOut``: ``answer_each_token_once``). moto only flagged the execution's program
    stopped: a state that waited went on waiting (a task on its token until it was answered or its
    TimeoutSeconds, a year by default, fired), the execution stayed RUNNING meanwhile, and the
    wait's end was then recorded as a failure the stopped program could not catch (the execution
    ended FAILED, ``States.Runtime``); StopExecution answered with no ``stopDate`` and dropped its
    ``error`` and ``cause``.

    Here a stop that is taken (the execution still runs): the execution is ABORTED at the stop's
    date, its history gets its ExecutionAborted and nothing after it, and every wait on a task token
    of the execution ends at once, so its threads end too. A state that runs on by itself (a Lambda
    task's invocation) ends in the background, as on AWS, and nothing it does is recorded. A stop
    that comes before moto's worker has set the execution up (``keep_early_stops``, which this
    relies on) makes it ABORTED at once too; its ExecutionAborted is recorded when the worker sets
    it up, moments later. The state the stop interrupted fails no further (moto raised its failure
    into the stopped program, which logged it as an error): its ExecutionAborted is the last word."""
    from datetime import UTC, datetime

    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.api import ExecutionAbortedEventDetails, ExecutionStatus, HistoryEventType
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    if getattr(StepFunctionsParserBackend, "_pagerless_stops_at_once", False):
        return
    record, reflect, respond, uncaught = (
        EventManager.add_event,
        BaseExecutionWorkerCommunication._reflect_execution_status,
        StepFunctionResponse.stop_execution,
        ExecutionState._handle_uncaught,
    )

    def history_lock(manager) -> threading.Lock:
        return vars(manager).setdefault("_pagerless_lock", threading.Lock())

    def add_event(self, context, event_type, *args, **kwargs):
        with history_lock(self):
            if getattr(self, "_pagerless_ended", False):  # the execution's last event is recorded
                return None
            self._pagerless_ended = str(getattr(event_type, "value", event_type)) in _EXECUTION_ENDS
            return record(self, context, event_type, *args, **kwargs)

    def record_abort(env, error, cause) -> None:
        """The stopped execution's last event (as moto's program records it: after the event 0)."""
        manager = env.event_manager
        details = {name: value for name, value in (("error", error), ("cause", cause)) if value is not None}
        with history_lock(manager):
            if getattr(manager, "_pagerless_ended", False):
                return
            record(
                manager,
                EventHistoryContext.of_program_start(),
                HistoryEventType.ExecutionAborted,
                EventDetails(executionAbortedEventDetails=ExecutionAbortedEventDetails(**details)),
            )
            manager._pagerless_ended = True

    def stop_execution(self, execution_arn: str, error: str | None = None, cause: str | None = None):
        execution = self.describe_execution(execution_arn)
        with _stops:
            if getattr(execution.exec_status, "value", None) != "RUNNING":
                return execution  # it ended before: there is nothing to stop
            stop_date = datetime.now(UTC)
            execution.stop(stop_date=stop_date, error=error, cause=cause)
            worker = execution.exec_worker
            env = worker.env
            started = env is not None and env.program_state() is not None
            early = getattr(worker, "_pagerless_stop", None) is not None  # kept until the worker sets it up
            if started and not isinstance(env.program_state(), ProgramStopped) and not early:
                return execution  # it ended by itself just before the stop
            execution.exec_status = ExecutionStatus.ABORTED
            execution.stop_date = stop_date
            if started and isinstance(env.program_state(), ProgramStopped):
                record_abort(env, error, cause)
                for endpoint in list(env.callback_pool_manager._pool.values()):
                    endpoint.interrupt_all()  # its wait ends, with no answer: the token is refused from now on
        return execution

    def handle_uncaught(self, env, failure_event):
        if isinstance(env.program_state(), ProgramStopped):  # the stop ended the state's attempt (and the execution)
            return
        uncaught(self, env, failure_event)

    def reflect_execution_status(self):
        if getattr(self.execution.exec_status, "value", None) == "ABORTED":  # the stop ended it when it answered
            return
        reflect(self)

    def stop_execution_response(self):
        backend = self.stepfunction_backend
        if not isinstance(backend, StepFunctionsParserBackend):  # (no execution: moto's own stop)
            return respond(self)
        execution = backend.stop_execution(
            self._get_param("executionArn"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return ActionResult({"stopDate": execution.stop_date})

    EventManager.add_event = add_event
    ExecutionState._handle_uncaught = handle_uncaught
    BaseExecutionWorkerCommunication._reflect_execution_status = reflect_execution_status
    StepFunctionsParserBackend.stop_execution = stop_execution
    StepFunctionResponse.stop_execution = stop_execution_response
    StepFunctionsParserBackend._pagerless_stops_at_once = True


def answer_starting_executions_as_running() -> None:
    """An execution is RUNNING from the moment it exists, as on AWS. moto lists a new execution before it sets its
    status (StartExecution appends it, builds its worker, then marks it RUNNING), so a ListExecutions or a
    DescribeExecution of it in between failed inside moto (``None.value``: an HTTP 500 to the caller, such as the
    escalation tests' and an operator's `aws stepfunctions list-executions` against `pagerless dev`)."""
    from moto.stepfunctions.parser.backend.execution import Execution

    if getattr(Execution, "_pagerless_running_at_once", False):
        return

    def status(self) -> str:
        return "RUNNING" if self.exec_status is None else self.exec_status.value

    Execution.status = property(status)
    Execution._pagerless_running_at_once = True
