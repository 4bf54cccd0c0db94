"""A deployed function's cold start runs without the garbage collector (pagerless/coldstart.py).

In a process that imports the layer's bundle (a deployed function), the collector is off from that
import until the handler's first invocation ends, returned or raised; then what the cold start made is
frozen and the collector runs again. Where there is no bundle (``make dev``, the tests), nothing is
paused and the wrapper only calls the handler. Every function's handler is wrapped.
"""

import ast
import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from tests.unit.test_layer_bundle import _build, _layer

pytestmark = pytest.mark.unit

PROBE = textwrap.dedent(
    """
    import gc, json, sys
    sys.path.insert(0, sys.argv[1])
    seen = {"enabled_at_start": gc.isenabled()}
    import pagerless.bundle
    from pagerless.coldstart import gc_after_first
    seen["after_import"] = gc.isenabled()

    def work(event, context):
        seen.setdefault("during_first", gc.isenabled())
        if event == "fail":
            raise ValueError("first invocation failed")
        return {"echo": event}

    handler = gc_after_first(work)
    try:
        seen["first"] = handler(sys.argv[2], None)
    except ValueError as exc:
        seen["first"] = str(exc)
    seen["after_first"] = gc.isenabled()
    seen["frozen"] = gc.get_freeze_count()
    seen["second"] = handler("again", None)
    seen["after_second"] = gc.isenabled()
    print(json.dumps(seen))
    """
)


def _run(layer, event: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-S", "-B", "-c", PROBE, str(layer), event], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("event", ["ok", "fail"])
def test_a_deployed_cold_start_collects_nothing_until_its_first_invocation_ends(tmp_path, event):
    layer = _layer(tmp_path)
    assert _build(layer).returncode == 0

    seen = _run(layer, event)

    assert seen["enabled_at_start"] is True
    assert seen["after_import"] is False and seen["during_first"] is False
    assert seen["first"] == ({"echo": "ok"} if event == "ok" else "first invocation failed")
    assert seen["after_first"] is True and seen["frozen"] > 0  # the cold start's objects frozen, then collected again
    assert seen["second"] == {"echo": "again"} and seen["after_second"] is True


def test_without_a_bundle_nothing_is_paused_and_the_handler_is_only_called(tmp_path):
    layer = _layer(tmp_path)  # no bundle built: a checkout, make dev, the tests

    seen = _run(layer, "ok")

    assert seen["after_import"] is True and seen["during_first"] is True
    assert seen["first"] == {"echo": "ok"} and seen["frozen"] == 0 and seen["after_first"] is True


def _handler_is_wrapped(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "handler":
            outer = node.decorator_list[0] if node.decorator_list else None
            return isinstance(outer, ast.Name) and outer.id == "gc_after_first"
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["handler"]:
            call = node.value
            return isinstance(call, ast.Call) and getattr(call.func, "id", None) == "gc_after_first"
    return False


def test_every_functions_handler_turns_the_collector_back_on_after_its_first_invocation():
    handlers = sorted((ROOT / "functions").glob("*/app.py"))
    assert handlers
    unwrapped = [str(h) for h in handlers if not _handler_is_wrapped(ast.parse(h.read_text(encoding="utf-8")))]
    assert unwrapped == []
