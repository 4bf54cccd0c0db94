"""Refuse what AWS refuses and moto takes: numbers DynamoDB cannot keep, keys longer than a key can be, execution
names Step Functions refuses.

- **Numbers.** A DynamoDB number has at most 38 significant digits and a magnitude from 1E-130 to under
  1E+126; anything else (and a value that is no number, such as ``Infinity``, which ``json.dumps`` writes for
  a float) is a ``ValidationException`` for the whole request. moto stores any of them.
- **Key sizes on reads.** A partition key is at most 2,048 bytes and a sort key at most 1,024. moto checks
  that when an item is written; DynamoDB also refuses a GetItem, BatchGetItem, UpdateItem, DeleteItem,
  TransactGetItems or TransactWriteItems naming a longer key, and a Query whose key condition names a
  value longer than a partition key can be. moto answered "no such item", so a route that looked up a
  4,000-character id from its path answered 404 here and 500 deployed.
- **Index key sizes on writes.** An item whose attribute that keys a secondary index is longer than that
  index's key can be (2,048 bytes for its partition key, 1,024 for its sort key) is refused, where moto wrote
  it: a PutItem (alone, in a batch or a transaction), and an UpdateItem or transaction update that sets such
  an attribute to such a value (``SET a = :v``).
- **Execution names.** Step Functions names an execution in 1 to 80 characters, without whitespace, brackets,
  wildcards or control characters. moto's interpreter started an execution under any name; an incident of a
  64-character workspace had a workflow here and none deployed.
- **Parameter values.** A Standard-tier SSM parameter (ours) holds at most 4,096 characters; moto kept any.
- **Message characters.** An SQS message body holds only #x9, #xA, #xD and #x20 to #x10FFFF without the
  surrogates, U+FFFE and U+FFFF; SQS refuses any other with ``InvalidMessageContents``. moto queued it.

The embedded runtime checks every such request as AWS does, with its messages, so the tests (the OpenAPI fuzz
among them) and ``pagerless dev`` meet the refusal where AWS would give it. The DynamoDB check walks the request's
parameters once: a few microseconds for our items, next to the milliseconds moto spends.
"""

import functools
import inspect
import re
from decimal import Decimal, InvalidOperation

MAX_DIGITS = 38
MAX_EXPONENT = 125  # the largest magnitude is 9.99...E+125
MIN_EXPONENT = -130  # the smallest non-zero magnitude is 1E-130
HASH_KEY_BYTES, RANGE_KEY_BYTES = 2048, 1024
HASH_KEY_TOO_LONG = (
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
)
RANGE_KEY_TOO_LONG = (
    "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit "
    "of 1024 bytes"
)
_VALUE_NAME = re.compile(r":[A-Za-z0-9_]+")
_ASSIGNMENT = re.compile(r"(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)")


def number_problem(text) -> str | None:
    """DynamoDB's complaint about the number ``text`` (an attribute value's N), or None for a number it keeps."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return f"The parameter cannot be converted to a numeric value: {text}"
    if value.is_zero():
        return None
    digits = "".join(map(str, value.as_tuple().digits)).strip("0")  # not normalize(): it rounds to 28 digits
    if len(digits) > MAX_DIGITS:
        return "Attempting to store more than 38 significant digits in a Number"
    if value.adjusted() > MAX_EXPONENT:
        return "Number overflow. Attempting to store a number with magnitude larger than supported range"
    if value.adjusted() < MIN_EXPONENT:
        return "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    return None


def first_problem(node) -> str | None:
    """The first number in a request's parameters that DynamoDB refuses, said as DynamoDB says it."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((kind, value),) = node.items()
            if kind == "N" and isinstance(value, str):
                return number_problem(value)
            if kind == "NS" and isinstance(value, list) and all(isinstance(v, str) for v in value):
                return next(filter(None, map(number_problem, value)), None)
        for value in node.values():
            if isinstance(value, (dict, list)) and (problem := first_problem(value)):
                return problem
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, (dict, list)) and (problem := first_problem(value)):
                return problem
    return None


