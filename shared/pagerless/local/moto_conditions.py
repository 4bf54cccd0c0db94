"""moto's DynamoDB condition expressions lexed once per expression string (patch 10 of
`pagerless.local.moto_speedups`).

moto parses every ``ConditionExpression`` and ``FilterExpression`` from scratch: its lexer walks
the string one token at a time, building its list of seven patterns again for every token. The
conditions Pagerless sends are a few fixed strings (the alert's ``touch_firing``, a claim, a
version check), so an alert storm paid for lexing the same strings thousands of times (about 5 %
of its samples). The lexer's tokens depend on the string alone; they are remembered per string
(at most ``LIMIT`` strings) and every request gets a fresh deque of them. The tokens are
namedtuples whose ``children`` lists are empty and never changed by the later stages, which build
new nodes; everything after lexing (paths, names, values, functions, precedence, errors) is
moto's, per request. A string moto cannot lex raises each time, as before.
"""

from collections import deque
from collections.abc import Callable
from typing import Any

LIMIT = 2048


def patch_conditions(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    lex = ConditionExpressionParser._lex_condition_expression
    lexed: dict[str, tuple] = {}

    def remembered(self) -> deque:
        expression = self.condition_expression
        tokens = lexed.get(expression)
        if tokens is None:
            tokens = tuple(lex(self))
            if len(lexed) < LIMIT:
                lexed[expression] = tokens
        return deque(tokens)

    patch(ConditionExpressionParser, "_lex_condition_expression", remembered)
