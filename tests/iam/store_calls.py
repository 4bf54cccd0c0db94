"""What store/ (the only code speaking PynamoDB) calls on its model classes, read off its AST, by the table each
class names; and the table setting the functions' environment names a template table by."""

import ast
from collections import defaultdict
from pathlib import Path

from pagerless.local.template import load_yaml
from tests.conftest import TEMPLATE

STORE = Path(__file__).resolve().parents[2] / "shared" / "pagerless" / "store"

# What store/ calls on a model class, by the table it names: `Model.scan(...)`, `Model.batch_write()` (or pynamodb's
# `BatchWrite(Model)`, the audit log's `GroupCommit(Model)`), and `tx.condition_check(Model, ...)`.
_CALLED = {"scan": "Scan", "batch_write": "BatchWriteItem"}
INDEX_SCAN = "Scan of an index"


def _model_tables(trees) -> dict[str, str]:
    """Model class name -> the setting its Meta.table_name reads (TableName("incidents"))."""
    found = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for meta in (n for n in node.body if isinstance(n, ast.ClassDef) and n.name == "Meta"):
                    for assign in (a for a in meta.body if isinstance(a, ast.Assign)):
                        value = assign.value
                        if any(getattr(t, "id", "") == "table_name" for t in assign.targets) and (
                            isinstance(value, ast.Call) and getattr(value.func, "id", "") == "TableName"
                        ):
                            found[node.name] = value.args[0].value
    return found


def store_calls() -> dict[str, set[str]]:
    """The table setting ("incidents") -> the DynamoDB actions among Scan, BatchWriteItem and ConditionCheckItem
    that store/ makes on it."""
    trees = _trees()
    models, calls = _model_tables(trees), defaultdict(set)
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _CALLED and getattr(func.value, "id", "") in models:
                calls[models[func.value.id]].add(_CALLED[func.attr])
            elif isinstance(func, ast.Attribute) and func.attr == "scan" and _index_of(func.value, models):
                calls[models[func.value.value.id]].add(INDEX_SCAN)  # `Model.by_status.scan(...)`
            elif isinstance(func, ast.Attribute) and func.attr == "condition_check" and node.args:
                calls[models[node.args[0].id]].add("ConditionCheckItem")
            elif getattr(func, "id", "") in ("BatchWrite", "GroupCommit") and node.args:
                calls[models[node.args[0].id]].add("BatchWriteItem")
    return calls


def _index_of(node, models: dict[str, str]) -> bool:
    """Whether ``node`` is ``Model.<index>`` of a model class (what an index scan is called on)."""
    return isinstance(node, ast.Attribute) and getattr(node.value, "id", "") in models


def _trees() -> list[ast.Module]:
    return [ast.parse(path.read_text(encoding="utf-8")) for path in sorted(STORE.glob("*.py"))]


def store_models() -> dict[str, str]:
    """Model class name -> the table setting it names, for every model of store/."""
    return _model_tables(_trees())


def table_setting(table: str) -> str:
    """The table setting ("incidents") the functions' environment names ``table`` (a logical id) by."""
    variables = load_yaml(TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    [setting] = [n[len("PAGERLESS_TABLE_") :].lower() for n, v in variables.items() if v == {"Ref": table}]
    return setting
