"""What every PynamoDB model shares: table names and region read on use, not at import."""

import base64
import json
import os
from datetime import UTC, datetime

from pynamodb.models import Model

from pagerless import settings
from pagerless.domain.errors import ValidationError
from pagerless.store import session as _session  # noqa: F401  (one botocore session for every model)


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


def utcnow() -> datetime:
    return datetime.now(UTC)


def encode_cursor(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict | None:
    """Turn an opaque cursor back into a DynamoDB key; a tampered cursor is a ValidationError."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("cursor is not valid", details=[{"field": "cursor"}]) from exc
    if not isinstance(value, dict):
        raise ValidationError("cursor is not valid", details=[{"field": "cursor"}])
    return value
