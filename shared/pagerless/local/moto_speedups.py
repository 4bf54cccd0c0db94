"""Make moto's DynamoDB (and Step Functions' definition parsing) cheaper, with the same answers.

The embedded AWS is moto; under an alert storm its DynamoDB path is most of the process's CPU
(docs/performance.md, section 5). A cProfile of the hot store calls (`bench/moto_update_item.py`)
put an ``UpdateItem``'s cost in: the update expression's validation (ten tree walks that rebuild
their dispatch table at every node, after a ``deepcopy`` of the tree), the response serializer
(a generic shape walk that tries up to a dozen key aliases for each of the ten members of every
attribute value), parsing the same update expression twice per request, and listing the
handler's methods with ``inspect.getmembers`` on every request. Each patch below removes repeated
work whose result cannot differ; every check, error and return value is still moto's own code.

1. ``UpdateExpressionParser.make`` is memoized by expression string. Parsing is a pure function
   of the string (a parse error raises and is not remembered). The tree is shared, so nothing may
   change it: moto's only consumer that changes a tree, ``Validator``, works on a copy it makes
   in its constructor; the others (``find_clauses``) only read it.
2. ``Validator``'s copy of a remembered tree is made from a pickle of it taken once (a C-speed
   rebuild of the same objects) instead of ``copy.deepcopy``; trees that were not remembered
   still get ``deepcopy``. The tree holds only moto's node classes, strings and lists. The three
   checks that depend only on the expression, the attribute names and the table's key attributes
   (action counts, overlapping paths, updating a key attribute) are skipped for a combination
   that already passed every check; the checks that read the item or the values always run.
3. ``DepthFirstTraverser`` keeps its processing map per instance instead of building a new dict
   of bound methods at each node it visits (every ``_processing_map`` in moto returns a fixed
   dict for its instance), and answers "is this a node, which processor takes it" once per node
   class instead of with ``isinstance`` on moto's ABC classes at every node.
4. The JSON serializer writes a DynamoDB ``AttributeValue`` directly when the value is what moto's
   handler produces (one of S, N, BOOL, NULL, SS, NS, M, L with str strings and non-empty string
   map keys): the same dict the generic shape walk builds. Anything else (binary, several or
   unknown type keys, a response transformer that could match an attribute value's key path)
   takes the generic walk (`pagerless.local.moto_serializer`).
5. ``call_action``'s check that the action is a method of the handler asks the class for that one
   name (``inspect.isfunction(getattr(cls, name))``, what ``inspect.getmembers`` tests for each
   name) instead of listing every member of the class per request.
6. Step Functions parses a state machine's definition with its ANTLR grammar at the start of every
   execution (15 % of a storm's samples). The parse tree of a definition is remembered (it is
   only read afterwards); the evaluation components are still built fresh from it by moto's
   ``Preprocessor`` for every execution, so no execution shares state with another. A definition
   with a syntax error raises every time.
7. SQS ``ReceiveMessage`` no longer counts the queue per message received (`pagerless.local.moto_sqs`,
   as are 13 and 14).
8. ``TransactWriteItems`` saves the items it names instead of deep-copying every table it touches
   (`pagerless.local.moto_transactions`).
9. ``Query`` lists only the queried key's items, or an index's candidates unsorted, instead of the
   whole table sorted; with a ``Limit`` on a table's key, only the items moto's loop can reach
   (`pagerless.local.moto_queries`).
10. A condition or filter expression is lexed once per string and parsed once per string and
    attribute names; each request's values go into the conditions built from the tree
    (`pagerless.local.moto_conditions`).
11. Step Functions' JSONPaths are parsed once per path string (`pagerless.local.moto_jsonpath`).
12. An attribute value's ``cast_value`` (every comparison) returns a string at once and keeps a
    number's ``Decimal`` with its text (`pagerless.local.moto_casts`).
13. SQS ``DeleteMessage`` finds the message by its receipt handle, without searching the queue.
14. SQS ``SendMessage`` asks the queue if it deduplicates by content without counting its messages.

``install()`` is idempotent; the runtime calls it on start (the test fixtures too), unless
``PAGERLESS_MOTO_SPEEDUPS=0`` (for comparing, or if a moto upgrade ever disagrees), and
``tests/functional/foundation/test_moto_speedups.py`` compares answers with and without it.
"""

