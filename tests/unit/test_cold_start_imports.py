"""Cold start: importing a function's handler does not import the heavy libraries it does not need.

Each handler module of template.yaml is imported in a fresh Python process, the way Lambda does
on a cold start; the test then reads that process's ``sys.modules``. Heavy clients and parsers
(Kubernetes, Anthropic, the MCP SDK, pypdf, argon2, PyJWT + cryptography, httpx, Jinja2,
Babel) are imported where they are used, on the request that needs them. Behaviour, not timing:
the figures are in ``make bench`` (bench/cold_start.py).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ["kubernetes", "anthropic", "mcp", "pypdf", "openai", "argon2", "jwt", "cryptography", "httpx", "jinja2",
         "babel", "yaml", "boto3"]

# What a function may import at cold start because its every request needs it.
NEEDED = {
    "ConsoleFunction": {"jinja2", "babel", "jwt", "cryptography"},  # pages, dates, the session's JWT
    "NotifyFunction": {"jinja2", "httpx"},  # every job is rendered (sandboxed Jinja2) and delivered over HTTP
}

PROBE = """
import importlib.util, json, sys
path, code_dir, shared = sys.argv[1:4]
sys.path[:0] = [code_dir, shared]
spec = importlib.util.spec_from_file_location("cold_start_probe", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.handler)
print(json.dumps(sorted(sys.modules)))
"""


def functions() -> list[tuple[str, Path]]:
    from pagerless.local.template import Template

    return [(spec.logical_id, spec.code_dir / (spec.handler.rsplit(".", 1)[0] + ".py"))
            for spec in Template(ROOT / "template.yaml").functions()]


def imported_modules(path: Path) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path), str(path.parent), str(ROOT / "shared")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    assert out.returncode == 0, out.stderr[-2000:]
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(("logical_id", "path"), functions(), ids=lambda value: getattr(value, "name", value))
def test_a_handler_import_leaves_heavy_libraries_for_the_requests_that_need_them(logical_id, path):
    modules = imported_modules(path)
    loaded = {name for name in HEAVY if name in modules} - NEEDED.get(logical_id, set())
    assert not loaded, f"{logical_id} imports {sorted(loaded)} at cold start"
    assert "kubernetes" not in modules and "anthropic" not in modules


def test_the_probe_sees_a_heavy_import_when_there_is_one(tmp_path):
    """The check itself works: a handler that imports httpx at module level is caught."""
    handler = tmp_path / "app.py"
    handler.write_text("import httpx\n\n\ndef handler(event, context):\n    return {}\n")
    assert "httpx" in imported_modules(handler)
