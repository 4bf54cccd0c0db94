"""What the layer build removes (shared/layer_prune.py: uvicorn, pydantic.v1) nothing a function
runs needs: no function code imports it, and, with it gone, every HTTP function builds all its
routes and its OpenAPI document and the MCP server is built with its transport imported."""

import importlib.util
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def _pruned() -> dict[str, list[str]]:
    spec = importlib.util.spec_from_file_location("layer_prune", ROOT / "shared" / "layer_prune.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PRUNED


WITHOUT = """
import importlib.abc, runpy, sys

PRUNED = tuple(sys.argv[1].split(","))

class NotInLayer(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == p or name.startswith(p + ".") for p in PRUNED):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NotInLayer())

from pagerless.api.app import iter_api_routes

for app_path in sys.argv[2:]:
    app = runpy.run_path(app_path)["app"]
    assert list(iter_api_routes(app)), app_path
    assert app.openapi()["openapi"], app_path

from pagerless.auth.keys import Principal
from pagerless.domain.roles import Role
from pagerless.mcp.server import build_server

server, security = build_server(Principal(key_id="k", workspace="default", role=Role.VIEWER), host="h")
server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True, transport_security=security)
import sse_starlette.sse

loaded = sorted(m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in PRUNED))
assert not loaded, loaded
print("ok")
"""


def test_no_function_code_imports_what_the_layer_leaves_out():
    modules = "|".join(re.escape(name) for name in _pruned())
    imports = re.compile(rf"^\s*(?:import ({modules})\b|from ({modules})\b)", re.MULTILINE)
    found = [
        str(path.relative_to(ROOT))
        for root in ("shared/pagerless", "functions")
        for path in (ROOT / root).rglob("*.py")
        if "local" not in path.relative_to(ROOT).parts and imports.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_every_http_function_and_the_mcp_server_are_built_without_it():
    apps = sorted(str(p) for p in (ROOT / "functions").glob("*/app.py") if "create_app" in p.read_text("utf-8"))
    assert apps
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT, ",".join(_pruned()), *apps],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}", "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