import functools
import inspect
import os
import pickle
import threading
from typing import Any

_PARSED_LIMIT = 2048
_lock = threading.Lock()
_parsed: dict[str, Any] = {}  # expression -> its tree (shared, never changed)
_pickled: dict[int, tuple[Any, bytes, set]] = {}  # id(tree) -> (tree, its pickle, contexts it passed in)
_installed = False
_undo: list[tuple[Any, str, Any]] = []  # (owner, name, what it held before)
_INHERITED = object()


def _patch(owner: Any, name: str, value: Any) -> None:
    _undo.append((owner, name, vars(owner).get(name, _INHERITED)))
    setattr(owner, name, value)


def install() -> None:
    """Apply every patch once per process."""
    global _installed
    if os.environ.get("PAGERLESS_MOTO_SPEEDUPS", "1") == "0":
        return
    with _lock:
        if _installed:
            return
        _remember_update_expressions()
        _cache_processing_maps()
        _find_actions_by_name()
        _remember_definition_parse_trees()
        from pagerless.local.moto_serializer import patch_serializer

        patch_serializer(_patch)
        from pagerless.local.moto_sqs import patch_sqs_delete, patch_sqs_receive, patch_sqs_send

        patch_sqs_receive(_patch)
        patch_sqs_delete(_patch)
        patch_sqs_send(_patch)
        from pagerless.local.moto_transactions import patch_transactions

        patch_transactions(_patch)
        from pagerless.local.moto_queries import patch_queries

        patch_queries(_patch)
        from pagerless.local.moto_conditions import patch_conditions

        patch_conditions(_patch)
        from pagerless.local.moto_jsonpath import patch_jsonpath

        patch_jsonpath(_patch)
        from pagerless.local.moto_casts import patch_casts

        patch_casts(_patch)
        _installed = True


def installed() -> bool:
    return _installed


def uninstall() -> None:
    """Restore moto's own code (the equivalence test compares both)."""
    global _installed
    with _lock:
        while _undo:
            owner, name, original = _undo.pop()
            if original is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        _parsed.clear()
        _pickled.clear()
        _asl_trees.clear()
        from pagerless.local.moto_sqs import forget_holders

        forget_holders()
        _installed = False


# 1 + 2 ------------------------------------------------------------------ update expressions
def _remember_update_expressions() -> None:
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    make = UpdateExpressionParser.make.__func__

    def remembered(cls, expression_str):
        tree = _parsed.get(expression_str)
        if tree is not None and cls is UpdateExpressionParser:
            return tree
        tree = make(cls, expression_str)
        if cls is UpdateExpressionParser:
            try:
                frozen = pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
                return tree  # not remembered: moto's own path, deepcopy included
            with _lock:
                if len(_parsed) >= _PARSED_LIMIT:
                    for old in _parsed.values():
                        _pickled.pop(id(old), None)
                    _parsed.clear()
                _parsed[expression_str] = tree
                _pickled[id(tree)] = (tree, frozen, set())
        return tree

    _patch(UpdateExpressionParser, "make", classmethod(remembered))

    init = validators.Validator.__init__

    @functools.wraps(init)
    def copy_from_pickle(self, expression, *args, **kwargs):
        entry = _pickled.get(id(expression))
        if entry is None or entry[0] is not expression:
            return init(self, expression, *args, **kwargs)
        init(self, _Shared(), *args, **kwargs)  # moto's own setup, with a copy that costs nothing
        self.node_to_validate = pickle.loads(entry[1])
        if isinstance(self, validators.UpdateExpressionValidator):
            try:
                context = (_names_key(self.expression_attribute_names), tuple(self.table.table_key_attrs))
                hash(context)
            except TypeError:  # names moto will refuse: leave every check to run
                return
            self._pagerless_passed = entry[2]
            self._pagerless_context = context

    _patch(validators.Validator, "__init__", copy_from_pickle)

    pure = (
        validators.ActionCountValidator,
        validators.OverlappingPathsValidator,
        validators.UpdateHashRangeKeyValidator,
    )
    validate = validators.UpdateExpressionValidator.validate

    @functools.wraps(validate)
    def skip_checks_passed(self):
        passed = self.__dict__.get("_pagerless_passed")
        if passed is None:
            return validate(self)
        context = self._pagerless_context
        if context in passed:
            self.processors = [p for p in self.processors if type(p) not in pure]
            return validate(self)
        result = validate(self)
        passed.add(context)
        return result

    _patch(validators.UpdateExpressionValidator, "validate", skip_checks_passed)