def _size(value) -> int:
    """The bytes of a key attribute value (``{"S": ...}``, ``{"B": ...}`` or ``{"N": ...}``)."""
    if not isinstance(value, dict) or len(value) != 1:
        return 0
    ((_, raw),) = value.items()
    return len(raw.encode()) if isinstance(raw, str) else len(raw) if isinstance(raw, (bytes, bytearray)) else 0


def key_problem(backend, table_name, key) -> str | None:
    """DynamoDB's complaint about ``key`` (a request's Key of ``table_name``), or None."""
    try:
        table = backend.get_table(table_name)
    except Exception:  # no such table: moto answers that itself
        return None
    if not isinstance(key, dict):
        return None
    if _size(key.get(table.hash_key_attr)) > HASH_KEY_BYTES:
        return HASH_KEY_TOO_LONG
    if table.range_key_attr is not None and _size(key.get(table.range_key_attr)) > RANGE_KEY_BYTES:
        return RANGE_KEY_TOO_LONG
    return None


def index_key_problem(backend, table_name, item) -> str | None:
    """DynamoDB's complaint about an item (or the attributes an update sets) of ``table_name`` whose value for a
    secondary index's key is longer than that key can be, or None."""
    try:
        table = backend.get_table(table_name)
    except Exception:
        return None
    if not isinstance(item, dict):
        return None
    for index in table.global_indexes + table.indexes:
        for part in index.schema:
            limit = HASH_KEY_BYTES if part["KeyType"] == "HASH" else RANGE_KEY_BYTES
            if (size := _size(item.get(part["AttributeName"]))) > limit:
                return (
                    "One or more parameter values were invalid: Size limit exceeded for Index Key "
                    f"{part['AttributeName']} Actual Size: {size} bytes Max Size: {limit} bytes IndexName: {index.name}"
                )
    return None


def _assigned(update: dict) -> dict:
    """The attributes a simple ``SET a = :v`` of an update gives a value, with those values."""
    names, values = update.get("ExpressionAttributeNames") or {}, update.get("ExpressionAttributeValues") or {}
    return {
        names.get(name, name): values[value]
        for name, value in _ASSIGNMENT.findall(update.get("UpdateExpression") or "")
        if value in values
    }


def write_index_problem(backend, action: str | None, params: dict) -> str | None:
    """The first item a write puts (or attribute an update sets) that is longer than an index key can be."""
    items: list[tuple[str | None, dict]] = []
    if action == "PutItem":
        items.append((params.get("TableName"), params.get("Item")))
    elif action == "UpdateItem":
        items.append((params.get("TableName"), _assigned(params)))
    elif action == "BatchWriteItem":
        for table, writes in (params.get("RequestItems") or {}).items():
            items += [(table, (w.get("PutRequest") or {}).get("Item")) for w in writes or [] if isinstance(w, dict)]
    elif action == "TransactWriteItems":
        for entry in params.get("TransactItems") or []:
            put, update = (entry or {}).get("Put"), (entry or {}).get("Update")
            if isinstance(put, dict):
                items.append((put.get("TableName"), put.get("Item")))
            if isinstance(update, dict):
                items.append((update.get("TableName"), _assigned(update)))
    return next((p for table, item in items if (p := index_key_problem(backend, table, item))), None)


