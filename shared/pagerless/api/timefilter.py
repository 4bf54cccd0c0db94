"""The one parser of time filters (`since`, `until`): ISO 8601 or whole epoch seconds, nothing else.

Accepted: `2026-01-01T00:00:00Z`, `2026-01-01T08:00:00+08:00`, `2026-01-01` (midnight UTC; a time
without an offset is UTC), or whole seconds since the epoch (`1767225600`). Fractions, negative
numbers and other text are a 422, never guessed. The value is always returned in UTC: stores
compare it as ISO text with their UTC keys, so `+08:00` must not reach them as written.
"""

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator

_EPOCH = re.compile(r"^\d{1,11}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$")
DESCRIPTION = "ISO 8601 (2026-01-01T00:00:00Z; no offset = UTC) or whole epoch seconds"


def parse_time_filter(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if _EPOCH.match(text):
        return datetime.fromtimestamp(int(text), UTC)
    if _ISO.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"not a valid date: {text!r}") from exc
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ValueError(f"expected {DESCRIPTION}, got {text[:40]!r}")


def time_filter(description: str) -> object:
    """A query parameter type: ``since: time_filter("...") = None``."""
    return Annotated[
        datetime | None,
        BeforeValidator(lambda v: None if v is None else parse_time_filter(v)),
        Query(description=f"{description}: {DESCRIPTION}"),
    ]
