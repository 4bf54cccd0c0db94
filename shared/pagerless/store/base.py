"""What every PynamoDB model shares: table names and region read on use, not at import."""

import base64
import json
import os
from collections.abc import Callable, Collection

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DeleteError, GetError, PutError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from pagerless import settings
from pagerless.domain.errors import ValidationError
from pagerless.observability import logger
from pagerless.store import session as _session  # noqa: F401  (one botocore session for every model)

# What a store call raises when AWS cannot be used (no endpoint, credentials or table), for the
# command-line tools that report it in one line instead of a traceback.
UNAVAILABLE = (PynamoDBException, BotoCoreError, ClientError)


class TableName:
    """A Meta attribute that reads the table name from settings each time PynamoDB asks.

    PynamoDB re-creates its connection when the name changes, so tests and the local runtime
    can point the same model class at another table.
    """

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __get__(self, instance: object, owner: type) -> str:
        return getattr(settings.tables(), self.setting)


class Region:
    def __get__(self, instance: object, owner: type) -> str:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class BaseModel(Model):
    """Abstract base: subclasses declare ``class Meta: table_name = TableName("...")``."""

    class Meta:
        abstract = True


def get_together(*keys: tuple[type[Model], str, str | None]) -> list[Model | None]:
    """The items at ``keys`` (model, hash key, range key), of one table or several, read consistently in one
    BatchGetItem: one round trip where a GetItem each takes one per item. None for an item that does not exist."""
    request: dict[str, dict] = {}
    wanted = []
    for model, hash_key, range_key in keys:
        key = {}
        for attribute, value in zip(
            (model._hash_key_attribute(), model._range_key_attribute()),
            model._serialize_keys(hash_key, range_key),
            strict=True,
        ):
            if attribute is not None:
                key[attribute.attr_name] = {attribute.attr_type: value}
        table = model.Meta.table_name
        request.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
        wanted.append((model, table, key))
    connection = keys[0][0]._get_connection().connection
    found: dict[str, list[dict]] = {}
    while request:  # what DynamoDB leaves unprocessed is asked again, as PynamoDB's batch_get does
        try:
            answer = connection.dispatch("BatchGetItem", {"RequestItems": request})
        except (BotoCoreError, ClientError) as exc:
            raise GetError(f"Failed to batch get items: {exc}", exc) from exc
        for table, items in answer.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        request = answer.get("UnprocessedKeys") or {}
    return [
        next((model.from_raw_data(item) for item in found.get(table, []) if key.items() <= item.items()), None)
        for model, table, key in wanted
    ]


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """The reason of each item of a refused transaction, in the order sent (puts, then updates)."""
    return [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]


def written(write: Callable[..., object], /, **kwargs) -> bool:
    """Make one conditional write, ``write(**kwargs)``: a record's ``update``, ``save`` or ``delete`` with its
    ``condition``. False, and nothing written, if DynamoDB refused it for that condition; any other error
    (throttling, a validation error, no table) raises as it is."""
    try:
        write(**kwargs)
    except (UpdateError, PutError, DeleteError) as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def best_effort(what: str, write: Callable[..., object], /, **kwargs) -> bool:
    """Make a write the caller can do without (giving a claim back: it goes stale and is taken over instead),
    ``write(**kwargs)``; False if it was not made. A refused condition (another writer took the item over) is
    expected and only noted; any other AWS error (throttling, say) is logged as a warning with its type and code,
    and the caller proceeds. Anything else (a TypeError, an AttributeError) is a bug and raises: swallowing it
    would hide it for good, while the caller's own error it interrupts stays chained to it."""
    try:
        write(**kwargs)
    except (UpdateError, PutError, DeleteError) as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            _not_made(what, exc)
        return False
    except UNAVAILABLE as exc:
        _not_made(what, exc)
        return False
    return True


def _not_made(what: str, exc: Exception) -> None:
    code = exc.cause_response_code if isinstance(exc, PynamoDBException) else None
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
    logger().warning(
        "best-effort write not made", extra={"write": what, "error_type": type(exc).__name__, "aws_code": code}
    )


_RACE_LOST = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def lost_race(exc: TransactWriteError, item: int | None = None) -> bool:
    """Whether a transaction was cancelled because one of its conditions failed, or because another write
    changed one of its items at that moment (TransactionConflict): either way another writer came first and
    the caller reads again. A transaction cancelled for anything else (throttling, validation) is not. With
    ``item`` (its position in the order sent), whether that item is one the race was lost on."""
    codes = cancellation_codes(exc)
    return bool(set(codes if item is None else codes[item : item + 1]) & _RACE_LOST)


def field_edits(model: type[Model], fields: dict, editable: Collection[str]) -> list[Action]:
    """The update actions that set each of ``fields`` of a ``model`` item (None removes one): an edit that writes
    only what it changes. A name not in ``editable`` is an AttributeError."""
    unknown = sorted(set(fields) - set(editable))
    if unknown:
        raise AttributeError(f"{model.__name__} has no editable field {', '.join(unknown)}")
    attributes = model.get_attributes()
    return [attributes[n].remove() if v is None else attributes[n].set(v) for n, v in fields.items()]


def encode_cursor(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, model: type[Model] | None = None, index=None, partition: str | None = None
) -> dict | None:
    """Turn an opaque cursor back into a DynamoDB key; a malformed or tampered cursor is a
    ValidationError (400). With ``model`` (and the ``index`` queried), the key must name exactly
    that table's and index's key attributes with their types; with ``partition``, the query's
    partition value."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad_cursor() from exc
    if (
        not isinstance(value, dict)
        or not value
        or not all(
            isinstance(v, dict)
            and len(v) == 1
            and next(iter(v)) in ("S", "N", "B")
            and isinstance(next(iter(v.values())), str)
            and next(iter(v.values()))  # DynamoDB refuses an empty key value (a 500, not the caller's 400)
            for v in value.values()
        )
    ):
        raise _bad_cursor()
    if model is not None:
        expected = _key_types(model, index)
        if {name: next(iter(v)) for name, v in value.items()} != expected:
            raise _bad_cursor()
        hash_name = _hash_name(index.Meta.attributes if index is not None else model.get_attributes())
        if partition is not None and value[hash_name][expected[hash_name]] != partition:
            raise _bad_cursor()
        for name, kind in expected.items():
            if kind == "N":
                try:
                    float(value[name]["N"])
                except ValueError as exc:
                    raise _bad_cursor() from exc
    return value


def _bad_cursor() -> ValidationError:
    return ValidationError("cursor is not valid; use the next_cursor of a previous page", details=[{"field": "cursor"}])


def _key_types(model: type[Model], index=None) -> dict[str, str]:
    attributes = [*model.get_attributes().values(), *((index.Meta.attributes.values()) if index is not None else [])]
    return {a.attr_name: a.attr_type for a in attributes if a.is_hash_key or a.is_range_key}


def _hash_name(attributes: dict) -> str:
    return next(a.attr_name for a in attributes.values() if a.is_hash_key)
