"""The layer's bytecode in one indexed file (shared/layer_bundle.py writes it, pagerless/bundle.py reads it).

A fresh interpreter that imports ``pagerless.bundle`` first loads the layer's modules from the bundle
without opening their files, and each module is what the path finder would have made of it: its file, its
bytecode's path, its package path, its resources, its source for tracebacks. What the path finder would
not load under that name is left to it. A bundle from another Python, or none, changes nothing; every
function's handler imports the bundle first; and Pagerless itself, loaded from a bundle, builds every
function and route.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SHARED = ROOT / "shared"
PROBE = textwrap.dedent(
    """
    import json, sys
    layer = sys.argv[1]
    opened = []
    sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
    sys.path.insert(0, layer)
    import pagerless.bundle
    finder = pagerless.bundle.install()
    import importlib.resources, inspect, traceback
    import app.service, dup
    mine = [p for p in opened if p.startswith((f"{layer}/app", f"{layer}/dup"))]  # by the imports
    try:
        app.service.fail()
    except ValueError:
        where = traceback.extract_tb(sys.exc_info()[2])[-1].filename
    print(json.dumps({
        "installed": finder is not None,
        "loader": type(app.service.__spec__.loader).__name__,
        "answer": app.service.answer(),
        "file": app.service.__file__,
        "cached": app.service.__cached__,
        "package_path": list(app.__path__),
        "dup_is_package": hasattr(dup, "__path__"),
        "resource": importlib.resources.files("app").joinpath("data.txt").read_text(),
        "source": inspect.getsource(app.service.answer),
        "where": where,
        "module_files_opened": mine,
    }))
    """
)


def _layer(root: Path) -> Path:
    layer = root / "python"
    files = {
        "app/__init__.py": "",
        "app/service.py": "def answer():\n    return 42\n\ndef fail():\n    raise ValueError('no')\n",
        "app/data.txt": "hello",
        "app/templates/broken.py": "def (:\n",  # data that only looks like code: no bytecode
        "dup.py": "WHICH = 'module'\n",  # a package of the same name comes first
        "dup/__init__.py": "WHICH = 'package'\n",
        "json/__init__.py": "raise ImportError('the layer must not shadow the standard library')\n",
        "fast.py": "SLOW = True\n",  # an extension module of the same name comes first
        f"fast{__import__('importlib.machinery').machinery.EXTENSION_SUFFIXES[0]}": "",
        "some-tool/helper.py": "X = 1\n",  # not an importable name
    }
    for relative, text in files.items():
        (layer / relative).parent.mkdir(parents=True, exist_ok=True)
        (layer / relative).write_text(text)
    (layer / "pagerless").mkdir()
    for name in ("__init__.py", "bundle.py", "coldstart.py", "regexcache.py"):
        shutil.copy(SHARED / "pagerless" / name, layer / "pagerless" / name)
    return layer


def _build(layer: Path) -> subprocess.CompletedProcess:
    compiled = subprocess.run(
        [sys.executable, str(SHARED / "layer_bytecode.py"), str(layer)], capture_output=True, text=True
    )
    assert compiled.returncode == 0, compiled.stderr
    return subprocess.run([sys.executable, str(SHARED / "layer_bundle.py"), str(layer)], capture_output=True, text=True)


def _probe(layer: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-S", "-B", "-c", PROBE, str(layer)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


def _index(layer: Path) -> dict:
    sys.path.insert(0, str(SHARED))
    try:
        import layer_bundle
    finally:
        sys.path.remove(str(SHARED))
    return layer_bundle.modules(layer)


def test_the_layers_modules_load_from_the_bundle_as_the_path_finder_would_load_them(tmp_path):
    layer = _layer(tmp_path)
    built = _build(layer)
    assert built.returncode == 0, built.stderr
    assert "layer bundle: 7 modules in pagerless-modules.bundle" in built.stdout, built.stdout

    seen = _probe(layer)

    assert seen["installed"] and seen["loader"] == "BundledLoader" and seen["answer"] == 42
    assert seen["module_files_opened"] == []  # nothing searched, opened or hashed
    assert seen["file"] == str(layer / "app" / "service.py")
    assert seen["cached"] == str(layer / "app" / "__pycache__" / f"service.{sys.implementation.cache_tag}.pyc")
    assert seen["package_path"] == [str(layer / "app")]
    assert seen["resource"] == "hello"
    assert seen["source"].startswith("def answer():")
    assert seen["where"] == str(layer / "app" / "service.py")  # the file's, as the path finder's loader names it
    assert seen["dup_is_package"]


def test_the_bundle_holds_only_what_the_path_finder_would_load_under_that_name(tmp_path):
    layer = _layer(tmp_path)
    assert _build(layer).returncode == 0

    index = _index(layer)

    assert sorted(index) == [
        "app",
        "app.service",
        "dup",
        "pagerless",
        "pagerless.bundle",
        "pagerless.coldstart",
        "pagerless.regexcache",
    ]
    assert index["dup"][:2] == ("dup/__init__.py", True) and index["app.service"][:2] == ("app/service.py", False)


def test_a_bundle_from_another_python_or_none_changes_nothing(tmp_path):
    layer = _layer(tmp_path)
    assert _build(layer).returncode == 0
    bundle = layer / "pagerless-modules.bundle"
    data = bytearray(bundle.read_bytes())
    data[8:12] = b"\x00\x00\r\n"  # another interpreter's magic number
    bundle.write_bytes(bytes(data))

    other = _probe(layer)
    bundle.unlink()
    none = _probe(layer)

    for seen in (other, none):
        assert not seen["installed"] and seen["loader"] == "SourceFileLoader" and seen["answer"] == 42
        assert seen["resource"] == "hello" and seen["where"] == str(layer / "app" / "service.py")


def test_every_function_imports_the_bundle_before_anything_else():
    handlers = sorted((ROOT / "functions").glob("*/app.py"))
    assert handlers
    for handler in handlers:
        body = ast.parse(handler.read_text(encoding="utf-8")).body
        first = next(node for node in body if isinstance(node, (ast.Import, ast.ImportFrom)))
        assert isinstance(first, ast.Import) and [a.name for a in first.names] == ["pagerless.bundle"], handler
        assert body.index(first) <= 1, handler  # after the docstring only


FUNCTIONS = """
import runpy, sys
layer = sys.argv[1]
sys.path.insert(0, layer)
import pagerless.bundle
assert pagerless.bundle.install() is not None
from pagerless.api.app import iter_api_routes
for app_path in sys.argv[2:]:
    namespace = runpy.run_path(app_path)
    if "app" in namespace:
        assert list(iter_api_routes(namespace["app"])), app_path
        assert namespace["app"].openapi()["openapi"], app_path
from pagerless.console.i18n import environment
assert environment("zh").get_template("login.html")
ours = {n: m for n, m in sys.modules.items() if n == "pagerless" or n.startswith("pagerless.")}
elsewhere = sorted(
    n for n, m in ours.items()
    if type(m.__spec__.loader).__name__ != "BundledLoader" or not m.__file__.startswith(layer)
)
assert elsewhere == ["pagerless", "pagerless.bundle"], elsewhere  # what imports the bundle
print(len(ours))
"""


def test_pagerless_loaded_from_a_bundle_builds_every_function_and_route(tmp_path):
    layer = tmp_path / "python"
    shutil.copytree(SHARED / "pagerless", layer / "pagerless", ignore=shutil.ignore_patterns("__pycache__"))
    built = _build(layer)
    assert built.returncode == 0, built.stderr
    handlers = sorted(str(p) for p in (ROOT / "functions").glob("*/app.py"))

    out = subprocess.run(
        [sys.executable, "-B", "-c", FUNCTIONS, str(layer), *handlers],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "TZ": ":UTC"},
        timeout=300,
    )

    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.split()[-1]) > 200