def _names_key(names: dict | None) -> tuple | None:
    return None if names is None else tuple(sorted(names.items()))


class _Shared:
    """Stands for the tree while ``Validator.__init__`` runs; its deepcopy is replaced right after."""

    def __deepcopy__(self, memo):
        return self


# 3 ---------------------------------------------------------------------- tree walks
_node_types: dict[type, bool] = {}  # type -> isinstance(x, Node) for an x of that type


def _cache_processing_maps() -> None:
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node

    def dispatch(self) -> dict:
        """type -> this instance's processor for nodes of that type (None: not processed)."""
        cached = self.__dict__.get("_pagerless_dispatch")
        if cached is None:
            cached = self.__dict__["_pagerless_dispatch"] = {}
            self.__dict__["_pagerless_map"] = self._processing_map()
        return cached

    def processor_for(self, kind: type):
        table = dispatch(self)
        try:
            return table[kind]
        except KeyError:
            found = None
            for class_key, processor in self.__dict__["_pagerless_map"].items():
                if issubclass(kind, class_key):
                    found = processor
                    break
            table[kind] = found
            return found

    def nodes_to_be_processed(self):
        dispatch(self)
        return tuple(self.__dict__["_pagerless_map"].keys())

    def process(self, node):
        processor = processor_for(self, type(node))
        if processor is not None:
            return processor(node)

    def traverse_node_recursively(self, node, child_id=-1):
        kind = type(node)
        is_node = _node_types.get(kind)
        if is_node is None:
            is_node = _node_types[kind] = isinstance(node, Node)
        if is_node:
            parent_node = node.parent
            if node.children is not None:
                for i, child_node in enumerate(node.children):
                    self.pre_processing_of_child(node, i)
                    self.traverse_node_recursively(child_node, i)
            processor = processor_for(self, kind)
            if processor is not None:
                node = processor(node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
        return node

    _patch(DepthFirstTraverser, "nodes_to_be_processed", nodes_to_be_processed)
    _patch(DepthFirstTraverser, "process", process)
    _patch(DepthFirstTraverser, "traverse_node_recursively", traverse_node_recursively)


# 5 ---------------------------------------------------------------------- dispatch
class _MethodNames:
    """``name in`` answers what ``name in method_names_from_class(cls)`` would."""

    __slots__ = ("cls",)

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return inspect.isfunction(getattr(self.cls, name))
        except AttributeError:
            return False


def _find_actions_by_name() -> None:
    from moto.core import responses

    _patch(responses, "method_names_from_class", _MethodNames)


# 6 ---------------------------------------------------------------------- Step Functions
_asl_trees: dict[str, Any] = {}  # definition -> its ANTLR parse tree (read only)


def _remember_definition_parse_trees() -> None:
    from moto.stepfunctions.parser.asl.parse import asl_parser

    parse = asl_parser.AmazonStateLanguageParser.parse

    def remembered(definition: str):
        tree = _asl_trees.get(definition)
        if tree is None:
            program, tree = parse(definition)
            with _lock:
                if len(_asl_trees) >= _PARSED_LIMIT:
                    _asl_trees.clear()
                _asl_trees[definition] = tree
            return program, tree
        return asl_parser.Preprocessor().visit(tree), tree

    _patch(asl_parser.AmazonStateLanguageParser, "parse", staticmethod(remembered))
