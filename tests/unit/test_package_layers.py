"""The top-level packages of ``pagerless`` form layers and no cycle (docs/architecture.md).

import-linter checks the ``layers`` contract of pyproject.toml (lazy imports inside functions
count); the AST walk below is a second, dependency-free check that names the files of any cycle. A
collaborator named by its path (``Injected("pagerless.incidents.service:IncidentService")``, imported on
first use) is invisible to import-linter: the walk counts it, and it is held to the layers here.
"""

import ast
import io
import logging
import tomllib
from contextlib import redirect_stdout

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

PACKAGE = ROOT / "shared" / "pagerless"


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract["layers"]


def _top_level_names() -> set[str]:
    names = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    names |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return names


def _injected_paths(node: ast.AST) -> list[str]:
    """``Injected("pagerless.x.y:Name")``'s module path (chat/injected.py): an import made on first use."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Injected" and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("pagerless."):
            return [first.value.split(":")[0]]
    return []


def _layer_of(package: str, layers: list[str]) -> int:
    return next(i for i, layer in enumerate(layers) if f"pagerless.{package}" in [n.strip() for n in layer.split("|")])


def _edges() -> dict[str, dict[str, set[str]]]:
    """package -> package -> files, from every import statement (module level or inside a function)."""
    top = _top_level_names()
    edges: dict[str, dict[str, set[str]]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        source = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[0] == "pagerless":
                    targets += [parts[1]] if len(parts) > 1 else [a.name for a in node.names if a.name in top]
            elif isinstance(node, ast.Import):
                targets += [a.name.split(".")[1] for a in node.names if a.name.startswith("pagerless.")]
            targets += [path.split(".")[1] for path in _injected_paths(node)]
            for target in targets:
                if target != source:
                    edges.setdefault(source, {}).setdefault(target, set()).add(str(rel))
    return edges


def _cycles(edges: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(edges) | {t for targets in edges.values() for t in targets}):
        if node not in index:
            visit(node)
    return found


def test_the_import_linter_contracts_are_kept():
    from importlinter.cli import lint_imports

    out = io.StringIO()
    # lint_imports configures logging as a CLI does, which disables every logger that exists then
    # (the service's among them): the tests that run after this one still read those loggers
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    enabled = [lg for lg in loggers if not lg.disabled]
    try:
        with redirect_stdout(out):
            status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    finally:
        for lg in enabled:
            lg.disabled = False
    assert status == 0, out.getvalue()


def test_every_top_level_package_has_a_layer():
    named = {name.strip().removeprefix("pagerless.") for layer in _layers() for name in layer.split("|")}
    assert _top_level_names() - named == set(), "add the new package to the layers in pyproject.toml"
    assert named - _top_level_names() == set(), "the layers name a package that does not exist"


def test_no_import_cycle_between_packages():
    edges = _edges()
    cycles = _cycles(edges)
    detail = [f"{a} -> {b}: {sorted(edges[a][b])}" for c in cycles for a in c for b in c if b in edges.get(a, {})]
    assert cycles == [], "\n".join(detail)


def test_the_cycle_check_sees_lazy_imports():
    """The walk counts an import inside a function, as the state machine's steps use them."""
    edges = {"a": {"b": {"a/x.py"}}, "b": {"a": {"b/y.py"}}, "c": {"a": {"c/z.py"}}}
    assert _cycles(edges) == [["a", "b"]]
    assert "workflow" in _edges()["chat"]  # chat/actions.py imports the ApprovalService inside a function


def test_collaborators_named_by_path_point_down_the_layers():
    """import-linter cannot see an import named by a string: each must go to a lower layer, and exist."""
    layers, found = _layers(), []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            for module in _injected_paths(node):
                source, target = rel.parts[0], module.split(".")[1]
                found.append(module)
                assert (PACKAGE.parent / (module.replace(".", "/") + ".py")).exists(), f"{rel}: {module}"
                if source != target:
                    assert _layer_of(target, layers) > _layer_of(source, layers), (
                        f"{rel} names {module}: a higher layer"
                    )
    assert "pagerless.incidents.service" in found  # chat/commands.py's, so the walk sees them
