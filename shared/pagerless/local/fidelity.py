"""Make the embedded AWS keep the promises our code relies on.

DynamoDB evaluates a condition expression and applies the write atomically, per item. moto
checks and writes in the calling thread without a lock, so two threads can both pass the same
condition. Serializing moto's DynamoDB writes restores the guarantee for concurrent tests and
`pagerless dev` (moto's server is threaded too).
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
