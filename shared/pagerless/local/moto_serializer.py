"""moto's JSON serializer writes a DynamoDB ``AttributeValue`` directly (patch 4 of
`pagerless.local.moto_speedups`).

moto serializes every response with a generic walk of the service's shapes, which tries up to a
dozen key aliases for each of the ten members of every attribute value. When the value is what
moto's DynamoDB handler produces (one of S, N, BOOL, NULL, SS, NS, M, L with str strings and
non-empty string map keys), the dict that walk would build is written at once. Anything else
(binary, several or unknown type keys, a response transformer that could match an attribute
value's key path) takes the generic walk.
"""

import functools
from collections.abc import Callable
from typing import Any

_TYPE_KEYS = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS", "M", "L"})
_UNSAFE_ENDINGS = frozenset("SNBML")  # last letters of AttributeValue's member names


class _Generic(Exception):
    """The value needs moto's generic shape walk."""


def _attribute_value(value: Any) -> dict:
    """What moto's JSON serializer builds for an AttributeValue shape, for the values it can be sure of."""
    if type(value) is not dict or len(value) != 1:
        raise _Generic
    ((kind, inner),) = value.items()
    if kind not in _TYPE_KEYS:
        raise _Generic
    if kind == "S" or kind == "N":
        if type(inner) is not str:
            raise _Generic
        return {kind: inner}
    if kind == "BOOL" or kind == "NULL":
        if inner is None:
            return {}
        return {kind: inner}
    if inner is None:
        return {}
    if kind == "M":
        if type(inner) is not dict:
            raise _Generic
        out = {}
        for name, member in inner.items():
            if type(name) is not str or not name:
                raise _Generic
            if member is not None:
                out[name] = _attribute_value(member)
        return {"M": out}
    if type(inner) is not list:
        raise _Generic
    if kind == "L":
        return {"L": [None if member is None else _attribute_value(member) for member in inner]}
    if any(type(member) is not str for member in inner):  # SS, NS
        raise _Generic
    return {kind: list(inner)}


def patch_serializer(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.core.serialize import BaseJSONSerializer

    generic = BaseJSONSerializer._serialize_type_structure

    @functools.wraps(generic)
    def structure(self, serialized, value, shape, key):
        if (
            key
            and value is not None
            and shape.name == "AttributeValue"
            and self.service_model.service_name == "dynamodb"
            and _no_transformer_can_match(self._value_picker)
        ):
            try:
                serialized[shape.serialization.get("name", key)] = _attribute_value(value)
                return
            except _Generic:
                pass
        generic(self, serialized, value, shape, key)

    patch(BaseJSONSerializer, "_serialize_type_structure", structure)


def _no_transformer_can_match(picker: Any) -> bool:
    transformers = getattr(picker, "response_transformers", None) or {}
    return not any(not path or path[-1] in _UNSAFE_ENDINGS for path in transformers)
