"""store/ is the only code that speaks PynamoDB: no module outside it imports ``pynamodb``, saves a
record itself or builds an expression (a condition, an update action, a query) from a ``*Record``
class attribute. Services ask a repository in store/ with an intent-named method instead."""

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "shared" / "pagerless"
RECORD_CLASS = re.compile(r"^[A-Z]\w*Record$")


# Receivers of ``.save(...)`` that are not records: (module, receiver name).
NOT_RECORDS = {("local/runtime.py", "state")}


def _modules(package: Path) -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if name.startswith("store/"):
            continue
        found.append((name, ast.parse(path.read_text("utf-8"), filename=str(path))))
    return found


def _receiver(node: ast.expr) -> str:
    """The last name of a call's receiver: ``record`` in ``record.save()``, ``repository`` in
    ``self.repository.save(x)``, the class in ``SomeRecord(...).save()``."""
    while isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def violations(package: Path = PACKAGE) -> list[str]:
    found = []
    for name, tree in _modules(package):
        for node in ast.walk(tree):
            where = f"{name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "pynamodb" for a in node.names):
                found.append(f"{where} imports pynamodb")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pynamodb":
                found.append(f"{where} imports from {node.module}")
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and RECORD_CLASS.match(node.value.id)
            ):
                found.append(f"{where} uses {node.value.id}.{node.attr}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save":
                receiver = _receiver(node.func.value)
                if not receiver.lower().endswith(("repository", "repo")) and (name, receiver) not in NOT_RECORDS:
                    found.append(f"{where} calls {receiver}.save()")
    return found


def test_only_the_store_speaks_pynamodb():
    assert violations() == []


def test_the_check_sees_each_kind_of_violation(tmp_path):
    """The walker itself: each forbidden form is reported, a repository's save is not."""
    source = """
from pynamodb.exceptions import PutError
import pynamodb.models
def f(incident, repository):
    IncidentRecord.status.set("x")
    ApprovalRecord.query("i")
    incident.save()
    SystemRecord("a", "b").save()
    repository.save(incident)
    self.repository.save(incident)
"""
    package = tmp_path / "pagerless"
    (package / "workflow").mkdir(parents=True)
    (package / "workflow" / "m.py").write_text(source)
    kinds = sorted(v.split(" ", 1)[1] for v in violations(package))
    assert kinds == sorted(
        [
            "imports from pynamodb.exceptions",
            "imports pynamodb",
            "uses IncidentRecord.status",
            "uses ApprovalRecord.query",
            "calls incident.save()",
            "calls SystemRecord.save()",
        ]
    )
