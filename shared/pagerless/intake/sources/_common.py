"""Small, strict readers shared by the normalizers.

Every vendor payload is untrusted: these helpers check types and raise the domain
`ValidationError` with a message naming the field, instead of letting a `TypeError` or
`KeyError` escape. None of them mutates what it reads. Timestamps are read by
`pagerless.clock.parse_time`, the one lenient parser.
"""

import json
from collections.abc import Mapping
from typing import Any

from pagerless.domain.errors import ValidationError


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
