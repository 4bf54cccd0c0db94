"""Which store scans each function's code can reach, read off the source (no code runs): a static trace from a
function's entry (its ``app.py``, and each route of the routers it names, ``Lazy("pagerless.api.routes.slo")``) to
every ``Model.scan(...)`` of store/ (docs/iam.md, "The trace").

A definition (function, class, method, a module's top level, a module-level assignment) reaches:
- what its names resolve to through its module's imports, anywhere in the module (``from pagerless.store.reports
  import active_roots``, ``incident_reads.open_flaps``, a package's re-export, an ``Injected("pagerless.x:Cls")``
  string);
- a method named as an attribute it reads, of a class in the modules its module imports (directly or through
  others), once that class is reached (``EscalationRepository().awaiting_start``);
- the top level of each module it imports (at the top, or inside a function), and the functions that top level
  decorates (routes, registered tools). A module-level assignment (a registry: ``JOBS``, ``READERS``) runs only its
  calls on import; what it names is reached with the name it binds.
A class reaches its bases, ``__init__`` and the like, and what its body names. It errs towards reaching (a method
named as another's attribute adds a path); it misses only code reached through data it does not read, such as
``NOT_RUN``'s.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared" / "pagerless"
FUNCTIONS = ROOT / "functions"
_MODULE_PATH = re.compile(r"^(pagerless(?:\.\w+)+)(?::(\w+))?$")
_SPECIAL = ("__init__", "__post_init__", "__call__", "__get__", "__set_name__", "__enter__", "__exit__")

Node = tuple[str, str]  # (module, qualified name; "" for the module's top level)
# Names whose code is reached but does not run what it names: the OpenAPI document imports every router to read its
# routes (api/openapi.py combined_schema), never to call one.
NOT_RUN: frozenset[Node] = frozenset({("pagerless.api.routes", "ROUTER_MODULES")})


@cache
def _sources() -> dict[str, ast.Module]:
    """Every module of the package and every function's entry, parsed, by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    for path in sorted(FUNCTIONS.glob("*/app.py")):
        found[f"functions.{path.parent.name}.app"] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _with_parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[: i + 1]) for i in range(len(parts))}


