"""Refuse the numbers DynamoDB refuses.

A DynamoDB number has at most 38 significant digits and a magnitude from 1E-130 to under 1E+126; anything
else (and a value that is no number, such as ``Infinity``, which ``json.dumps`` writes for a float) is a
``ValidationException`` for the whole request. moto stores any of them, so code that passes an unbounded
integer from a request (a 60-digit ``Last-Event-ID``, a limit, a count typed in a form) into an item, a key
or an expression value worked on the embedded AWS and answered 500 deployed. The embedded runtime checks
every number of every DynamoDB request as DynamoDB does, with its messages, so the tests (the OpenAPI fuzz
among them) and ``pagerless dev`` meet the refusal where AWS would give it.

The check walks the request's parameters once (a few microseconds for our items, next to the milliseconds
moto spends on the request): every ``{"N": ...}`` and ``{"NS": [...]}`` attribute value, wherever it is.
"""

import functools
from decimal import Decimal, InvalidOperation

MAX_DIGITS = 38
MAX_EXPONENT = 125  # the largest magnitude is 9.99...E+125
MIN_EXPONENT = -130  # the smallest non-zero magnitude is 1E-130


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


def refuse_numbers_dynamodb_refuses() -> None:
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_pagerless_numbers", False):
        return
    call_action = DynamoHandler.call_action

    @functools.wraps(call_action)
    def checked(self, *args, **kwargs):
        problem = first_problem(getattr(self, "params", None))
        if problem is not None:
            raise MockValidationException(problem)
        return call_action(self, *args, **kwargs)

    DynamoHandler.call_action = checked
    DynamoHandler._pagerless_numbers = True
