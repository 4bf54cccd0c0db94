"""Cold start: no function imports the heavy clients (kubernetes ~0.4 s, anthropic ~2.6 s) or the
MCP SDK at import time; they are imported where they are used."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

HEAVY = ("kubernetes", "anthropic", "moto", "mcp")


def _function_dirs() -> list[str]:
    return sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())


@pytest.mark.parametrize("name", _function_dirs())
def test_function_import_leaves_heavy_clients_alone(name: str):
    code = ("import sys, runpy; runpy.run_path(sys.argv[1]); "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "functions" / name / "app.py")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}", "AWS_DEFAULT_REGION": "us-east-1",
                              "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"functions/{name} imports {out.stdout.strip()} at cold start"
