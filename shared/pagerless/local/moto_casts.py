"""moto's ``DynamoType.cast_value`` without deciding the value's type anew each time (patch 12 of
`pagerless.local.moto_speedups`).

Every comparison moto makes between attribute values goes through ``cast_value``: a query's key
match and its sort, a condition, an item's hash. It is a property that tests the value's type
five times before it returns a string as it is, and builds a new ``Decimal`` from a number's text
on every call: 16 % of the samples of the real Alertmanager storm. Here a string (``S``) is
returned at once, and a number's ``Decimal`` is kept on the value beside the text it was made
from, and made again when the value holds another text (an update gives the value a new text; a
``Decimal`` is immutable). Every other type takes moto's path.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any


def patch_casts(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.dynamodb.models.dynamo_type import DDBType, DynamoType

    moto_cast = DynamoType.cast_value.fget
    string, number = DDBType.STRING, DDBType.NUMBER

    def cast_value(self):
        kind = self.type
        if kind == string:
            return self.value
        if kind == number:
            text = self.value
            kept = self.__dict__.get("_pl_number")
            if kept is not None and kept[0] is text:
                return kept[1]
            value = Decimal(text)
            self.__dict__["_pl_number"] = (text, value)
            return value
        return moto_cast(self)

    patch(DynamoType, "cast_value", property(cast_value))
