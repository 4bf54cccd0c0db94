"""The built layer has no uvicorn (shared/Makefile removes it): the MCP function imports the SDK's
streamable HTTP transport, whose sse-starlette imports uvicorn (and click) only when it is there.
Nothing a function runs may need it: the code outside the embedded runtime does not import it, and
the MCP server is built without it."""

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

IMPORTS_UVICORN = re.compile(r"^\s*(?:import uvicorn|from uvicorn\b)", re.MULTILINE)

WITHOUT_UVICORN = """
import importlib.abc, sys

class NotInLayer(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "uvicorn":
            raise ModuleNotFoundError("No module named 'uvicorn'", name=name)

sys.meta_path.insert(0, NotInLayer())
from pagerless.auth.keys import Principal
from pagerless.domain.roles import Role
from pagerless.mcp.server import build_server

server, security = build_server(Principal(key_id="k", workspace="default", role=Role.VIEWER, name="t"), host="h")
server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True, transport_security=security)
import sse_starlette.sse
assert "uvicorn" not in sys.modules and "click" not in sys.modules, sorted(m for m in sys.modules if m.startswith(("uvicorn", "click")))
print("ok")
"""


def test_no_function_code_imports_uvicorn():
    found = [
        str(path.relative_to(ROOT))
        for root in ("shared/pagerless", "functions")
        for path in (ROOT / root).rglob("*.py")
        if "local" not in path.relative_to(ROOT).parts and IMPORTS_UVICORN.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_mcp_server_is_built_and_its_transport_imported_without_uvicorn():
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_UVICORN],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "shared"), "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
