"""moto's DynamoDB condition expressions lexed and parsed once per expression (patch 10 of
`pagerless.local.moto_speedups`).

moto parses every ``ConditionExpression`` and ``FilterExpression`` from scratch: its lexer walks
the string one token at a time, building its list of seven patterns again for every token, and
six more passes turn the tokens into a syntax tree. The conditions Pagerless sends are a few fixed
strings (the alert's ``touch_firing``, a claim, a version check), so an alert storm paid for
parsing the same strings thousands of times (about 7 % of its samples).

- **Tokens** depend on the string alone; they are remembered per string and every request gets a
  fresh deque of them. The tokens are namedtuples whose ``children`` lists are empty and never
  changed by the later stages, which build new nodes.
- **The syntax tree** depends on the string and the expression attribute names (a ``#name`` is
  replaced by the attribute it stands for while parsing); it is remembered per string and names,
  with the names and values it uses. Values are not part of the tree that is kept: every request
  builds moto's condition objects from the tree afresh (``_make_op_condition``, which only reads
  it), and each ``:value`` operand is looked up in that request's values, so a value that is
  missing raises as it did while parsing. Nothing that failed to parse is remembered: a string
  moto cannot lex or parse raises each time.

At most ``LIMIT`` strings and ``LIMIT`` (string, names) pairs are remembered.
"""

from collections import deque
from collections.abc import Callable
from typing import Any

LIMIT = 2048


def patch_conditions(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.dynamodb.comparisons import AttributeValue, ConditionExpressionParser

    value_kind = ConditionExpressionParser.Kind.EXPRESSION_ATTRIBUTE_VALUE
    lex = ConditionExpressionParser._lex_condition_expression
    parse = ConditionExpressionParser.parse
    make_condition = ConditionExpressionParser._make_op_condition
    make_operand = ConditionExpressionParser._make_operand
    lexed: dict[str, tuple] = {}
    trees: dict[tuple, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {}

    def remembered_tokens(self) -> deque:
        expression = self.condition_expression
        tokens = lexed.get(expression)
        if tokens is None:
            tokens = tuple(lex(self))
            if len(lexed) < LIMIT:
                lexed[expression] = tokens
        return deque(tokens)

    def remembered_parse(self):
        key = _key(self.condition_expression, self.expression_attribute_names)
        if key is None:
            return parse(self)
        known = trees.get(key)
        if known is None:
            names_before, values_before = len(self.expr_attr_names_found), len(self.expr_attr_values_found)
            self._pagerless_root = None
            condition = parse(self)  # moto's parse; the tree's root is caught by `caught_root` below
            root = self._pagerless_root
            if root is not None and len(trees) < LIMIT:
                names = tuple(self.expr_attr_names_found[names_before:])
                trees[key] = (root, names, tuple(self.expr_attr_values_found[values_before:]))
            return condition
        root, names, values = known
        for value in values:
            self._lookup_expression_attribute_value(value)  # a missing value raises, as while parsing
        self.expr_attr_names_found.extend(names)
        self.expr_attr_values_found.extend(values)
        return make_condition(self, root)

    def caught_root(self, node):
        if getattr(self, "_pagerless_root", False) is None:
            self._pagerless_root = node  # the first call is parse()'s, with the whole tree
        return make_condition(self, node)

    def operand_with_this_requests_value(self, node):
        if node.kind == value_kind:
            return AttributeValue(self._lookup_expression_attribute_value(node.text))
        return make_operand(self, node)

    patch(ConditionExpressionParser, "_lex_condition_expression", remembered_tokens)
    patch(ConditionExpressionParser, "parse", remembered_parse)
    patch(ConditionExpressionParser, "_make_op_condition", caught_root)
    patch(ConditionExpressionParser, "_make_operand", operand_with_this_requests_value)


def _key(expression: Any, names: Any) -> tuple | None:
    """What a syntax tree depends on, or None when it is not to be remembered (no expression, or
    names that are not a plain map of strings, which moto is left to reject)."""
    if not expression or not isinstance(expression, str):
        return None
    if not names:
        return (expression, None)
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        return None
    return (expression, frozenset(names.items()))
