"""Small, strict readers shared by the normalizers.

Every vendor payload is untrusted: these helpers check types and raise the domain
`ValidationError` with a message naming the field, instead of letting a `TypeError` or
`KeyError` escape. None of them mutates what it reads.
"""

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pagerless.domain.errors import ValidationError

# Go's zero time.Time, sent by Alertmanager and Grafana for "no end yet".
_GO_ZERO_TIME = re.compile(r"^0001-01-01T00:00:00(\.0+)?(Z|[+-]00:?00)?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def load_json(payload: Any, what: str) -> Any:
    """Decode ``payload`` if it is JSON text (str/bytes); return other values unchanged."""
    if isinstance(payload, bytes | bytearray):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{what} payload is not UTF-8 text") from exc
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{what} payload is not valid JSON: {exc.msg}") from exc
    return payload


def require_dict(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else a ValidationError naming ``what``."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be a JSON object, got {_kind(value)}")
    return value


def optional_dict(value: Any, what: str) -> Mapping[str, Any]:
    """Like `require_dict`, but a missing (None) value is an empty object."""
    return {} if value is None else require_dict(value, what)


def require_list(value: Any, what: str) -> list[Any]:
    """``value`` if it is a JSON array, else a ValidationError naming ``what``."""
    if not isinstance(value, list):
        raise ValidationError(f"{what} must be a JSON array, got {_kind(value)}")
    return value


def optional_list(value: Any, what: str) -> list[Any]:
    """Like `require_list`, but a missing (None) value is an empty list."""
    return [] if value is None else require_list(value, what)


def text(value: Any) -> str | None:
    """A stripped, non-empty string from a scalar, or None (objects and arrays give None)."""
    if value is None or isinstance(value, Mapping | list | bool):
        return None
    result = str(value).strip()
    return result or None


def first_text(*values: Any) -> str | None:
    """The first of ``values`` that `text` turns into a non-empty string."""
    for value in values:
        result = text(value)
        if result is not None:
            return result
    return None


def string_map(value: Any, what: str) -> dict[str, str]:
    """A JSON object as ``dict[str, str]`` (labels, annotations).

    Keys and values are stripped; nulls are dropped; numbers and booleans become their JSON
    text; nested objects and arrays become compact, key-sorted JSON.
    """
    result: dict[str, str] = {}
    for key, raw in optional_dict(value, what).items():
        name = str(key).strip()
        if not name or raw is None:
            continue
        result[name] = scalar_text(raw)
    return result


def scalar_text(value: Any) -> str:
    """Any JSON value as a label-safe string."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parse_time(value: Any) -> datetime | None:
    """An aware UTC-or-offset datetime from RFC3339 text or epoch s/ms/µs/ns numbers.

    Go's zero time (``0001-01-01T00:00:00Z``), empty and unparseable values give None:
    a bad timestamp never rejects an otherwise good alert.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    raw = str(value).strip()
    if not raw or _GO_ZERO_TIME.match(raw):
        return None
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return _from_epoch(float(raw))
    iso = raw.replace("Z", "+00:00").replace("z", "+00:00")
    iso = _FRACTION.sub(r"\1", iso)
    iso = _COMPACT_OFFSET.sub(r"\1:\2", iso)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_epoch(number: float) -> datetime | None:
    # Vendors send seconds, milliseconds (Opsgenie createdAt, New Relic) or nanoseconds
    # (Opsgenie updatedAt); the magnitude tells which.
    if number <= 0:
        return None
    for divisor in (1, 1e3, 1e6, 1e9):
        seconds = number / divisor
        if seconds < 1e11:
            try:
                return datetime.fromtimestamp(seconds, tz=UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
