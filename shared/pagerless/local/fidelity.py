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
