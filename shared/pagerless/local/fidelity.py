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