def _imported(parts: list[ast.AST]) -> frozenset[str]:
    """The package's modules imported in ``parts`` (and their packages), module paths written as strings included."""
    known, found = _sources(), set()
    for node in (sub for part in parts for sub in ast.walk(part)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (m := _MODULE_PATH.match(node.value)):
            names = [m.group(1)]
        for name in names:
            found |= {n for n in _with_parents(name) if n in known}
    return frozenset(found)


@cache
def _imports(module: str) -> frozenset[str]:
    """The package's modules ``module`` imports anywhere in its source (and their packages)."""
    return _imported([_sources()[module]]) - {module}


@cache
def _closure(module: str) -> frozenset[str]:
    """``module`` and every module it imports, directly or through others."""
    seen, todo = {module}, [module]
    while todo:
        for imported in _imports(todo.pop()):
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return frozenset(seen)


@cache
def _definitions() -> tuple[dict[Node, ast.AST], dict[str, dict[str, list[Node]]]]:
    """Each node (top level, function, class, method) and, per module, its nodes by their last name."""
    nodes: dict[Node, ast.AST] = {}
    by_name: dict[str, dict[str, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for module, tree in _sources().items():
        nodes[module, ""] = tree
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                nodes[module, node.name] = node
                by_name[module][node.name].append((module, node.name))
            elif _assigned(node):
                for name in _assigned(node):
                    nodes[module, name] = node
                    by_name[module][name].append((module, name))
            if isinstance(node, ast.ClassDef):
                for method in node.body:
                    if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                        key = (module, f"{node.name}.{method.name}")
                        nodes[key] = method
                        by_name[module][method.name].append(key)
    return nodes, by_name


def _assigned(statement: ast.AST) -> list[str]:
    """The names a top-level assignment binds (``SOURCES = {...}``): each a node of its own, reached when named."""
    if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
        return [t.id for t in statement.targets]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
        return [statement.target.id]
    return []


def _own_parts(node: ast.AST) -> list[ast.AST]:
    """What runs as ``node`` runs: a function's whole body; a module's or a class's statements but its functions' and
    classes' bodies (nodes of their own), with their decorators and bases. Of a module's assignment (a registry) only
    what it calls runs on import; what it names is reached with the name it binds."""
    if not isinstance(node, ast.Module | ast.ClassDef):
        return [node]
    inner = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    parts = [n for n in node.body if not isinstance(n, inner) and not (isinstance(node, ast.Module) and _assigned(n))]
    parts += [
        c.func
        for n in node.body
        if isinstance(node, ast.Module) and _assigned(n)
        for c in ast.walk(n)
        if isinstance(c, ast.Call)
    ]
    parts += [d for n in node.body if isinstance(n, inner) for d in n.decorator_list]
    parts += [b for n in node.body if isinstance(n, ast.ClassDef) for b in n.bases]
    return parts


@cache
def _bindings(module: str) -> dict[str, frozenset[tuple[str, str]]]:
    """What each name imported in ``module`` (anywhere in it: two functions may import two things as one name) may
    stand for: ("module", dotted name) or ("node", "module:name"); and its own top-level definitions."""
    known, bound = _sources(), defaultdict(set)
    for node in ast.walk(known[module]):
        if isinstance(node, ast.Import):
            for alias in (a for a in node.names if a.name in known):
                path = alias.name if alias.asname else alias.name.split(".")[0]
                bound[alias.asname or path].add(("module", path))
        elif isinstance(node, ast.ImportFrom) and node.module in known:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                bound[alias.asname or alias.name].add(
                    ("module", full) if full in known else ("node", f"{node.module}:{alias.name}")
                )
    for name, nodes in _definitions()[1].get(module, {}).items():
        if (module, name) in nodes:
            bound[name].add(("node", f"{module}:{name}"))
    return {name: frozenset(targets) for name, targets in bound.items()}


def _top(module: str, name: str, depth: int = 0) -> set[Node]:
    """The top-level definition ``name`` of ``module``, or what a package re-exports as ``name``."""
    if (module, name) in _definitions()[0]:
        return {(module, name)}
    if depth > 5:
        return set()
    found = set()
    for kind, target in _bindings(module).get(name, ()):
        if kind == "node":
            found |= _top(*target.split(":"), depth + 1)
    return found


def _modules_named(expr: ast.AST, bound: dict) -> set[str]:
    """The modules an expression (``incident_reads``, ``pagerless.store.incident_reads``) names, if it names any."""
    if isinstance(expr, ast.Name):
        return {target for kind, target in bound.get(expr.id, ()) if kind == "module"}
    if isinstance(expr, ast.Attribute):
        return {f"{m}.{expr.attr}" for m in _modules_named(expr.value, bound) if f"{m}.{expr.attr}" in _sources()}
    return set()


def _named(node: ast.AST, module: str) -> tuple[set[Node], set[str]]:
    """What ``node`` references: the definitions its names (and ``module.name`` attributes, and
    ``"pagerless.x:Name"`` strings) resolve to, and the other attributes it reads (method names)."""
    bound, found, attributes = _bindings(module), set(), set()
    for sub in (sub for part in _own_parts(node) for sub in ast.walk(part)):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            for kind, target in bound.get(sub.id, ()):
                found |= _top(*target.split(":")) if kind == "node" else set()
        elif isinstance(sub, ast.Attribute):
            owners = _modules_named(sub.value, bound)
            found |= {n for owner in owners for n in _top(owner, sub.attr)}
            if not owners:
                attributes.add(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and (m := _MODULE_PATH.match(sub.value)):
            found |= _top(m.group(1), m.group(2)) if m.group(2) else set()
    return found, attributes


@cache
def _edges(node: Node) -> tuple[frozenset[Node], frozenset[Node]]:
    """What ``node`` reaches for sure, and the methods it may call: those named as the attributes it reads, of the
    classes of the modules its module imports (reached only with their class)."""
    nodes, by_name = _definitions()
    if node in NOT_RUN:
        return frozenset(), frozenset()
    found, attributes = _named(nodes[node], node[0])
    reach = set(found)
    if "." in node[1]:  # a method reaches its class's body (its attributes, as Injected collaborators)
        reach.add((node[0], node[1].split(".")[0]))
    if isinstance(nodes[node], ast.ClassDef):  # and a class its constructor and protocol methods
        reach |= {(node[0], f"{node[1]}.{name}") for name in _SPECIAL if (node[0], f"{node[1]}.{name}") in nodes}
    # a module imported as the node runs runs its top level (a registry naming a job, a route declared) ...
    reach |= {(module, "") for module in _imported(_own_parts(nodes[node]))}
    if not node[1]:  # ... and a function it decorates is registered (a route, a tool): called by what it is given to
        decorated = (n for n in nodes[node].body if getattr(n, "decorator_list", None))
        reach |= {(node[0], n.name) for n in decorated}
    methods = {
        found
        for module in _closure(node[0])
        for name in attributes & by_name.get(module, {}).keys()
        for found in by_name[module][name]
        if "." in found[1]
    }
    return frozenset(reach), frozenset(methods)


def entries(function_dir: str) -> set[Node]:
    """Where a function's code starts: its ``app.py``, and the routers it names (``Lazy("pagerless.console.pages")``),
    each route of theirs."""
    app = f"functions.{function_dir}.app"
    nodes, _ = _definitions()
    named = {c.value for c in ast.walk(_sources()[app]) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return {node for node in nodes if node[0] == app or node[0] in named}


def reached(function_dir: str) -> set[Node]:
    """Every node the function's code can reach from its entries: a method only once its class is reached."""
    seen, methods = set(), set()
    todo = list(entries(function_dir))
    while todo:
        for node in todo:
            if node in seen:
                continue
            seen.add(node)
            sure, maybe = _edges(node)
            methods |= maybe
            todo.extend(sure - seen)
        todo = [m for m in methods - seen if (m[0], m[1].split(".")[0]) in seen]
    return seen


def scans(model_tables: dict[str, str]) -> dict[Node, str]:
    """Each store node (function or method) that calls ``Model.scan(...)`` directly -> the table setting it scans
    (``model_tables``: model class -> its ``TableName`` setting)."""
    nodes, found = _definitions()[0], {}
    for key, node in nodes.items():
        if not key[0].startswith("pagerless.store.") or not key[1] or isinstance(node, ast.ClassDef):
            continue
        for sub in ast.walk(node):
            func = sub.func if isinstance(sub, ast.Call) else None
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "scan"
                and getattr(func.value, "id", "") in model_tables
            ):
                found[key] = model_tables[func.value.id]
    return found


def scanned_by(function_dir: str, model_tables: dict[str, str]) -> dict[str, set[Node]]:
    """The table settings whose scans ``function_dir``'s code reaches -> the scanning store nodes."""
    found = defaultdict(set)
    reach = reached(function_dir)
    for node, table in scans(model_tables).items():
        if node in reach:
            found[table].add(node)
    return found