def request_key_problem(backend, action: str | None, params: dict) -> str | None:
    """The first key of a read or key-naming write in ``params`` that is longer than a key can be."""
    keys: list[tuple[str | None, dict]] = []
    if action in ("GetItem", "UpdateItem", "DeleteItem"):
        keys.append((params.get("TableName"), params.get("Key")))
    elif action == "BatchGetItem":
        for table, wanted in (params.get("RequestItems") or {}).items():
            keys += [(table, key) for key in (wanted or {}).get("Keys") or []]
    elif action in ("TransactGetItems", "TransactWriteItems"):
        for item in params.get("TransactItems") or []:
            for part in (item or {}).values():
                if isinstance(part, dict) and "Key" in part:
                    keys.append((part.get("TableName"), part["Key"]))
    elif action == "Query":
        values = params.get("ExpressionAttributeValues") or {}
        named = _VALUE_NAME.findall(params.get("KeyConditionExpression") or "")
        if any(_size(values.get(name)) > HASH_KEY_BYTES for name in named):
            return HASH_KEY_TOO_LONG
    return next((p for table, key in keys if (p := key_problem(backend, table, key))), None)


def refuse_what_dynamodb_refuses() -> None:
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_pagerless_limits", False):
        return
    call_action = DynamoHandler.call_action

    @functools.wraps(call_action)
    def checked(self, *args, **kwargs):
        params = getattr(self, "params", None) or {}
        action, backend = self.get_endpoint_name(self.headers), self.dynamodb_backend
        problem = (
            first_problem(params)
            or request_key_problem(backend, action, params)
            or write_index_problem(backend, action, params)
        )
        if problem is not None:
            raise MockValidationException(problem)
        return call_action(self, *args, **kwargs)

    DynamoHandler.call_action = checked
    DynamoHandler._pagerless_limits = True


def name_executions_as_step_functions_does() -> None:
    """StartExecution checks the execution's name as Step Functions does (moto's own check, which its interpreter's
    StartExecution skips)."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    if getattr(StepFunctionsParserBackend, "_pagerless_names", False):
        return
    start_execution = StepFunctionsParserBackend.start_execution

    @functools.wraps(start_execution)
    def checked(self, state_machine_arn, name=None, *args, **kwargs):
        if name is not None:
            self._validate_name(name)
        return start_execution(self, state_machine_arn, name, *args, **kwargs)

    StepFunctionsParserBackend.start_execution = checked
    StepFunctionsParserBackend._pagerless_names = True


SSM_STANDARD_VALUE = 4096
SSM_TOO_LONG = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter "
    "value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)


def keep_parameters_as_ssm_does() -> None:
    """PutParameter refuses a Standard-tier value longer than SSM keeps."""
    from moto.ssm.exceptions import ValidationException
    from moto.ssm.models import SimpleSystemManagerBackend

    if getattr(SimpleSystemManagerBackend, "_pagerless_values", False):
        return
    put_parameter = SimpleSystemManagerBackend.put_parameter
    signature = inspect.signature(put_parameter)

    @functools.wraps(put_parameter)
    def checked(self, *args, **kwargs):
        given = signature.bind(self, *args, **kwargs).arguments  # moto's handler passes them by position
        value, tier = given.get("value"), given.get("tier")
        if isinstance(value, str) and len(value) > SSM_STANDARD_VALUE and tier in (None, "", "Standard"):
            raise ValidationException(SSM_TOO_LONG)
        return put_parameter(self, *args, **kwargs)

    SimpleSystemManagerBackend.put_parameter = checked
    SimpleSystemManagerBackend._pagerless_values = True


SQS_REFUSED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SQS_INVALID_CONTENTS = (
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
    "#x10000 to #x10FFFF"
)


def queue_messages_as_sqs_does() -> None:
    """SendMessage and SendMessageBatch refuse a body with a character SQS does not keep."""
    from moto.sqs.exceptions import SQSException
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend, "_pagerless_characters", False):
        return
    validate = SQSBackend._validate_message

    @functools.wraps(validate)
    def checked(self, queue, message_body, *args, **kwargs):
        if isinstance(message_body, str) and SQS_REFUSED.search(message_body):
            raise SQSException("InvalidMessageContents", SQS_INVALID_CONTENTS)
        return validate(self, queue, message_body, *args, **kwargs)

    SQSBackend._validate_message = checked
    SQSBackend._pagerless_characters = True
